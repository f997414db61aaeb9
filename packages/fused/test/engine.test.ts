import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@skelflow/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FusedFlow, compileFlow, kernelModules, registerFastPath, type FusableFlow, type Fusable, type PlanNode } from '../src/index.js';
import { lostScale, normal, scale } from './fixtures/scale_kernels.js';

// The engine on its own: compilation through the hook, the registry, worker threads that import
// the kernel modules a plan names, and the fallback when a worker cannot.

/** A flow of one scale layer (`a` at parameter offset 0) with any describing parts. */
function flowOf(transform: unknown, prior: unknown, a: tf.Variable): FusableFlow {
  return { transform, prior, namedParameters: () => [['a', a]], namedBuffers: () => [] };
}

const layer = (kind: string): Fusable => ({ fusedPlan: (ctx) => ({ kind, a: 0, c: ctx.eventShape[0] }) as PlanNode });
const prior: Fusable = { fusedPlan: () => ({ kind: normal.kind, varianceEps: 0 }) as PlanNode };

function exact(x: Float32Array, s: number, D: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < x.length / D; b++) {
    let acc = D * Math.log(s);
    for (let i = 0; i < D; i++) acc += -0.5 * ((x[b * D + i]! * s) ** 2 + Math.log(2 * Math.PI));
    out.push(acc);
  }
  return out;
}

describe('fused engine', () => {
  let a: tf.Variable;
  beforeAll(async () => {
    await initBackend('cpu');
    a = tf.variable(tf.scalar(1.5));
  });
  const x = Float32Array.from({ length: 64 * 6 }, (_, i) => Math.sin(i));

  it('compiles through the hook and names the part without a kernel', () => {
    const ok = compileFlow(flowOf({ fusedPlan: (ctx: { describe: (c: unknown, n: string) => PlanNode | PlanNode[] }) => [ctx.describe(layer(scale.kind), '0')].flat() }, prior, a), [2, 3]);
    expect(ok.ok && ok.layout.plan.layers.map((l) => l.kind)).toEqual([scale.kind]);
    expect(ok.ok && [ok.layout.plan.frames, ok.layout.plan.joints]).toEqual([3, 1]);
    const noHook = compileFlow(flowOf({ fusedPlan: (ctx: { describe: (c: unknown, n: string) => PlanNode }) => ctx.describe(new Map(), 'net') }, prior, a), [2, 3]);
    expect(noHook).toEqual({ ok: false, reason: 'transform.net: Map has no fused kernel' });
    const unknown = compileFlow(flowOf(layer('no-such-kind'), prior, a), [2, 3]);
    expect(unknown).toEqual({ ok: false, reason: "transform: no fused kernel is registered for kind 'no-such-kind'" });
    const declined = compileFlow(flowOf({ fusedPlan: () => null }, prior, a), [2, 3]);
    expect(declined).toEqual({ ok: false, reason: 'transform: Object has no fused kernel in this configuration' });
  });

  it('log p, loss gradient and input gradient of a one-layer flow', () => {
    const f = FusedFlow.tryCreate(flowOf(layer(scale.kind), prior, a), [6]) as FusedFlow;
    const lp = f.logProb(x, { threads: 0 });
    exact(x, 1.5, 6).forEach((v, i) => expect(lp[i]).toBeCloseTo(v, 10));
    // loss = mean_b(−log p_b)/(D ln 2): ∂/∂a = mean_b(a Σ x² − D/a)/(D ln 2), ∂/∂x = a² x/(B D ln 2).
    const B = 64;
    const D = 6;
    f.lossAndGrad(x);
    let sq = 0;
    for (const v of x) sq += v * v;
    expect(f.grads[0]).toBeCloseTo((1.5 * sq - B * D / 1.5) / (B * D * Math.LN2), 10);
    const dx = f.inputGradient();
    for (let i = 0; i < x.length; i++) expect(dx[i]).toBeCloseTo((1.5 * 1.5 * x[i]!) / (B * D * Math.LN2), 12);
    f.dispose();
  });

  it('workers import the kernel modules the plan names and give identical numbers', () => {
    const f = FusedFlow.tryCreate(flowOf(layer(scale.kind), prior, a), [6]) as FusedFlow;
    expect(kernelModules(f.plan)).toEqual([scale.module]);
    const one = f.logProb(x, { threads: 0 });
    const two = f.logProb(x, { threads: 1, minPerThread: 1 });
    expect(f.workerThreads).toBe(1);
    expect(Array.from(two)).toEqual(Array.from(one));
    f.dispose();
  });

  it('a worker that cannot load a kernel answers the handshake at once, and the caller does the work', () => {
    const f = FusedFlow.tryCreate(flowOf(layer(lostScale.kind), prior, a), [6]) as FusedFlow;
    expect(kernelModules(f.plan)).toEqual(['file:///nonexistent/skelflow/lost_kernel.js', normal.module]);
    const t0 = Date.now();
    const lp = f.logProb(x, { threads: 1, minPerThread: 1 });
    expect(Date.now() - t0).toBeLessThan(8_000); // not the 10 s handshake timeout
    expect(f.workerThreads).toBe(0);
    exact(x, 1.5, 6).forEach((v, i) => expect(lp[i]).toBeCloseTo(v, 10));
    f.dispose();
  });

  it('a fast path that claims a plan runs it, and its module goes to the workers', () => {
    const claimed: string[] = [];
    const path = registerFastPath<true>({
      name: 'test-double',
      module: 'file:///nonexistent/skelflow/fast_path.js',
      claim: (plan) => (plan.layers.length === 2 && plan.layers.every((l) => l.kind === scale.kind) ? true : null),
      evalSamples: (_c, p) => {
        claimed.push('eval');
        p.out.fill(42, 0, p.n);
      },
    });
    const f = FusedFlow.tryCreate(flowOf({ fusedPlan: () => [{ kind: scale.kind, a: 0 }, { kind: scale.kind, a: 0 }] }, prior, a), [6]) as FusedFlow;
    expect(kernelModules(f.plan)).toContain(path.module);
    expect(Array.from(f.logProb(x.subarray(0, 12), { threads: 0 }))).toEqual([42, 42]);
    expect(claimed).toEqual(['eval']);
    f.dispose();
  });
});
