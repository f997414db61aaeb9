import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { HyperbolicActivation, type TangentActivation } from './hyperbolic_activation.js';
import { hyperbolicAggregate, HyperbolicLinear } from './hyperbolic_linear.js';
import { PoincareBall } from './poincare_ball.js';

/** Options of {@link HgcnLayer}. */
export interface HgcnLayerOptions {
  /**
   * The ball of inputs and outputs. A ball passed in is not registered here (its owner registers
   * it once, e.g. one learnable curvature per flow step shared by its layers); without one the
   * layer owns a ball (child `ball`) built from `c` / `learnableC`.
   */
  ball?: PoincareBall;
  /** Curvature of the layer's own ball. Default 1. */
  c?: number;
  /** Learn the curvature of the layer's own ball (softplus). Default false. */
  learnableC?: boolean;
  /** Tangent-space activation after the aggregation. Default `'relu'`. */
  activation?: TangentActivation;
  /** Hyperbolic bias of the linear part. Default true. */
  bias?: boolean;
  rng?: Rng;
}

/**
 * Row-normalised adjacency with self-loops, `D⁻¹(A + I)`, from undirected edges: row i holds the
 * weights of node i's neighbours (itself included) and sums to 1, so the aggregation is a weighted
 * mean in the tangent space at 0 (HGCN's `normalize(adj + eye)`).
 *
 * @param numNodes - N.
 * @param edges - undirected edges as index pairs.
 * @returns `[N][N]`, float64.
 * @example
 * ```ts
 * meanAdjacency(3, [[0, 1], [1, 2]]); // [[1/2, 1/2, 0], [1/3, 1/3, 1/3], [0, 1/2, 1/2]]
 * ```
 */
export function meanAdjacency(numNodes: number, edges: readonly (readonly [number, number])[]): number[][] {
  if (!(Number.isInteger(numNodes) && numNodes > 0)) throw new InputError(`numNodes must be a positive integer, got ${numNodes}`, { source: 'meanAdjacency' });
  const a = Array.from({ length: numNodes }, (_, i) => Array.from({ length: numNodes }, (_, j): number => (i === j ? 1 : 0)));
  for (const [i, j] of edges) {
    if (!(i >= 0 && i < numNodes && j >= 0 && j < numNodes)) throw new InputError(`edge [${i}, ${j}] is outside 0..${numNodes - 1}`, { source: 'meanAdjacency' });
    a[i]![j] = 1;
    a[j]![i] = 1;
  }
  return a.map((row) => {
    const s = row.reduce((p, v) => p + v, 0);
    return row.map((v) => v / s);
  });
}

/**
 * One HGCN layer on graph nodes: `act(agg(lin(x)))` = {@link HyperbolicLinear} (Möbius matvec and
 * bias) → {@link hyperbolicAggregate} with a fixed adjacency (tangent space at 0) →
 * {@link HyperbolicActivation}. Inputs and outputs are points of the same ball, nodes on the
 * second-to-last axis: `[..., N, inFeatures]` → `[..., N, outFeatures]`. For skeletons, N is the
 * number of joints and the adjacency a real (non-uniform) bone graph, e.g. {@link meanAdjacency}
 * of the layout's edges.
 *
 * Members: child `lin` ({@link HyperbolicLinear}: `lin.weight`, `lin.bias`), child `ball` when
 * the layer owns its ball. The adjacency is a fixed tensor, not in the state dict (as ST-GCN's
 * `A`); `dispose()` frees it.
 *
 * References: Chami, Ying, Ré & Leskovec, "Hyperbolic Graph Convolutional Neural Networks",
 * NeurIPS 2019 (`layers/hyp_layers.py` `HyperbolicGraphConvolution` = HypLinear → HypAgg → HypAct,
 * without attention and with one curvature in and out).
 *
 * @param inFeatures - input dimension.
 * @param outFeatures - output dimension.
 * @param adjacency - `[N][N]`, row i = weights of node i's neighbours.
 * @param options - {@link HgcnLayerOptions}.
 * @example
 * ```ts
 * const layer = new HgcnLayer(8, 8, meanAdjacency(3, [[0, 1], [1, 2]]), { c: 1, rng: new Rng(0) });
 * const y = layer.call(x); // x: [B, 3, 8] on the ball
 * ```
 */
export class HgcnLayer extends Module {
  readonly ball: PoincareBall;
  readonly lin: HyperbolicLinear;
  readonly act: HyperbolicActivation;
  /** `[N, N]`, fixed. */
  readonly adjacency: tf.Tensor2D;
  readonly numNodes: number;

  constructor(inFeatures: number, outFeatures: number, adjacency: readonly (readonly number[])[], options: HgcnLayerOptions = {}) {
    super();
    const n = adjacency.length;
    if (n === 0 || adjacency.some((r) => r.length !== n || r.some((v) => !Number.isFinite(v)))) {
      throw new ShapeError(`adjacency must be a finite [N][N] matrix`, { source: 'HgcnLayer' });
    }
    this.numNodes = n;
    this.ball = options.ball ?? this.addModule('ball', new PoincareBall({ c: options.c ?? 1, learnable: options.learnableC ?? false }));
    this.lin = this.addModule('lin', new HyperbolicLinear(inFeatures, outFeatures, { ball: this.ball, bias: options.bias ?? true, rng: options.rng ?? new Rng(0) }));
    this.act = new HyperbolicActivation(this.ball, options.activation ?? 'relu');
    // Kept: a layer may be built inside someone's tf.tidy, and the adjacency must outlive it.
    this.adjacency = tf.keep(tf.tensor2d(adjacency.map((r) => [...r]), [n, n], 'float32'));
  }

  /** `[..., N, inFeatures]` on the ball → `[..., N, outFeatures]` on the ball. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank < 2 || x.shape[x.rank - 2] !== this.numNodes) {
      throw new ShapeError(`expected [..., ${this.numNodes}, ${this.lin.inFeatures}], got [${x.shape}]`, { source: 'HgcnLayer' });
    }
    return tf.tidy(() => this.act.call(hyperbolicAggregate(this.lin.call(x), this.adjacency, this.ball)));
  }

  override dispose(): void {
    this.adjacency.dispose();
    super.dispose();
  }
}
