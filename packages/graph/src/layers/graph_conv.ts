import * as tf from '@tensorflow/tfjs-core';
import { addChannelBias, channelMatMul } from '@skelflow/nn';
import { Module, defaultInit, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';
import type { Adjacency } from '../adjacency/graph.js';

/**
 * A partitioned adjacency `[K, V, V]` in any of the forms GraphConv takes: a
 * {@link SkeletonGraph} (or any `{ data, shape }`), nested arrays, or a rank-3 tensor (copied).
 */
export type AdjacencyInput = Adjacency | readonly (readonly (readonly number[])[])[] | tf.Tensor;

/** Options of {@link GraphConv}. */
export interface GraphConvOptions extends InitOptions {
  /** Learnable bias; default true (ST-GCN's). */
  bias?: boolean;
  /**
   * Allow the structure-aware shortcut when every partition of A is constant (default true).
   * Set false to force the general graph product, e.g. to cross-check.
   */
  fastPath?: boolean;
}

function toAdjacency(a: AdjacencyInput): { data: Float32Array; shape: [number, number, number] } {
  if (a instanceof tf.Tensor) {
    if (a.rank !== 3) throw new ShapeError(`adjacency must be [K, V, V], got [${a.shape}]`, { source: 'GraphConv' });
    return { data: Float32Array.from(a.dataSync()), shape: a.shape as [number, number, number] };
  }
  if ('data' in a && 'shape' in a) return { data: Float32Array.from(a.data), shape: [...a.shape] as [number, number, number] };
  const arr = a as readonly (readonly (readonly number[])[])[];
  const k = arr.length;
  const v = arr[0]?.length ?? 0;
  const data = new Float32Array(k * v * v);
  arr.forEach((m, ki) => {
    if (m.length !== v) throw new ShapeError('adjacency partitions must all be V×V', { source: 'GraphConv' });
    m.forEach((row, i) => {
      if (row.length !== v) throw new ShapeError('adjacency partitions must all be V×V', { source: 'GraphConv' });
      row.forEach((x, j) => (data[(ki * v + i) * v + j] = x));
    });
  });
  return { data, shape: [k, v, v] };
}

/**
 * ST-GCN's spatial graph convolution (`ConvTemporalGraphical` with temporal kernel 1): a 1×1
 * convolution `Cin → Cout·K` with bias, split into K partitions, each multiplied by its adjacency
 * and summed, `y = einsum('nkctv,kvw->nctw', conv(x).view(n, K, Cout, T, V), A)`.
 *
 * `A` is a fixed tensor field, not a parameter or buffer: it is *not* in `stateDict()`, just as
 * the original keeps it outside `state_dict` (STG-NF rebuilds it from the layout), so checkpoints
 * hold only `weight` and `bias`. `dispose()` frees it.
 *
 * The graph product is a transpose plus one 2-D matMul (no `tf.einsum`: it has no gradient, and no
 * wasm kernel). When every partition of A is constant — `A[k] = a_k · 11ᵀ`, e.g. STG-NF's
 * uniform/maxHop 8 graph, ones/18 — the product collapses to a sum over joints broadcast back:
 * `y = (Σ_k a_k W_k) · Σ_v x + V·Σ_k a_k b_k` for every joint. This is chosen automatically
 * (`usesFastPath`); it is the same function, computed in O(T) instead of O(T·V²) per channel,
 * and differs from the general path only by float32 rounding.
 *
 * Parameters: `weight` `[Cout·K, Cin]` (PyTorch `gcn.conv.weight` `[Cout·K, Cin, 1, 1]`
 * reshaped; row `k·Cout + c` feeds partition k, channel c), `bias` `[Cout·K]`. Default init
 * U(±1/√Cin) as PyTorch's.
 *
 * References: Yan et al., ST-GCN, AAAI 2018; Hirschorn & Avidan, STG-NF, ICCV 2023.
 *
 * @param inChannels - Cin.
 * @param outChannels - Cout.
 * @param adjacency - `[K, V, V]` ({@link AdjacencyInput}); `A[k][v][w]` weighs joint v into w.
 * @param options - {@link GraphConvOptions}.
 * @example
 * ```ts
 * const g = new SkeletonGraph('openpose18', { strategy: 'uniform', maxHop: 8 });
 * const gcn = new GraphConv(1, 2, g, { seed: 0 }); // gcn.usesFastPath === true
 * const y = gcn.call(tf.randomNormal([8, 1, 24, 18])); // [8, 2, 24, 18]
 * ```
 */
export class GraphConv extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Number of partitions K. */
  readonly kernelSize: number;
  /** Number of joints V. */
  readonly numNodes: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  /** The fixed adjacency `[K, V, V]`; deliberately outside the state dict. */
  readonly A: tf.Tensor;
  /** `a_k` when every partition k of A is the constant `a_k`, else null. */
  readonly uniformWeights: readonly number[] | null;
  /** True when `call` uses the sum-over-joints shortcut. */
  readonly usesFastPath: boolean;
  private readonly ones: tf.Tensor | null;

  constructor(inChannels: number, outChannels: number, adjacency: AdjacencyInput, options: GraphConvOptions = {}) {
    super();
    const { data, shape } = toAdjacency(adjacency);
    const [k, v, w] = shape;
    if (k < 1 || v < 1 || v !== w) throw new ShapeError(`adjacency must be [K, V, V], got [${shape}]`, { source: 'GraphConv' });
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.numNodes = v;
    const rng = resolveRng(options);
    this.weight = this.addParameter('weight', defaultInit(rng, [outChannels * k, inChannels], inChannels));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', defaultInit(rng, [outChannels * k], inChannels)) : null;
    // Kept: a layer may be built inside someone's tf.tidy, and A must outlive it.
    this.A = tf.keep(tf.tensor3d(data, shape));
    this.uniformWeights = constantPartitions(data, k, v);
    this.usesFastPath = (options.fastPath ?? true) && this.uniformWeights !== null;
    this.ones = this.usesFastPath ? tf.keep(tf.ones([1, 1, 1, v])) : null;
  }

  /** `[B, Cin, T, V]` → `[B, Cout, T, V]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels || x.shape[3] !== this.numNodes) {
      throw new ShapeError(`expected [B, ${this.inChannels}, T, ${this.numNodes}], got [${x.shape}]`, { source: 'GraphConv' });
    }
    return tf.tidy(() => (this.usesFastPath ? this.callUniform(x) : this.callGeneral(x)));
  }

  private callGeneral(x: tf.Tensor): tf.Tensor {
    const [b, , t, v] = x.shape as [number, number, number, number];
    const k = this.kernelSize;
    const c = this.outChannels;
    let h = channelMatMul(x, this.weight);
    if (this.bias) h = addChannelBias(h, this.bias);
    // Bring (k, v) together so the sum over both is one matMul with A viewed as [K·V, W].
    const rows = k === 1
      ? tf.reshape(h, [b * c * t, v])
      : tf.reshape(tf.transpose(tf.reshape(h, [b, k, c, t, v]), [0, 2, 3, 1, 4]), [b * c * t, k * v]);
    return tf.reshape(tf.matMul(rows, tf.reshape(this.A, [k * v, v])), [b, c, t, v]);
  }

  /**
   * With a uniform adjacency every output joint receives the same value, so the result is returned
   * once per frame, `[B, Cout, T, 1]`, for callers (like {@link StgcnBlock}) that keep working on
   * the joint-constant signal. Computed as PyTorch does it — conv with bias per joint, then the
   * weighted sum over joints — so rounding stays close to the original's; only valid when
   * {@link GraphConv.usesFastPath}.
   */
  callJointConstant(x: tf.Tensor): tf.Tensor {
    if (!this.usesFastPath) throw new ShapeError('the adjacency is not uniform; use call()', { source: 'GraphConv' });
    return tf.tidy(() => {
      const [b, , t] = x.shape as [number, number, number, number];
      const k = this.kernelSize;
      const c = this.outChannels;
      let h = channelMatMul(x, this.weight);
      if (this.bias) h = addChannelBias(h, this.bias);
      // Σ_v h_v·a_k = a_k·V·mean_v(h): the mean reduces in double precision on every backend.
      const m = tf.mean(h, 3, true);
      const w = (this.uniformWeights as number[]).map((a) => a * this.numNodes);
      if (k === 1) return w[0] === 1 ? m : tf.mul(m, w[0]!);
      return tf.sum(tf.mul(tf.reshape(m, [b, k, c, t, 1]), tf.tensor5d(w, [1, k, 1, 1, 1])), 1);
    });
  }

  private callUniform(x: tf.Tensor): tf.Tensor {
    // Broadcasting multiply, not broadcastTo: its gradient is one reduction instead of a Tile loop.
    return tf.mul(this.callJointConstant(x), this.ones as tf.Tensor);
  }

  override dispose(): void {
    this.A.dispose();
    this.ones?.dispose();
    super.dispose();
  }
}

/** Per-partition constants if every entry of each `[V, V]` block is bit-identical, else null. */
function constantPartitions(data: Float32Array, k: number, v: number): number[] | null {
  const out: number[] = [];
  for (let p = 0; p < k; p++) {
    const first = data[p * v * v]!;
    for (let i = 1; i < v * v; i++) if (data[p * v * v + i] !== first) return null;
    out.push(first);
  }
  return out;
}
