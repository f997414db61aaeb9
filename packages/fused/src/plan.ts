import type { Variable } from '@tensorflow/tfjs-core';

/**
 * The plan of a fused flow: plain data (structured-cloneable, so a worker thread can run it) that
 * names, per layer, the kernel that runs it (`kind`, a key of the kernel registry) and where its
 * numbers live. Parameters are offsets into one flat float64 parameter vector (the gradient vector
 * has the same layout); running statistics and other state are offsets into one flat float64
 * buffer vector. An offset of −1 means "absent" (e.g. a convolution without bias).
 *
 * The unions are open on purpose: any package can add a layer, conditioner or prior by choosing a
 * new `kind` and registering a kernel for it (see `registry.ts`).
 */
export interface PlanNode {
  /** Registry key of the kernel that runs this node. */
  kind: string;
}

/** One invertible layer of the flow (ActNorm, permutation, coupling, …). */
export type LayerPlan = PlanNode;

/** A conditioner network: `cin` conditioning channels (plus the flow's context) → `cout` channels. */
export interface ConditionerPlan extends PlanNode {
  cin: number;
  cout: number;
}

/** The base distribution of the flow. */
export interface PriorPlan extends PlanNode {
  /** ε added to the variance, as the tensor prior does. */
  varianceEps: number;
}

/** A whole flow: its event shape, layers in data → latent order, prior and vector sizes. */
export interface FlowPlan {
  /** Event shape as given to the compiler (`[C, T, V]`, `[C]`, …). */
  eventShape: number[];
  /** `eventShape[0]`. */
  channels: number;
  /** `eventShape[1]`, or 1. */
  frames: number;
  /** The product of `eventShape[2..]`, or 1: kernels see every event as `[C, T, V]`. */
  joints: number;
  /** Context values per sample (the product of the context's event shape), 0 without context. */
  contextSize: number;
  layers: LayerPlan[];
  prior: PriorPlan;
  paramCount: number;
  bufferCount: number;
}

/**
 * What a module gets when it describes itself for the fused engine: offsets of its variables in
 * the flat vectors, the shapes it runs on, and a way to describe its children.
 */
export interface FusedPlanContext {
  /** Offset of a trainable parameter in the parameter (and gradient) vector. */
  param(v: Variable): number;
  /** Offset of a buffer (running statistics, flags) in the buffer vector. */
  buffer(v: Variable): number;
  /** The flow's event shape (what a layer sees: layers keep the shape). */
  readonly eventShape: readonly number[];
  /** Context values per sample, 0 when the flow is compiled without a context. */
  readonly contextSize: number;
  /**
   * The plan of a child module (a conditioner, a nested layer), or a thrown compile failure that
   * names `path` when the child has no kernel. Layers of a container are returned flattened.
   */
  describe(child: unknown, path: string): PlanNode | PlanNode[];
  /** Aborts compilation with a reason (the flow then stays on tensors). */
  fail(reason: string): never;
}

/**
 * The hook by which a layer, conditioner or prior describes itself to the fused engine: its plan
 * (a container returns its children's plans, flattened), or `null` when this configuration has no
 * kernel. Checked structurally, so any package's module can implement it.
 */
export interface Fusable {
  fusedPlan(ctx: FusedPlanContext): PlanNode | PlanNode[] | null;
}

/** Whether `m` implements {@link Fusable}. */
export function isFusable(m: unknown): m is Fusable {
  return typeof (m as Partial<Fusable> | null)?.fusedPlan === 'function';
}
