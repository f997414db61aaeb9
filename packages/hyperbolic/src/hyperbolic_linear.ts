import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module, uniformTensor } from '@skelflow/core';
import { PoincareBall } from './poincare_ball.js';

/** Options of {@link HyperbolicLinear}. */
export interface HyperbolicLinearOptions {
  /**
   * The ball inputs and outputs live on. A ball passed in is *not* registered as a child module:
   * its owner (e.g. a model sharing one learnable curvature between layers) registers it once.
   * Without one, the layer creates and registers its own ball (child `ball`) from `c`/`learnableC`.
   */
  ball?: PoincareBall;
  /** Curvature of the layer's own ball when `ball` is not given. Default 1. */
  c?: number;
  /** Learn the curvature of the layer's own ball (softplus parameterisation). Default false. */
  learnableC?: boolean;
  /** Add the hyperbolic bias `⊕ expmap0(b)`. Default true. */
  bias?: boolean;
  /** Random stream for the weight initialisation. Default `new Rng(0)`. */
  rng?: Rng;
}

/**
 * Hyperbolic linear layer of HGCN: `y = proj(proj(W ⊗_c x) ⊕_c proj(expmap0(b)))`, a Möbius
 * matrix–vector product followed by a Möbius bias translation, with a projection after every step
 * that can reach the boundary in float32. Input and output are points of the same Poincaré ball,
 * on the last axis.
 *
 * Members: parameters `weight` `[outFeatures, inFeatures]` (Xavier-uniform with gain √2, as HGCN's
 * `HypLinear`), `bias` `[outFeatures]` (zeros; a tangent vector at the origin), and the child
 * module `ball` when the layer owns its ball.
 *
 * References: Ganea, Bécigneul & Hofmann, "Hyperbolic Neural Networks", NeurIPS 2018 (Möbius
 * matvec and bias); Chami, Ying, Ré & Leskovec, "Hyperbolic Graph Convolutional Neural Networks",
 * NeurIPS 2019 (`layers/hyp_layers.py` `HypLinear`).
 *
 * @param inFeatures - input dimension.
 * @param outFeatures - output dimension.
 * @param options - {@link HyperbolicLinearOptions}.
 * @example
 * ```ts
 * const ball = new PoincareBall({ c: 1 });
 * const lin = new HyperbolicLinear(3, 8, { ball, rng: new Rng(1) });
 * const x = ball.proj(ball.expmap0(tf.randomNormal([17, 3]))); // 17 joints
 * const y = lin.call(x);                                       // [17, 8], inside the ball
 * ```
 */
export class HyperbolicLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly ball: PoincareBall;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(inFeatures: number, outFeatures: number, options: HyperbolicLinearOptions = {}) {
    super();
    for (const [name, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new InputError(`${name} must be a positive integer, got ${v}`, { source: 'HyperbolicLinear' });
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = options.rng ?? new Rng(0);
    const bound = Math.sqrt(2) * Math.sqrt(6 / (inFeatures + outFeatures));
    this.weight = this.addParameter('weight', uniformTensor(rng, [outFeatures, inFeatures], -bound, bound));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', tf.zeros([outFeatures])) : null;
    this.ball = options.ball ?? this.addModule('ball', new PoincareBall({ c: options.c ?? 1, learnable: options.learnableC ?? false }));
  }

  /**
   * Applies the layer.
   *
   * @param x - points of the ball `[..., inFeatures]`.
   * @returns points of the ball `[..., outFeatures]`.
   */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`expected [..., ${this.inFeatures}], got [${x.shape}]`, { source: 'HyperbolicLinear' });
    }
    return tf.tidy(() => {
      const b = this.ball;
      const mv = b.proj(b.mobiusMatvec(this.weight, x));
      if (!this.bias) return mv;
      const hb = b.proj(b.expmap0(this.bias));
      return b.proj(b.mobiusAdd(mv, hb));
    });
  }
}

/**
 * Hyperbolic neighbourhood aggregation of HGCN: `proj(expmap0(A · logmap0(x)))` — map the node
 * features to the tangent space at the origin, mix them with the (normalised) adjacency, map back.
 *
 * References: Chami, Ying, Ré & Leskovec, "Hyperbolic Graph Convolutional Neural Networks",
 * NeurIPS 2019 (`HypAgg` without attention).
 *
 * @param x - node features on the ball `[..., N, D]` (nodes on the second-to-last axis).
 * @param adj - adjacency `[N, N]` shared by every leading index, or `[..., N, N]` with the same
 *   leading shape as x. Row i holds the weights of node i's neighbours.
 * @param ball - the ball of x, or its curvature c. Default c = 1.
 * @returns aggregated features on the ball `[..., N, D]`.
 * @example
 * ```ts
 * const ball = new PoincareBall(1);
 * const a = tf.tensor2d([[0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3], [0, 0.5, 0.5]]);
 * const h = hyperbolicAggregate(x, a, ball); // x: [B, 3, D]
 * ```
 */
export function hyperbolicAggregate(x: tf.Tensor, adj: tf.Tensor, ball: PoincareBall | number = 1): tf.Tensor {
  const src = 'hyperbolicAggregate';
  if (x.rank < 2) throw new ShapeError(`x must be [..., N, D], got [${x.shape}]`, { source: src });
  const n = x.shape[x.rank - 2]!;
  if (adj.rank < 2 || adj.shape[adj.rank - 1] !== n || adj.shape[adj.rank - 2] !== n) {
    throw new ShapeError(`adjacency [${adj.shape}] is not [N, N] with N = ${n}`, { source: src });
  }
  if (adj.rank !== 2 && (adj.rank !== x.rank || adj.shape.slice(0, -2).some((d, i) => d !== x.shape[i]))) {
    throw new ShapeError(`batched adjacency [${adj.shape}] does not match x [${x.shape}]`, { source: src });
  }
  const b = typeof ball === 'number' ? new PoincareBall(ball) : ball;
  return tf.tidy(() => {
    const t = b.logmap0(x);
    let mixed: tf.Tensor;
    if (adj.rank === 2 && x.rank > 2) {
      // [..., N, D] → [N, ..., D] → [N, rest]: one 2-D matMul shared by every leading index.
      const r = x.rank;
      const perm = [r - 2, ...Array.from({ length: r - 2 }, (_, i) => i), r - 1];
      const moved = tf.transpose(t, perm);
      const flat = tf.reshape(moved, [n, -1]);
      const out = tf.reshape(tf.matMul(adj, flat), moved.shape);
      const inverse = perm.map((_, i) => perm.indexOf(i));
      mixed = tf.transpose(out, inverse);
    } else {
      mixed = tf.matMul(adj, t);
    }
    return b.proj(b.expmap0(mixed));
  });
}

/**
 * Hyperbolic activation of HGCN: `proj_out(expmap0_out(σ(logmap0_in(x))))`, which also moves the
 * features from the ball of curvature −c_in to the one of −c_out.
 *
 * References: Chami, Ying, Ré & Leskovec, "Hyperbolic Graph Convolutional Neural Networks",
 * NeurIPS 2019 (`HypAct`).
 *
 * @param x - points of `ballIn` `[..., D]`.
 * @param activation - a Euclidean, shape-preserving function (e.g. `tf.relu`).
 * @param ballIn - the ball of x.
 * @param ballOut - the ball of the result. Default `ballIn`.
 * @example
 * ```ts
 * const y = hyperbolicActivation(x, tf.relu, ball);
 * ```
 */
export function hyperbolicActivation(
  x: tf.Tensor,
  activation: (t: tf.Tensor) => tf.Tensor,
  ballIn: PoincareBall,
  ballOut: PoincareBall = ballIn,
): tf.Tensor {
  return tf.tidy(() => ballOut.proj(ballOut.expmap0(activation(ballIn.logmap0(x)))));
}
