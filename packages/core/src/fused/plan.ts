import type { Variable } from '@tensorflow/tfjs-core';

/**
 * The plan of a fused flow: plain data (structured-cloneable, so a worker thread can run it) that
 * says which typed-array kernel runs each layer and where its numbers live. Parameters are offsets
 * into one flat float64 parameter vector (the gradient vector has the same layout); running
 * statistics and other state are offsets into one flat float64 buffer vector. An offset of −1
 * means "absent" (e.g. a convolution without bias).
 */

/** BatchNorm over axis 1 with PyTorch's semantics (biased variance to normalise, unbiased running variance). */
export interface BatchNormPlan {
  channels: number;
  /** Parameter offsets of γ and β, −1 when not affine. */
  weight: number;
  bias: number;
  /** Buffer offsets. */
  runningMean: number;
  runningVar: number;
  numBatchesTracked: number;
  eps: number;
  momentum: number;
}

/**
 * An ST-GCN block whose every adjacency partition is constant (`A[k] = a_k·11ᵀ`), so the graph
 * product is a sum over joints and the temporal branch is joint-independent.
 */
export interface StgcnUniformPlan {
  kind: 'stgcn-uniform';
  cin: number;
  cout: number;
  /** Temporal kernel (odd). */
  kt: number;
  /** a_k of each partition. */
  partitions: number[];
  gcnWeight: number;
  gcnBias: number;
  bn1: BatchNormPlan;
  tcnWeight: number;
  tcnBias: number;
  bn2: BatchNormPlan;
  residual: 'none' | 'identity' | 'conv';
  resWeight: number;
  resBias: number;
  resBn: BatchNormPlan | null;
  finalRelu: boolean;
}

/** A conditioner network the fused engine can run. */
export type ConditionerPlan = StgcnUniformPlan;

export interface ActNormPlan {
  kind: 'actnorm';
  channels: number;
  bias: number;
  logs: number;
  /** Buffer offset of the `initialized` flag. */
  initialized: number;
  /** Target std of the data-dependent initialisation. */
  scale: number;
}

export interface PermutePlan {
  kind: 'permute';
  channels: number;
  /** Fixed order `y[:, i] = x[:, perm[i]]` (channel reversal), used when `permBuffer` is −1. */
  perm: number[];
  /** Buffer offset of a stored order (ShuffleChannels), or −1. */
  permBuffer: number;
}

export interface AffineCouplingPlan {
  kind: 'affine';
  channels: number;
  /** Conditioning channels c1; the other c2 = channels − c1 are transformed. */
  c1: number;
  layout: 'cross' | 'half';
  scaleFn: 'sigmoid2' | 'exp' | 'softclamp';
  bound: number;
  order: 'shiftThenScale' | 'scaleThenShift';
  net: ConditionerPlan;
}

export type LayerPlan = ActNormPlan | PermutePlan | AffineCouplingPlan;

/** Prior: a Gaussian with unit variance around ±R·label (GmmPrior) or a fixed diagonal Gaussian. */
export type PriorPlan =
  | { kind: 'gmm'; radius: number; varianceEps: number }
  | {
      kind: 'diagonal';
      /** Buffer offsets and sizes (1 = broadcast scalar, else the full event size). */
      mean: number;
      meanSize: number;
      logStd: number;
      logStdSize: number;
      varianceEps: number;
    };

export interface FlowPlan {
  /** Event shape `[C, T, V]`. */
  channels: number;
  frames: number;
  joints: number;
  layers: LayerPlan[];
  prior: PriorPlan;
  paramCount: number;
  bufferCount: number;
}

/**
 * Resolves a module's variables to offsets in the fused engine's flat vectors while a plan is
 * compiled.
 */
export interface FusedPlanContext {
  /** Offset of a trainable parameter in the parameter (and gradient) vector. */
  param(v: Variable): number;
  /** Offset of a buffer (running statistics, flags) in the buffer vector. */
  buffer(v: Variable): number;
}

/**
 * A conditioner network that the fused engine can run: it describes itself as a
 * {@link ConditionerPlan}, or returns `null` when its configuration has no fused kernel (then the
 * flow runs on tensors).
 */
export interface FusableConditioner {
  fusedPlan(ctx: FusedPlanContext): ConditionerPlan | null;
}

/** Whether `m` implements {@link FusableConditioner}. */
export function isFusableConditioner(m: unknown): m is FusableConditioner {
  return typeof (m as Partial<FusableConditioner> | null)?.fusedPlan === 'function';
}
