import type { ConditionerPlan, FlowPlan, LayerPlan, PlanNode, PriorPlan } from './plan.js';
import type { Scratch } from './scratch.js';

/** The shape every kernel runs on: events `[C, T, V]` (`N = T·V` positions), `K` context values per sample. */
export interface Dims {
  C: number;
  T: number;
  V: number;
  N: number;
  K: number;
}

/** What every batch kernel call gets: the flat vectors, scratch, batch size, shape, scratch-key prefix and context. */
export interface BatchArgs {
  P: Float64Array;
  S: Float64Array;
  ws: Scratch;
  B: number;
  dims: Dims;
  /** Prefix of this layer's (or conditioner's) scratch keys, unique per instance in the plan. */
  key: string;
  /** `[B, K]` context, or null. */
  context: Float64Array | null;
}

/** Arguments of {@link LayerKernel.forward}: `x` `[B, C, N]` → `y` (a distinct array). */
export interface LayerForwardArgs extends BatchArgs {
  x: Float64Array;
  y: Float64Array;
  /** Per-sample log-determinants to add to. */
  ld: Float64Array;
  /** Batch statistics, running-statistics updates, data-dependent initialisation; keep what backward needs under `key`. */
  train: boolean;
}

/** Arguments of {@link LayerKernel.backward} (after a train-mode forward on the same batch). */
export interface LayerBackwardArgs extends BatchArgs {
  /** Gradient vector to accumulate into. */
  G: Float64Array;
  /** The layer's forward input and output. */
  x: Float64Array;
  y: Float64Array;
  /** Gradient with respect to y (may be overwritten); write the gradient with respect to x into `dx`. */
  dy: Float64Array;
  dx: Float64Array;
  /** ∂loss/∂logdet per sample. */
  wld: Float64Array;
}

/**
 * One sample in the eval fast loop: channel `c` of the sample is `za[off[c] .. off[c] + N]`, so a
 * permutation can relabel channels (rewrite `off`) instead of moving them.
 */
export interface EvalSampleArgs {
  P: Float64Array;
  S: Float64Array;
  ws: Scratch;
  za: Float64Array;
  off: Int32Array;
  dims: Dims;
  /** This sample's `K` context values, or null. */
  context: Float64Array | null;
}

/** What every registered kernel says about itself. */
export interface RegisteredKernel {
  /** The plan kind this kernel runs. */
  readonly kind: string;
  /** URL (or specifier) of the module that registers this kernel: a worker imports it. */
  readonly module: string;
}

/** The typed-array kernel of one layer kind. */
export interface LayerKernel<L extends LayerPlan = LayerPlan> extends RegisteredKernel {
  forward(layer: L, a: LayerForwardArgs): void;
  backward(layer: L, a: LayerBackwardArgs): void;
  /**
   * Optional eval path on one sample in place (with {@link LayerKernel.evalPrepare}'s constants);
   * returns the sample's log-determinant. Without it, scoring runs `forward` in eval mode.
   */
  evalSample?(layer: L, prep: unknown, a: EvalSampleArgs): number;
  /** Per-call constants of {@link LayerKernel.evalSample} (folded once, not per sample). */
  evalPrepare?(layer: L, P: Float64Array, S: Float64Array, dims: Dims): unknown;
}

/** Arguments of {@link ConditionerKernel.forward}: `x1` `[B, cin, N]` → `h` `[B, cout, N]`. */
export interface ConditionerForwardArgs extends BatchArgs {
  x1: Float64Array;
  h: Float64Array;
  train: boolean;
}

/** Arguments of {@link ConditionerKernel.backward}: from `dh` (may be overwritten) into `dx1` (overwritten) and G. */
export interface ConditionerBackwardArgs extends BatchArgs {
  G: Float64Array;
  x1: Float64Array;
  h: Float64Array;
  dh: Float64Array;
  dx1: Float64Array;
}

/** Arguments of {@link ConditionerKernel.evalSample}: reads channels `off[0..cin)` of the sample, writes `h` `[cout, N]`. */
export interface ConditionerEvalArgs extends EvalSampleArgs {
  h: Float64Array;
}

/** The typed-array kernel of a conditioner network kind (run by a coupling's kernel). */
export interface ConditionerKernel<N extends ConditionerPlan = ConditionerPlan> extends RegisteredKernel {
  forward(net: N, a: ConditionerForwardArgs): void;
  backward(net: N, a: ConditionerBackwardArgs): void;
  evalSample?(net: N, prep: unknown, a: ConditionerEvalArgs): void;
  evalPrepare?(net: N, P: Float64Array, S: Float64Array, dims: Dims): unknown;
}

/** The kernel of a prior kind. Element `(c, i)` of a latent is `z[off[c] + i]`. */
export interface PriorKernel<Q extends PriorPlan = PriorPlan> extends RegisteredKernel {
  /** log p(z) in nats of one sample; `label` is its mixture component (+1 / −1; 1 without labels). */
  logProb(prior: Q, S: Float64Array, z: Float64Array, off: ArrayLike<number>, dims: Dims, label: number): number;
  /** Writes `w·∂(−log p)/∂z` of the contiguous sample `z[o .. o + C·N]` into `dz` at the same offsets. */
  gradient(prior: Q, S: Float64Array, z: Float64Array, o: number, dims: Dims, label: number, w: number, dz: Float64Array): void;
}

/**
 * A whole-flow fast path: claims plans of a shape it knows (returning whatever it needs later,
 * or null) and runs them faster than layer by layer, e.g. STG-NF's fused steps. Every hook is
 * optional; the generic drivers run what a fast path leaves out.
 */
export interface FastPath<Claim = unknown> {
  /** Unique name (re-registering a name replaces it). */
  readonly name: string;
  readonly module: string;
  claim(plan: FlowPlan): Claim | null;
  /** Train-mode forward of the layers: adds log-determinants to `ld`, returns z `[B, C·N]` (kept until backward). */
  trainForward?(claim: Claim, a: { plan: FlowPlan; P: Float64Array; S: Float64Array; ws: Scratch; x: Float64Array; B: number; ld: Float64Array; context: Float64Array | null }): Float64Array;
  /** Backward of {@link FastPath.trainForward}, from `dz` (may be overwritten) into G; returns the gradient with respect to x. */
  trainBackward?(claim: Claim, a: { plan: FlowPlan; P: Float64Array; S: Float64Array; G: Float64Array; ws: Scratch; B: number; dz: Float64Array; wld: Float64Array; context: Float64Array | null }): Float64Array;
  /** Eval-mode log p (nats) of `n` float32 samples, prior included. */
  evalSamples?(claim: Claim, a: { plan: FlowPlan; P: Float64Array; S: Float64Array; ws: Scratch; x: Float32Array; n: number; out: Float64Array; context: Float64Array | null }): void;
}

interface Registry {
  layers: Map<string, LayerKernel>;
  conditioners: Map<string, ConditionerKernel>;
  priors: Map<string, PriorKernel>;
  fastPaths: FastPath[];
}

// One registry per process or worker, shared by every copy of this module (ESM and CJS builds,
// TypeScript sources next to a built bundle): kernels registered through any copy are found.
const KEY = Symbol.for('@skelflow/fused.registry.v1');
const registry: Registry = ((globalThis as Record<symbol, Registry | undefined>)[KEY] ??= {
  layers: new Map(),
  conditioners: new Map(),
  priors: new Map(),
  fastPaths: [],
});

/** Registers (or replaces) the kernel of a layer kind. Returns the kernel, so modules can export it. */
export function registerLayerKernel<L extends LayerPlan>(k: LayerKernel<L>): LayerKernel<L> {
  registry.layers.set(k.kind, k as unknown as LayerKernel);
  return k;
}

/** Registers (or replaces) the kernel of a conditioner kind. */
export function registerConditionerKernel<N extends ConditionerPlan>(k: ConditionerKernel<N>): ConditionerKernel<N> {
  registry.conditioners.set(k.kind, k as unknown as ConditionerKernel);
  return k;
}

/** Registers (or replaces) the kernel of a prior kind. */
export function registerPriorKernel<Q extends PriorPlan>(k: PriorKernel<Q>): PriorKernel<Q> {
  registry.priors.set(k.kind, k as unknown as PriorKernel);
  return k;
}

/** Registers (or replaces, by name) a whole-flow fast path; fast paths are tried in registration order. */
export function registerFastPath<C>(f: FastPath<C>): FastPath<C> {
  const i = registry.fastPaths.findIndex((p) => p.name === f.name);
  if (i >= 0) registry.fastPaths[i] = f as FastPath;
  else registry.fastPaths.push(f as FastPath);
  return f;
}

function missing(what: string, kind: string): never {
  throw new Error(`no fused ${what} kernel is registered for kind '${kind}'`);
}

/** The registered kernel of a layer kind (throws when none is). */
export function layerKernel(kind: string): LayerKernel {
  return registry.layers.get(kind) ?? missing('layer', kind);
}

/** The registered kernel of a conditioner kind (throws when none is). */
export function conditionerKernel(kind: string): ConditionerKernel {
  return registry.conditioners.get(kind) ?? missing('conditioner', kind);
}

/** The registered kernel of a prior kind (throws when none is). */
export function priorKernel(kind: string): PriorKernel {
  return registry.priors.get(kind) ?? missing('prior', kind);
}

/** Whether some kernel (layer, conditioner or prior) is registered for `kind`. */
export function hasKernel(kind: string): boolean {
  return registry.layers.has(kind) || registry.conditioners.has(kind) || registry.priors.has(kind);
}

/** The first registered fast path that claims `plan` and has `hook`, with its claim. */
export function findFastPath(plan: FlowPlan, hook: 'trainForward' | 'evalSamples'): { path: FastPath; claim: unknown } | null {
  for (const path of registry.fastPaths) {
    if (!path[hook]) continue;
    const claim = path.claim(plan);
    if (claim !== null) return { path, claim };
  }
  return null;
}

/**
 * The modules a worker must import to run `plan`: those of every registered kernel a node of the
 * plan names (layers, nested conditioners, the prior) and of every fast path that claims it.
 */
export function kernelModules(plan: FlowPlan): string[] {
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const kind = (node as Partial<PlanNode>).kind;
    if (typeof kind === 'string') {
      const k = registry.layers.get(kind) ?? registry.conditioners.get(kind) ?? registry.priors.get(kind);
      if (k) out.add(k.module);
    }
    for (const v of Object.values(node)) visit(v);
  };
  visit(plan.layers);
  visit(plan.prior);
  for (const f of registry.fastPaths) if (f.claim(plan) !== null) out.add(f.module);
  return [...out];
}
