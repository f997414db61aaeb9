import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { Module, normalTensor } from '@skelflow/core';
import { forEachBackend, layerContract, perturbParameters, type LayerCase } from '@skelflow/testing';
import {
  DepthwiseConv3d,
  LargeKernelAttention3d,
  Lsta,
  MemoryModule,
  applyPatchMask,
  complementMask,
  cosineDistance,
  cosineDistillationLoss,
  depthwiseConv3d,
  drawPatchMask,
  memoryAddress,
  memoryUpdate,
  separatenessLoss,
} from '../src/index.js';
import { addressRef, depthwiseConv3dRef, lkaRef, lstaRef, memoryReadRef } from './mgnet_reference.js';

const nd = (t: tf.Tensor) => ({ data: Float64Array.from(t.dataSync()), shape: t.shape });

/** A parameterless module, so that plain functions run through the layer contract. */
class Fn extends Module {}

layerContract('@skelflow/nn MGNet blocks', [
  {
    name: 'DepthwiseConv3d(2, k 3) on [2, 2, 4, 3, 5]',
    make: (seed) => new DepthwiseConv3d(2, 3, { seed }),
    inputs: [[2, 2, 4, 3, 5]],
    output: [2, 2, 4, 3, 5],
    train: 'same',
    state: { parameters: { weight: [2, 3, 3, 3], bias: [2] } },
    reference: ([x], s) => depthwiseConv3dRef(x!, s.weight!, s.bias, 1),
  } satisfies LayerCase<DepthwiseConv3d>,
  {
    name: 'DepthwiseConv3d(1, k 3, dilation 2, no bias) on [2, 1, 5, 4, 4]',
    make: (seed) => new DepthwiseConv3d(1, 3, { seed, dilation: 2, bias: false }),
    inputs: [[2, 1, 5, 4, 4]],
    output: [2, 1, 5, 4, 4],
    train: 'same',
    state: { parameters: { weight: [1, 3, 3, 3] } },
    reference: ([x], s) => depthwiseConv3dRef(x!, s.weight!, undefined, 2),
  } satisfies LayerCase<DepthwiseConv3d>,
  {
    // Small kernels keep the finite differences fast; VAN's 5³ → 7³ (dilation 3) runs in the
    // hand cases, the property test and the PyTorch parity test.
    name: 'LargeKernelAttention3d(2) (3³ → 3³ dilation 2 → 1³) on [1, 2, 4, 3, 3]',
    make: (seed) => new LargeKernelAttention3d(2, { seed, localKernel: 3, dilatedKernel: 3, dilation: 2 }),
    inputs: [[1, 2, 4, 3, 3]],
    output: [1, 2, 4, 3, 3],
    train: 'same',
    state: {
      parameters: {
        'conv0.weight': [2, 3, 3, 3],
        'conv0.bias': [2],
        'conv_spatial.weight': [2, 3, 3, 3],
        'conv_spatial.bias': [2],
        'conv1.weight': [2, 2],
        'conv1.bias': [2],
      },
    },
    reference: ([x], s) => lkaRef(x!, s, '', 2),
  } satisfies LayerCase<LargeKernelAttention3d>,
  {
    name: 'Lsta (3³ → 3³ dilation 2) on [2, 2, 4, 3, 3]',
    make: (seed) => {
      const m = new Lsta({ seed, localKernel: 3, dilatedKernel: 3, dilation: 2 });
      perturbParameters(m, seed); // larger map weights, so σ is not near-linear
      return m;
    },
    inputs: [[2, 2, 4, 3, 3]],
    output: [2, 2, 4, 3, 3],
    gradTolerance: 1e-3, // float32 central differences through σ of a 27 + 27-tap map
    train: 'same',
    state: {
      parameters: {
        'lka.conv0.weight': [1, 3, 3, 3],
        'lka.conv0.bias': [1],
        'lka.conv_spatial.weight': [1, 3, 3, 3],
        'lka.conv_spatial.bias': [1],
        'lka.conv1.weight': [1, 1],
        'lka.conv1.bias': [1],
      },
    },
    reference: ([x], s) => lstaRef(x!, s, 2),
  } satisfies LayerCase<Lsta>,
  {
    name: 'MemoryModule(5 × 4) read on [6, 4]',
    make: (seed) => new MemoryModule(5, 4, { seed }),
    inputs: [[6, 4]],
    output: [6, 4],
    train: 'same',
    state: { parameters: {}, buffers: { items: [5, 4] } },
    reference: ([q], s) => memoryReadRef(q!, s.items!),
  } satisfies LayerCase<MemoryModule>,
  {
    name: 'MemoryModule(5 × 4) separateness terms on [6, 4]',
    make: (seed) => new MemoryModule(5, 4, { seed }),
    forward: (m, [q]) => m.separatenessTerms(q!),
    inputs: [[6, 4]],
    output: [6],
    train: 'same',
    state: { parameters: {}, buffers: { items: [5, 4] } },
  } satisfies LayerCase<MemoryModule>,
  {
    name: 'cosineDistance (per row of L_app) on [5, 3] × [5, 3]',
    make: () => new Fn(),
    forward: (_m, [a, b]) => cosineDistance(a!, b!),
    inputs: [[5, 3], [5, 3]],
    output: [5],
    train: 'same',
    state: { parameters: {} },
    reference: ([a, b]) => {
      const out: number[] = [];
      for (let n = 0; n < 5; n++) {
        let ab = 0;
        let aa = 0;
        let bb = 0;
        for (let k = 0; k < 3; k++) {
          ab += a!.data[n * 3 + k]! * b!.data[n * 3 + k]!;
          aa += a!.data[n * 3 + k]! ** 2;
          bb += b!.data[n * 3 + k]! ** 2;
        }
        out.push(1 - ab / Math.sqrt(aa * bb));
      }
      return out;
    },
  } satisfies LayerCase<Fn>,
] as LayerCase[]);

forEachBackend('MGNet blocks: hand cases and properties', () => {
  it('depthwiseConv3d equals the naive convolution for random shapes, kernels and dilations', () => {
    const rng = new Rng('dw3d-property');
    for (let trial = 0; trial < 8; trial++) {
      const k = [1, 3, 5, 7][rng.int(4)]!;
      const kernel = [k, [1, 3][rng.int(2)]!, [3, 5][rng.int(2)]!] as const;
      const d = 1 + rng.int(3);
      const shape = [1 + rng.int(2), 1 + rng.int(3), 1 + rng.int(7), 1 + rng.int(5), 1 + rng.int(6)];
      tf.tidy(() => {
        const x = normalTensor(rng, shape);
        const w = normalTensor(rng, [shape[1]!, ...kernel]);
        const b = normalTensor(rng, [shape[1]!]);
        const y = depthwiseConv3d(x, w, b, d);
        const want = depthwiseConv3dRef(nd(x), nd(w), nd(b), d);
        const got = y.dataSync();
        let err = 0;
        for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
        expect(err, `trial ${trial}: x [${shape}], kernel ${kernel}, dilation ${d}`).toBeLessThan(1e-4);
      });
    }
  });

  it('LSTA with all 3DLKA weights and biases 0 gives exactly 1.5·input and keeps the shape', () => {
    const lsta = new Lsta({ seed: 1 });
    for (const v of lsta.parameters()) v.assign(tf.zerosLike(v));
    const x = normalTensor(new Rng('lsta-zero'), [2, 8, 12, 4, 4]);
    const y = lsta.call(x);
    expect(y.shape).toEqual([2, 8, 12, 4, 4]);
    const xv = x.dataSync();
    const yv = y.dataSync();
    for (let i = 0; i < xv.length; i++) expect(yv[i]).toBe(Math.fround(1.5 * xv[i]!));
    tf.dispose([x, y]);
    lsta.dispose();
  });

  it('memory hand cases (card §5.7.5–6): read weights, top-1 update, separateness', () => {
    const items = tf.tensor2d([[1, 0], [0, 1]]);
    const q = tf.tensor2d([[1, 0], [0.6, 0.8]]);
    const w = memoryAddress(q, items).dataSync();
    [0.731059, 0.268941, 0.450166, 0.549834].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 6));
    const upd = memoryUpdate(q, items).dataSync();
    [1, 0, 0.316228, 0.948683].forEach((v, i) => expect(upd[i]).toBeCloseTo(v, 6));
    expect(separatenessLoss(q, items).dataSync()[0]).toBeCloseTo(0.738028, 5);
    expect(separatenessLoss(q, items, 1, 'mean').dataSync()[0]).toBeCloseTo(0.738028 / 2, 5);
    // An item no query chose stays as it was.
    const three = tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
    expect(Array.from(memoryUpdate(q, three).dataSync().slice(4))).toEqual([-1, 0]);
    tf.dispose([items, q, three]);
  });

  it('read weights are softmaxes (rows in (0, 1), summing to 1) and match the float64 reference', () => {
    const rng = new Rng('address');
    const q = normalTensor(rng, [7, 5]);
    const items = normalTensor(rng, [10, 5]);
    const w = memoryAddress(q, items);
    const v = w.dataSync();
    const want = addressRef(nd(q), nd(items));
    for (let n = 0; n < 7; n++) {
      let s = 0;
      for (let i = 0; i < 10; i++) {
        expect(v[n * 10 + i]).toBeGreaterThan(0);
        expect(v[n * 10 + i]).toBeLessThan(1);
        expect(v[n * 10 + i]).toBeCloseTo(want[n * 10 + i]!, 6);
        s += v[n * 10 + i]!;
      }
      expect(s).toBeCloseTo(1, 6);
    }
    tf.dispose([q, items, w]);
  });

  it('MemoryModule.update keeps unit items, changes only chosen ones, and leaks nothing', () => {
    const mem = new MemoryModule(6, 4, { seed: 3 });
    const q = normalTensor(new Rng('upd'), [5, 4]);
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) mem.update(q);
    expect(tf.memory().numTensors).toBe(before);
    const it2 = mem.items.dataSync();
    for (let i = 0; i < 6; i++) expect(Math.hypot(...it2.slice(4 * i, 4 * i + 4))).toBeCloseTo(1, 5);
    q.dispose();
    mem.dispose();
  });

  it('patch masks: ⌊P/2⌋ masked, seeded, complement covers each patch once, identical across frames', () => {
    for (const P of [1, 2, 7, 16, 192]) {
      const m = drawPatchMask(new Rng(`mask/${P}`), P);
      expect(m.reduce((a, v) => a + v, 0)).toBe(Math.floor(P / 2));
      expect(drawPatchMask(new Rng(`mask/${P}`), P)).toEqual(m);
      const c = complementMask(m);
      for (let i = 0; i < P; i++) expect(m[i]! + c[i]!).toBe(1);
    }
    expect(drawPatchMask(new Rng(1), 16)).not.toEqual(drawPatchMask(new Rng(2), 16));
    // A 4 × 4 grid of 8 × 8 patches on 32 × 32 crops, 3 frames, 2 clips with their own masks.
    const masks = [drawPatchMask(new Rng('a'), 16), drawPatchMask(new Rng('b'), 16)];
    const x = tf.ones([2, 3, 32, 32, 1]);
    const y = applyPatchMask(x, masks, 4, 4);
    const v = y.dataSync();
    const both = tf.add(y, applyPatchMask(x, masks.map(complementMask), 4, 4));
    expect(Array.from(both.dataSync()).every((z) => z === 1)).toBe(true); // each pixel visible exactly once
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 3; t++) {
        for (let r = 0; r < 32; r++) {
          for (let c = 0; c < 32; c++) {
            const want = masks[b]![Math.floor(r / 8) * 4 + Math.floor(c / 8)] ? 0 : 1;
            expect(v[((b * 3 + t) * 32 + r) * 32 + c]).toBe(want);
          }
        }
      }
    }
    tf.dispose([x, y, both]);
  });

  it('cosine distance is in [0, 2]: 0 parallel, 2 anti-parallel, 1 orthogonal', () => {
    const a = tf.tensor2d([[1, 2], [1, 0], [3, -1], [0, 0]]);
    const b = tf.tensor2d([[2, 4], [-5, 0], [1, 3], [1, 1]]);
    const d = cosineDistance(a, b).dataSync();
    expect(d[0]).toBeCloseTo(0, 6);
    expect(d[1]).toBeCloseTo(2, 6);
    expect(d[2]).toBeCloseTo(1, 6);
    expect(d[3]).toBeCloseTo(1, 6); // a zero row: finite, cos = 0
    const rng = new Rng('cos-range');
    const p = normalTensor(rng, [200, 3]);
    const r = normalTensor(rng, [200, 3]);
    const all = cosineDistance(p, r).dataSync();
    for (const v of all) expect(v >= 0 && v <= 2).toBe(true);
    tf.dispose([a, b, p, r]);
  });
});

describe('MGNet blocks: errors', () => {
  it('reject bad shapes with ShapeError', async () => {
    const { ShapeError } = await import('@skelflow/base');
    expect(() => depthwiseConv3d(tf.zeros([1, 2, 3, 3, 3]), tf.zeros([2, 2, 3, 3]))).toThrow(ShapeError);
    expect(() => memoryAddress(tf.zeros([2, 3]), tf.zeros([4, 2]))).toThrow(ShapeError);
    expect(() => cosineDistance(tf.zeros([2, 3]), tf.zeros([3, 3]))).toThrow(ShapeError);
  });
});

describe('cosineDistillationLoss', () => {
  it('is the mean cosine distance: 0 for parallel, 2 for anti-parallel rows', () => {
    expect(cosineDistillationLoss(tf.tensor2d([[1, 0], [0, 3]]), tf.tensor2d([[2, 0], [0, 1]])).dataSync()[0]).toBeCloseTo(0, 6);
    expect(cosineDistillationLoss(tf.tensor2d([[1, 0], [0, 3]]), tf.tensor2d([[-2, 0], [0, -1]])).dataSync()[0]).toBeCloseTo(2, 6);
    expect(cosineDistillationLoss(tf.tensor2d([[1, 0], [0, 3]]), tf.tensor2d([[-2, 0], [0, 1]])).dataSync()[0]).toBeCloseTo(1, 6);
  });
});
