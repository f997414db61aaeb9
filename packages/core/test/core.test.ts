import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Adamax, Module, clipGradNorm, cosineDecay, decodeIntoModule, encodeModule, exponentialDecay, initBackend, parseCheckpointJson, trainStep, normalTensor } from '@skelflow/core';
import { readModelDir, saveModule } from '@skelflow/core/node';
import { BatchNorm, channelMatMul } from '@skelflow/nn';
import { InputError, Rng, WeightsError } from '@skelflow/base';
import { BACKENDS } from '@skelflow/testing';

class Toy extends Module {
  readonly w = this.addParameter('w', tf.tensor([0.5, -1.5, 2]));
  readonly bn = this.addModule('bn', new BatchNorm(2));
}

describe.each(BACKENDS)('core on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  it('Rng is deterministic and seed 0 is a real seed', () => {
    const a = normalTensor(new Rng(0), [5]).arraySync() as number[];
    const b = normalTensor(new Rng(0), [5]).arraySync() as number[];
    const c = normalTensor(new Rng(1), [5]).arraySync() as number[];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const p = new Rng(3).permutation(10);
    expect([...p].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('Module names parameters and buffers by dotted path', () => {
    const m = new Toy();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['w', 'bn.weight', 'bn.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['bn.runningMean', 'bn.runningVar', 'bn.numBatchesTracked']);
    expect(m.numParameters()).toBe(7);
    m.eval();
    expect(m.bn.training).toBe(false);
    expect(() => m.loadStateDict({ w: tf.zeros([4]) }, { strict: false })).toThrow(WeightsError);
    expect(() => m.loadStateDict({ w: tf.zeros([3]) })).toThrow(/missing/);
    m.dispose();
  });

  it('BatchNorm follows PyTorch: biased variance to normalise, unbiased for running_var', () => {
    const xs = [1, 2, 4, 8, -1, 0, 3, 5];
    // x laid out [B=2, C=2, T=2]: channel 0 = {1,2,-1,0}, channel 1 = {4,8,3,5}
    const x = tf.tensor(xs, [2, 2, 2]);
    const bn = new BatchNorm(2, { momentum: 0.1 });
    const y = bn.call(x).arraySync() as number[][][];
    const ch = [
      [1, 2, -1, 0],
      [4, 8, 3, 5],
    ];
    ch.forEach((vals, c) => {
      const mean = vals.reduce((a, b) => a + b) / 4;
      const varB = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      const varU = (varB * 4) / 3;
      expect(y[0]![c]![0]!).toBeCloseTo((vals[0]! - mean) / Math.sqrt(varB + 1e-5), 5);
      expect(bn.runningMean.dataSync()[c]!).toBeCloseTo(0.1 * mean, 6);
      expect(bn.runningVar.dataSync()[c]!).toBeCloseTo(0.9 + 0.1 * varU, 6);
    });
    expect(bn.numBatchesTracked.dataSync()[0]).toBe(1);
    bn.eval();
    const e = bn.call(x).arraySync() as number[][][];
    const rm = bn.runningMean.dataSync()[0]!;
    const rv = bn.runningVar.dataSync()[0]!;
    expect(e[0]![0]![0]!).toBeCloseTo((1 - rm) / Math.sqrt(rv + 1e-5), 5);
    bn.dispose();
  });

  it('channelMatMul equals a direct 1×1 convolution, with gradients', () => {
    const rng = new Rng(5);
    const x = normalTensor(rng, [2, 3, 4]);
    const w = normalTensor(rng, [2, 3]);
    const y = channelMatMul(x, w).arraySync() as number[][][];
    const xa = x.arraySync() as number[][][];
    const wa = w.arraySync() as number[][];
    for (let b = 0; b < 2; b++)
      for (let o = 0; o < 2; o++)
        for (let n = 0; n < 4; n++) {
          let s = 0;
          for (let i = 0; i < 3; i++) s += wa[o]![i]! * xa[b]![i]![n]!;
          expect(y[b]![o]![n]!).toBeCloseTo(s, 5);
        }
    // d/dw of sum(y) = sum over b, n of x[b, i, n] for every o
    const gw = tf.grad((ww: tf.Tensor) => tf.sum(channelMatMul(x, ww)))(w).arraySync() as number[][];
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let b = 0; b < 2; b++) for (let n = 0; n < 4; n++) s += xa[b]![i]![n]!;
      expect(gw[0]![i]!).toBeCloseTo(s, 4);
      expect(gw[1]![i]!).toBeCloseTo(s, 4);
    }
  });

  it('Adamax and Adam take PyTorch steps', () => {
    // Independent float64 re-statement of torch.optim.Adamax / Adam for two steps.
    const g1 = [0.3, -2, 0];
    const g2 = [0.1, 1, -0.5];
    const p0 = [1, 2, 3];
    const lr = 0.01;
    const refAdamax = (() => {
      let m = [0, 0, 0];
      let u = [0, 0, 0];
      let p = [...p0];
      [g1, g2].forEach((g, k) => {
        m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
        u = u.map((ui, i) => Math.max(0.999 * ui, Math.abs(g[i]!) + 1e-8));
        p = p.map((pi, i) => pi - (lr / (1 - 0.9 ** (k + 1))) * (m[i]! / u[i]!));
      });
      return p;
    })();
    const refAdam = (() => {
      let m = [0, 0, 0];
      let v = [0, 0, 0];
      let p = [...p0];
      [g1, g2].forEach((g, k) => {
        const t = k + 1;
        m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
        v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
        p = p.map((pi, i) => pi - (lr / (1 - 0.9 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8)));
      });
      return p;
    })();
    for (const [Opt, ref] of [
      [Adamax, refAdamax],
      [Adam, refAdam],
    ] as const) {
      const v = tf.variable(tf.tensor(p0));
      const opt = new Opt([v], { lr });
      for (const g of [g1, g2]) {
        const gt = tf.tensor(g);
        opt.step([gt]);
        gt.dispose();
      }
      const got = Array.from(v.dataSync());
      got.forEach((x, i) => expect(x).toBeCloseTo(ref[i]!, 6));
      opt.dispose();
      v.dispose();
    }
  });

  it('clipGradNorm clips by the global norm like clip_grad_norm_', () => {
    const a = tf.tensor([3, 0]);
    const b = tf.tensor([[4]]);
    const { grads, norm } = clipGradNorm([a, b], 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(grads[0]!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(grads[1]!.dataSync()[0]).toBeCloseTo(4 / (5 + 1e-6), 6);
    const { grads: same } = clipGradNorm([a, b], 10);
    expect(Array.from(same[0]!.dataSync())).toEqual([3, 0]);
    tf.dispose([a, b, ...grads, ...same]);
  });

  it('trainStep lowers a quadratic loss and leaks nothing', () => {
    const v = tf.variable(tf.tensor([2, -3]));
    const opt = new Adam([v], { lr: 0.1 });
    const loss = () => tf.sum(tf.square(v)) as tf.Scalar;
    trainStep([v], loss, opt, 100); // warm-up creates nothing persistent beyond the optimiser
    const before = tf.memory().numTensors;
    let last = Infinity;
    for (let i = 0; i < 20; i++) last = trainStep([v], loss, opt, 100).loss;
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(13 * 0.5);
    opt.dispose();
    v.dispose();
  });

  it('lr schedules', () => {
    expect(exponentialDecay(5e-4, 0.99)(2)).toBeCloseTo(5e-4 * 0.9801, 12);
    expect(cosineDecay(1, 10)(5)).toBeCloseTo(0.5, 12);
  });

  it('weights round-trip through the tfjs layout, atomically, without overwriting', async () => {
    const m = new Toy();
    m.bn.call(tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-w-'));
    await saveModule(dir, m, { kind: 'toy' });
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    await expect(saveModule(dir, m, { kind: 'toy' })).rejects.toThrow(InputError);
    const { modelJson, weights } = await readModelDir(dir);
    expect(modelJson.config).toEqual({ kind: 'toy' });
    const m2 = new Toy();
    decodeIntoModule(m2, modelJson, weights);
    for (const [name, v] of m.stateDict()) {
      expect(Array.from(m2.stateDict().get(name)!.dataSync())).toEqual(Array.from(v.dataSync()));
    }
    const { modelJson: mj, weights: w } = await encodeModule(m, {});
    expect(() => decodeIntoModule(m2, mj, w.subarray(4))).toThrow(WeightsError);
    m.dispose();
    m2.dispose();
  });
});

describe('checkpoint JSON parser', () => {
  it('reads tensors and names the place of every defect', () => {
    const ok = parseCheckpointJson(JSON.stringify({ args: { K: 8 }, state_dict: { a: { shape: [2], dtype: 'float32', data: [1, 2] } } }), 'c.json');
    expect(ok.args.K).toBe(8);
    expect(Array.from(ok.tensors.get('a')!.data)).toEqual([1, 2]);
    expect(() => parseCheckpointJson('{', 'c.json')).toThrow(/c\.json: not valid JSON/);
    expect(() => parseCheckpointJson('[]', 'c.json')).toThrow(InputError);
    expect(() => parseCheckpointJson('{"state_dict": {"a": {"shape": [3], "dtype": "float32", "data": [1,2]}}}', 'c.json')).toThrow(
      /c\.json: state_dict\.a: "data" has 2 values/,
    );
    expect(() => parseCheckpointJson('{"state_dict": {"a": {"shape": [1], "dtype": "float32", "data": ["x"]}}}', 'c.json')).toThrow(
      /state_dict\.a: value "x" at index 0/,
    );
    expect(() => parseCheckpointJson('{"state_dict": {"a": {"shape": [1], "dtype": "complex", "data": [1]}}}', 'c.json')).toThrow(
      /unsupported dtype/,
    );
  });
});
