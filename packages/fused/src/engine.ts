import type { FlowPlan } from './plan.js';
import { findFastPath, layerKernel, priorKernel, type Dims, type FastPath } from './registry.js';
import type { Scratch } from './scratch.js';

/** The kernel shape of a plan. */
export function planDims(plan: FlowPlan): Dims {
  return { C: plan.channels, T: plan.frames, V: plan.joints, N: plan.frames * plan.joints, K: plan.contextSize };
}

/** What a train-mode forward leaves for the backward pass of the same batch. */
interface TrainRecord {
  input: Float64Array;
  z: Float64Array;
  fast: { path: FastPath; claim: unknown } | null;
}
const trainRecords = new WeakMap<Scratch, TrainRecord>();

/**
 * Forward pass of `B` samples `x` (`[B, C, T, V]`, float64) through the plan's kernels. Writes
 * log p(x) in nats to `logp` and returns the latent z (a scratch array, valid until the next
 * call). `train` uses batch statistics, updates running statistics, runs data-dependent
 * initialisations and keeps every intermediate for {@link backward}. A registered fast path that
 * claims the plan (with both train hooks) runs the layers instead of the generic loop.
 */
export function forward(
  plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float64Array, B: number,
  labels: ArrayLike<number> | null, context: Float64Array | null, train: boolean, logp: Float64Array,
): Float64Array {
  const dims = planDims(plan);
  const D = dims.C * dims.N;
  const ld = ws.get('logdet', B);
  ld.fill(0, 0, B);
  let cur = x;
  const fast = train ? findFastPath(plan, 'trainForward') : null;
  if (fast && fast.path.trainBackward) {
    cur = fast.path.trainForward!(fast.claim, { plan, P, S, ws, x, B, ld, context });
  } else {
    plan.layers.forEach((L, i) => {
      // Train mode keeps every layer's output for the backward pass; eval mode ping-pongs.
      const y = ws.get(train ? `act${i + 1}` : `pp${i & 1}`, B * D);
      layerKernel(L.kind).forward(L, { P, S, ws, x: cur, y, B, dims, ld, train, key: train ? `L${i}.` : `${L.kind}.`, context });
      cur = y;
    });
  }
  if (train) trainRecords.set(ws, { input: x, z: cur, fast: fast && fast.path.trainBackward ? fast : null });
  const prior = priorKernel(plan.prior.kind);
  const off = new Int32Array(dims.C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < dims.C; c++) off[c] = b * D + c * dims.N;
    logp[b] = prior.logProb(plan.prior, S, cur, off, dims, labels ? labels[b]! : 1) + ld[b]!;
  }
  return cur;
}

/**
 * Gradient of `Σ_b w_b·(−log p(x_b))` with respect to every parameter, written to `G` (zeroed
 * first), after a `forward(..., train = true)` call on the same batch and scratch. Returns the
 * gradient with respect to the input x, `[B, C·N]` (a scratch array, valid until the next call).
 */
export function backward(
  plan: FlowPlan, P: Float64Array, S: Float64Array, G: Float64Array, ws: Scratch, B: number,
  labels: ArrayLike<number> | null, context: Float64Array | null, w: Float64Array,
): Float64Array {
  const rec = trainRecords.get(ws);
  if (!rec) throw new Error('backward needs a train-mode forward on the same scratch first');
  const dims = planDims(plan);
  const D = dims.C * dims.N;
  G.fill(0);
  let dcur = ws.get('d0', B * D);
  let dnext = ws.get('d1', B * D);
  const wld = ws.get('wld', B);
  const prior = priorKernel(plan.prior.kind);
  for (let b = 0; b < B; b++) {
    // loss = Σ_b w_b·(−log p_b): ∂/∂logdet_b = −w_b; the prior writes w_b·∂(−log p(z_b))/∂z_b.
    wld[b] = -w[b]!;
    prior.gradient(plan.prior, S, rec.z, b * D, dims, labels ? labels[b]! : 1, w[b]!, dcur);
  }
  if (rec.fast) {
    return rec.fast.path.trainBackward!(rec.fast.claim, { plan, P, S, G, ws, B, dz: dcur, wld, context });
  }
  const L = plan.layers.length;
  for (let i = L - 1; i >= 0; i--) {
    const layer = plan.layers[i]!;
    const x = i === 0 ? rec.input : ws.get(`act${i}`, 0);
    const y = ws.get(`act${i + 1}`, 0);
    layerKernel(layer.kind).backward(layer, { P, S, G, ws, x, y, dy: dcur, dx: dnext, B, dims, wld, key: `L${i}.`, context });
    const t = dcur;
    dcur = dnext;
    dnext = t;
  }
  return dcur;
}

/** Samples per eval-mode `forward` call when a layer has no one-sample path. */
const EVAL_CHUNK = 32;

/**
 * Eval-mode log p of `n` float32 samples (`context`: `[n, K]` or null): a claiming fast path, else
 * one sample at a time through every layer's `evalSample` (the sample's numbers stay in cache),
 * else eval-mode {@link forward} on small chunks.
 */
export function logProbSamples(
  plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, out: Float64Array,
  context: Float64Array | null = null,
): void {
  const fast = findFastPath(plan, 'evalSamples');
  if (fast) {
    fast.path.evalSamples!(fast.claim, { plan, P, S, ws, x, n, out, context });
    return;
  }
  const dims = planDims(plan);
  const { C, N, K } = dims;
  const D = C * N;
  const kernels = plan.layers.map((L) => layerKernel(L.kind));
  if (!kernels.every((k) => k.evalSample)) {
    const xb = ws.get('evalChunk', EVAL_CHUNK * D);
    const lp = ws.get('evalLogp', EVAL_CHUNK);
    for (let s = 0; s < n; s += EVAL_CHUNK) {
      const m = Math.min(EVAL_CHUNK, n - s);
      for (let i = 0; i < m * D; i++) xb[i] = x[s * D + i]!;
      forward(plan, P, S, ws, xb, m, null, context ? context.subarray(s * K, (s + m) * K) : null, false, lp);
      out.set(lp.subarray(0, m), s);
    }
    return;
  }
  const preps = plan.layers.map((L, i) => kernels[i]!.evalPrepare?.(L, P, S, dims));
  const prior = priorKernel(plan.prior.kind);
  const za = ws.get('sample', D);
  const off = new Int32Array(C);
  for (let s = 0; s < n; s++) {
    for (let i = 0, j = s * D; i < D; i++, j++) za[i] = x[j]!;
    for (let c = 0; c < C; c++) off[c] = c * N;
    const a = { P, S, ws, za, off, dims, context: context ? context.subarray(s * K, (s + 1) * K) : null };
    let logdet = 0;
    for (let li = 0; li < kernels.length; li++) logdet += kernels[li]!.evalSample!(plan.layers[li]!, preps[li], a);
    out[s] = prior.logProb(plan.prior, S, za, off, dims, 1) + logdet;
  }
}
