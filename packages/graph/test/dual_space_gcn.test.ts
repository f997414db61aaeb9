// DualSpaceGCN (DSNF's dual-space conditioner): with g = 0 a coupling is STG-NF's bit for bit;
// with g ≠ 0 the coupling is still a bijection whose log-det is that of its autodiff Jacobian
// (bijectorContract on (1, 2, 4, 3) as the model card asks); every parameter gets a finite gradient
// on both backends; the zero gate hands the fused engine the Euclidean plan.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { AffineCoupling } from '@skelflow/flows';
import { buildAdjacency, DualSpaceGCN, StgcnBlock } from '@skelflow/graph';
import type { Skeleton } from '@skelflow/pose';
import { bijectorContract, forEachBackend } from '@skelflow/testing';

const CHAIN3: Skeleton = { name: 'chain3', jointNames: ['a', 'b', 'c'], edges: [[0, 1], [1, 2]], center: 1 };
const COUPLING = { split: 1, paramLayout: 'cross', scaleFn: 'sigmoid2', order: 'shiftThenScale' } as const;

function dual(seed: number, gate: number, options: { T?: number; layout?: Skeleton; residual?: 'none' | 'conv' } = {}): DualSpaceGCN {
  const T = options.T ?? 4;
  const layout = options.layout ?? CHAIN3;
  const adjacency = buildAdjacency(layout, { strategy: 'uniform', maxHop: 8 });
  const net = new DualSpaceGCN(1, 2, adjacency, { segLen: T, layout, euclid: { temporalKernel: 3, residual: options.residual ?? 'conv' }, rng: new Rng(seed), hyperbolicDim: 4 });
  net.gate!.assign(tf.scalar(gate));
  return net;
}

forEachBackend('DualSpaceGCN', () => {
  it('g = 0: the coupling gives STG-NF’s z and log-det bit for bit (train and eval mode)', () => {
    const T = 24;
    const adjacency = buildAdjacency('openpose18', { strategy: 'uniform', maxHop: 8 });
    for (const residual of ['none', 'conv'] as const) {
      const net = new DualSpaceGCN(1, 2, adjacency, { segLen: T, euclid: { temporalKernel: 13, residual }, rng: new Rng(5) });
      const block = new StgcnBlock(1, 2, adjacency, { temporalKernel: 13, residual, rng: new Rng(99) });
      block.loadStateDict(net.euclid.stateDict()); // same Euclidean weights, whatever the streams
      const ours = new AffineCoupling(net, COUPLING);
      const ref = new AffineCoupling(block, COUPLING);
      expect(net.g).toBe(0);
      const x = normalTensor(new Rng(3), [6, 2, T, 18]);
      for (const mode of ['train', 'eval'] as const) {
        ours[mode]();
        ref[mode]();
        const a = ours.forward(x);
        const b = ref.forward(x);
        expect(Array.from(a.y.dataSync())).toEqual(Array.from(b.y.dataSync()));
        expect(Array.from(a.logDet.dataSync())).toEqual(Array.from(b.logDet.dataSync()));
        tf.dispose([a.y, a.logDet, b.y, b.logDet]);
      }
      // The hyperbolic branch is live: g ≠ 0 changes z.
      net.gate!.assign(tf.scalar(0.5));
      const c = ours.forward(x);
      const d = ref.forward(x);
      expect(tf.max(tf.abs(tf.sub(c.y, d.y))).dataSync()[0]).toBeGreaterThan(1e-4);
      tf.dispose([x, c.y, c.logDet, d.y, d.logDet]);
      ours.dispose();
      ref.dispose();
    }
  });

  bijectorContract(
    [
      { name: 'AffineCoupling(DualSpaceGCN, g = 0.7)', channels: 2, contextDim: 0, make: () => new AffineCoupling(dual(1, 0.7), COUPLING).eval() },
      { name: 'AffineCoupling(DualSpaceGCN, g = −1.3, no residual)', channels: 2, contextDim: 0, make: () => new AffineCoupling(dual(2, -1.3, { residual: 'none' }), COUPLING).eval() },
    ],
    { batch: 1, rest: [4, 3] },
  );

  it('trains: finite, non-zero gradients on every parameter (gate, curvature, lift, HGCN, exit) at g = 0', () => {
    const net = dual(4, 0, { T: 6 });
    const coupling = new AffineCoupling(net, COUPLING);
    const x = normalTensor(new Rng(8), [5, 2, 6, 3]);
    const names = coupling.namedParameters().map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['net.gate', 'net.ball.rawC', 'net.lift.weight', 'net.hgcn.0.lin.weight', 'net.hgcn.0.lin.bias', 'net.exit.weight', 'net.euclid.gcn.weight']));
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.mean(coupling.forward(x).logDet) as tf.Scalar), coupling.parameters());
    for (const [n, v] of coupling.namedParameters()) {
      const g = grads[v.name]!.dataSync();
      for (const e of g) expect(Number.isFinite(e)).toBe(true);
      // At g = 0 only the gate sees the hyperbolic branch (∂h/∂θ_H = g · … = 0).
      if (n === 'net.gate') expect(Math.abs(g[0]!)).toBeGreaterThan(0);
    }
    tf.dispose([value, x, ...Object.values(grads)]);
    coupling.dispose();
  });

  it('zero gate: no hyperbolic parameters, the ST-GCN plan for the fused engine; learnable: a compile failure', () => {
    const adjacency = buildAdjacency('openpose18', { strategy: 'uniform', maxHop: 8 });
    const zero = new DualSpaceGCN(1, 2, adjacency, { segLen: 24, gate: 'zero', euclid: { temporalKernel: 13 }, seed: 1 });
    expect(zero.namedParameters().every(([n]) => n.startsWith('euclid.'))).toBe(true);
    const plan = zero.fusedPlan({ param: () => 0, buffer: () => 0, eventShape: [2, 24, 18], describe: () => null, fail: (r: string) => { throw new Error(r); } } as never);
    expect(plan?.kind).toBe('stgcn-uniform');
    const live = new DualSpaceGCN(1, 2, adjacency, { segLen: 24, euclid: { temporalKernel: 13 }, seed: 1 });
    expect(() => live.fusedPlan({ fail: (r: string) => { throw new Error(r); } } as never)).toThrow(/no fused kernel/);
    expect(() => live.call(tf.zeros([1, 1, 20, 18]))).toThrow(ShapeError);
    expect(() => new DualSpaceGCN(1, 2, adjacency, { segLen: 24, gate: 'open' as never })).toThrow(InputError);
    zero.dispose();
    live.dispose();
  });

  it('gateScale s: g = s·γ, so γ = 0.1 with s = 5 is the gate 0.5', () => {
    const a = dual(9, 0.5).eval();
    const adjacency = buildAdjacency(CHAIN3, { strategy: 'uniform', maxHop: 8 });
    const b = new DualSpaceGCN(1, 2, adjacency, { segLen: 4, layout: CHAIN3, euclid: { temporalKernel: 3, residual: 'conv' }, rng: new Rng(9), hyperbolicDim: 4, gateScale: 5 }).eval();
    b.gate!.assign(tf.scalar(0.1));
    expect(b.g).toBeCloseTo(0.5, 6);
    const x = normalTensor(new Rng(4), [2, 1, 4, 3]);
    expect(tf.max(tf.abs(tf.sub(a.call(x), b.call(x)))).dataSync()[0]).toBeLessThan(1e-6);
    expect(() => new DualSpaceGCN(1, 2, adjacency, { segLen: 4, layout: CHAIN3, gateScale: 0 })).toThrow(InputError);
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });

  it('probes are added to h_E and u_H; no tensors leak over repeated calls', () => {
    const net = dual(6, 0.4).eval();
    const x = normalTensor(new Rng(1), [2, 1, 4, 3]);
    const base = net.call(x);
    const shiftE = tf.fill([2, 2, 4, 3], 0.25);
    net.probe = { euclid: shiftE };
    const moved = net.call(x);
    expect(tf.max(tf.abs(tf.sub(tf.sub(moved, base), 0.25))).dataSync()[0]).toBeLessThan(1e-6);
    net.probe = { tangent: tf.fill([2, 3, 4], 0.1) };
    const movedH = net.call(x);
    expect(tf.max(tf.abs(tf.sub(movedH, base))).dataSync()[0]).toBeGreaterThan(1e-5);
    net.probe!.tangent!.dispose();
    net.probe = null;
    net.call(x).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) net.call(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, base, shiftE, moved, movedH]);
    net.dispose();
  });
});
