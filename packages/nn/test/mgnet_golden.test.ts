import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { forEachBackend } from '@skelflow/testing';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CubeVitEncoder, LargeKernelAttention3d, Lsta, MemoryModule, memoryUpdate, separatenessLoss } from '../src/index.js';

// Goldens from the PyTorch twin (bench/torch/mgnet_blocks.py: nn.Conv3d for the depthwise and
// dilated 3-D convolutions, nn.TripletMarginLoss for separateness, MNAD's update code; float64) on
// weights exported from these blocks. Regenerate with `node --import tsx bench/torch/mgnet_blocks_fixture.ts`.

interface Arr {
  shape: number[];
  data: number[];
}
interface Golden {
  lka: { weights: Record<string, Arr>; x: Arr };
  lsta: { weights: Record<string, Arr>; x: Arr; projection: Arr };
  memory: { items: Arr; queries: Arr; margin: number };
  encoder: { channels: number; cube: [number, number, number]; dim: number; heads: number; layers: number; ff: number; weights: Record<string, Arr>; x: Arr; projection: Arr; mask: number[] };
  torch: {
    encoderOutput: Arr;
    encoderMaskedOutput: Arr;
    encoderGradients: Record<string, Arr>;
    encoderInputGradient: Arr;
    lkaOutput: Arr;
    lstaOutput: Arr;
    lstaGradients: Record<string, Arr>;
    lstaInputGradient: Arr;
    memoryWeights: Arr;
    memoryRead: Arr;
    memoryUpdated: Arr;
    separateness: number;
    separatenessGradient: Arr;
  };
}

const golden = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/mgnet_blocks_golden.json', import.meta.url)), 'utf8')) as Golden;
const tensorOf = (a: Arr) => tf.tensor(a.data, a.shape, 'float32');
const TOL = 1e-4;

function load(m: { loadStateDict(s: Record<string, tf.Tensor>): void }, weights: Record<string, Arr>): void {
  const state = Object.fromEntries(Object.entries(weights).map(([n, a]) => [n, tensorOf(a)]));
  m.loadStateDict(state);
  tf.dispose(Object.values(state));
}

function expectClose(actual: tf.Tensor | ArrayLike<number>, expected: Arr, what: string): void {
  if (actual instanceof tf.Tensor) expect(actual.shape, what).toEqual(expected.shape);
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  expect(a.length, what).toBe(expected.data.length);
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - expected.data[i]!));
  expect(err, `${what}: max |Δ| = ${err.toExponential(2)}`).toBeLessThanOrEqual(TOL);
}

forEachBackend('MGNet blocks vs the PyTorch twin', () => {
  it('LargeKernelAttention3d(2) (5³ → 7³ dilation 3 → 1³) equals nn.Conv3d', () => {
    const lka = new LargeKernelAttention3d(2, { seed: 0 });
    load(lka, golden.lka.weights);
    const x = tensorOf(golden.lka.x);
    const y = lka.call(x);
    expectClose(y, golden.torch.lkaOutput, 'LKA output');
    tf.dispose([x, y]);
    lka.dispose();
  });

  it('Lsta: output and gradients (parameters and input) of Σ R ⊙ y', () => {
    const lsta = new Lsta({ seed: 0 });
    load(lsta, golden.lsta.weights);
    const x = tensorOf(golden.lsta.x);
    const r = tensorOf(golden.lsta.projection);
    const before = tf.memory().numTensors;
    const y = lsta.call(x);
    expectClose(y, golden.torch.lstaOutput, 'LSTA output');
    const params = lsta.namedParameters();
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(lsta.call(x), r)) as tf.Scalar, params.map(([, v]) => v));
    for (const [name, v] of params) expectClose(grads[v.name]!, golden.torch.lstaGradients[name]!, `∂L/∂${name}`);
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(lsta.call(xx), r)))(x);
    expectClose(gx, golden.torch.lstaInputGradient, '∂L/∂x');
    tf.dispose([y, value, gx, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, r]);
    lsta.dispose();
  });

  it('memory: read weights and read-out, the top-1 update (MNAD) and separateness with its gradient', () => {
    const mem = new MemoryModule(10, 8, { seed: 0 });
    load(mem, { items: golden.memory.items });
    const q = tensorOf(golden.memory.queries);
    const { weights, read } = mem.read(q);
    expectClose(weights, golden.torch.memoryWeights, 'read weights');
    expectClose(read, golden.torch.memoryRead, 'read-out');
    const updated = memoryUpdate(q, mem.items);
    expectClose(updated, golden.torch.memoryUpdated, 'updated items');
    const sep = separatenessLoss(q, mem.items, golden.memory.margin);
    expect(Math.abs(sep.dataSync()[0]! - golden.torch.separateness)).toBeLessThanOrEqual(TOL);
    const g = tf.grad((qq: tf.Tensor) => separatenessLoss(qq, mem.items, golden.memory.margin))(q);
    expectClose(g, golden.torch.separatenessGradient, '∂L_sep/∂q');
    tf.dispose([q, weights, read, updated, sep, g]);
    mem.dispose();
  });

  it('CubeVitEncoder (cube 2×8×8, 2 blocks, LSTA 5³ → 7³ d3): output, masked output and gradients equal Conv3d + nn.TransformerEncoder + LSTA', () => {
    const e = golden.encoder;
    const [, T, H, W, C] = e.x.shape as [number, number, number, number, number];
    const enc = new CubeVitEncoder([T, H, W, C], { cube: e.cube, dim: e.dim, heads: e.heads, layers: e.layers, dimFeedforward: e.ff, seed: 0 });
    load(enc, e.weights);
    const x = tensorOf(e.x);
    const r = tensorOf(e.projection);
    const before = tf.memory().numTensors;
    const y = enc.call(x);
    expectClose(y, golden.torch.encoderOutput, 'encoder output');
    const ym = enc.call(x, { mask: Uint8Array.from(e.mask) });
    expectClose(ym, golden.torch.encoderMaskedOutput, 'masked encoder output');
    const params = enc.namedParameters();
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(enc.call(x), r)) as tf.Scalar, params.map(([, v]) => v));
    expect(params.map(([n]) => n).sort()).toEqual(Object.keys(golden.torch.encoderGradients).sort());
    for (const [name, v] of params) expectClose(grads[v.name]!, golden.torch.encoderGradients[name]!, `∂L/∂${name}`);
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(enc.call(xx), r)))(x);
    expectClose(gx, golden.torch.encoderInputGradient, '∂L/∂x');
    tf.dispose([y, ym, value, gx, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, r]);
    enc.dispose();
  });
});
