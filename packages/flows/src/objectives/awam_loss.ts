import * as tf from '@tensorflow/tfjs-core';
import { InputError, type Rng } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';

/**
 * One space the approximate mass is measured in: a tensor `[B, ...]` the per-sample NLL depends on
 * (the input x, a conditioner's Euclidean output h_E, the hyperbolic tangent vectors u_H …) into
 * which the objective adds perturbations, and its emphasis ρ_s.
 */
export interface MassSpace {
  /** Name (for reports). */
  name: string;
  /** Shape of the perturbation, `[B, ...]`; d_s = product of the non-batch axes. */
  shape: readonly number[];
  /** ρ_s: the mean of this space's weights over the batch. */
  emphasis: number;
}

/** Options of {@link awamLoss}; defaults are the DSNF model card's (§3.3). */
export interface AwamOptions {
  /** α, the weight of the mass term; default 0.1 (Chali et al.'s `--alpha`). 0 = plain NLL. */
  alpha?: number;
  /** Adaptive weights `ρ_s · B · softmax_b(AM_{b,s}/τ)` (true, default) or constant ρ_s (false). */
  adaptive?: boolean;
  /** τ of the softmax; default 1. */
  temperature?: number;
  /** J, random directions per space and step; default 1. */
  directions?: number;
  /** ε of the central differences; default 1e-2 (see {@link awamLoss} on float32). */
  epsilon?: number;
  /**
   * Variables (BatchNorm running statistics) that the perturbed passes must not move: their values
   * after the unperturbed pass are restored after the perturbed ones, so only the clean batch
   * updates them.
   */
  buffers?: readonly tf.Variable[];
  /**
   * Directions to use instead of random ones (e.g. a PyTorch twin's, for parity tests): direction j
   * of space s, `[B, ...]`, normalised per sample here. The result is owned by the caller.
   */
  directionsFor?: (space: number, j: number) => tf.Tensor;
  /**
   * Run the clean and all 2·J·S perturbed copies as one batch of (1 + 2·J·S)·B samples (one call of
   * `nllOf` with perturbations of that batch, zero outside each space's own copies; the caller
   * repeats its input to match). Same objective up to O(ε²) through BatchNorm's batch statistics
   * (the ± copies cancel in the mean), and one pass of tensor ops instead of 1 + 2·J·S — tfjs's
   * time is dispatch. BatchNorm's running statistics then come from the stacked batch. Default false.
   */
  stacked?: boolean;
}

/** What {@link awamLoss} computed; `loss` carries the gradient, the rest are for reports and tests. */
export interface AwamResult {
  /** The training objective (scalar). */
  loss: tf.Scalar;
  /** mean_b NLL_b of the unperturbed pass. */
  nll: number;
  /** AM_{b,s}, `[B][S]`, as numbers. */
  mass: number[][];
  /** w_{b,s}, `[B][S]` — constants: they carry no gradient. */
  weights: number[][];
}

/**
 * The adaptive weighted approximate-mass objective (DSNF's AWAM, as proposed in
 * `../shared/docs/model-cards.md` §3.3 on top of Chali et al.'s approximate-mass loss):
 *
 * ```
 * L = mean_b NLL_b + α · (1/(S·B)) Σ_b Σ_s w_{b,s} · AM_{b,s}
 * AM_{b,s}² ≈ (d_s/J) Σ_j ((NLL_b(a_s + ε u_j) − NLL_b(a_s − ε u_j)) / 2ε)²        (first order)
 * w_{b,s} = stopgrad(ρ_s · B · softmax_b(AM_{b,s}/τ))   (adaptive; else w_{b,s} = ρ_s)
 * ```
 *
 * AM_{b,s} is the norm of the gradient of sample b's NLL with respect to the activations a_s of
 * space s. The exact gradient norm would need a second-order gradient to train through (the
 * gradient of a gradient norm), which tfjs's BatchNorm and several wasm gradients do not provide.
 * This is the card's first-order estimator instead: u_j are per-sample random unit directions
 * (E[u uᵀ] = I/d_s), so `d_s (∇·u)²` is an unbiased estimate of ‖∇‖², and each central difference
 * costs two forward passes that ordinary autodiff trains through (2·J·S extra passes per step).
 * ε is 1e-2 rather than the card's 1e-3: NLL_b is float32, and ε = 1e-3 leaves only ~3 significant
 * digits in the difference; the O(ε²) curvature error at 1e-2 is far smaller.
 *
 * Ablation switches: `alpha: 0` = plain NLL; one space, `adaptive: false`, ρ = 1 = Chali et al.'s
 * approximate mass (input space); `adaptive` = the adaptive weights; ρ_H ≠ ρ_E = the hyperbolic
 * emphasis.
 *
 * Deviations from Chali et al.: the gradient is that of each sample's own NLL (theirs is of the
 * batch mean, which divides it by B and ties α to the batch size), and AM is clamped below at 1e-6
 * so its square root has a finite gradient where the space does not matter (a hyperbolic branch
 * behind a gate at 0).
 *
 * References: Chali, Kucher, Duval & Kachouri, "Improving Normalizing Flows with the Approximate
 * Mass for Out-of-Distribution Detection", CVPR Workshops 2023 (github
 * chsamy/ood_detection_approximate_mass `flow_ssl/flow_loss.py`); Leng et al., DSNF, IEEE TIP 34
 * (2025) (abstract: AWAM).
 *
 * @param nllOf - per-sample NLL `[B]` given one perturbation per space (`null` = unperturbed).
 * @param spaces - the spaces (S of them; none = plain NLL).
 * @param rng - the stream of the random directions.
 * @param options - {@link AwamOptions}.
 * @example
 * ```ts
 * const r = awamLoss((d) => model.nllWith(x, d), [{ name: 'x', shape: x.shape, emphasis: 1 }], rng, { adaptive: false });
 * ```
 */
export function awamLoss(nllOf: (perturbations: (tf.Tensor | null)[]) => tf.Tensor, spaces: readonly MassSpace[], rng: Rng, options: AwamOptions = {}): AwamResult {
  const alpha = options.alpha ?? 0.1;
  const tau = options.temperature ?? 1;
  const J = options.directions ?? 1;
  const eps = options.epsilon ?? 1e-2;
  const src = 'awamLoss';
  if (!(alpha >= 0)) throw new InputError(`alpha must be ≥ 0, got ${alpha}`, { source: src });
  if (!(tau > 0)) throw new InputError(`temperature must be > 0, got ${tau}`, { source: src });
  if (!(Number.isInteger(J) && J >= 1)) throw new InputError(`directions must be a positive integer, got ${J}`, { source: src });
  if (!(eps > 0)) throw new InputError(`epsilon must be > 0, got ${eps}`, { source: src });
  for (const s of spaces) if (!(s.emphasis >= 0)) throw new InputError(`emphasis of '${s.name}' must be ≥ 0`, { source: src });
  const none = spaces.map(() => null);
  const used = alpha > 0 ? spaces : [];
  if (options.stacked && used.length > 0) return stackedAwam(nllOf, used, rng, used[0]!.shape[0]!, alpha, J, eps, tau, options);
  const nll0 = nllOf(none);
  const b = nll0.shape[0]!;
  if (used.length === 0) {
    const loss = tf.tidy(() => tf.mean(nll0) as tf.Scalar);
    const nll = loss.dataSync()[0]!;
    nll0.dispose();
    return { loss, nll, mass: Array.from({ length: b }, () => []), weights: Array.from({ length: b }, () => []) };
  }
  const saved = (options.buffers ?? []).map((v) => tf.clone(v));
  const ams: tf.Tensor[] = [];
  try {
    for (let si = 0; si < used.length; si++) {
      const space = used[si]!;
      if (space.shape[0] !== b) throw new InputError(`space '${space.name}' has batch ${space.shape[0]}, the NLL ${b}`, { source: src });
      const d = space.shape.slice(1).reduce((p, q) => p * q, 1);
      let sumSq: tf.Tensor = tf.zeros([b]);
      for (let j = 0; j < J; j++) {
        const u = unitDirection(space, si, j, rng, options);
        const plus = tf.tidy(() => tf.mul(u, eps));
        const minus = tf.tidy(() => tf.mul(u, -eps));
        const up = nllOf(none.map((_, k) => (k === si ? plus : null)));
        const down = nllOf(none.map((_, k) => (k === si ? minus : null)));
        const next = tf.tidy(() => tf.add(sumSq, tf.square(tf.div(tf.sub(up, down), 2 * eps))));
        tf.dispose([u, plus, minus, up, down, sumSq]);
        sumSq = next;
      }
      ams.push(tf.tidy(() => tf.sqrt(tf.maximum(tf.mul(sumSq, d / J), 1e-12))));
      sumSq.dispose();
    }
  } finally {
    (options.buffers ?? []).forEach((v, i) => v.assign(saved[i]!));
    tf.dispose(saved);
  }
  const mass = ams.map((t) => Array.from(t.dataSync()));
  // The weights are computed from the numbers, so they are constants: no gradient flows through them.
  const weights = used.map((s, si) => massWeights(mass[si]!, s.emphasis, options.adaptive ?? true, tau));
  const loss = tf.tidy(() => {
    let reg: tf.Tensor = tf.scalar(0);
    used.forEach((_, si) => (reg = tf.add(reg, tf.sum(tf.mul(tf.tensor1d(weights[si]!), ams[si]!)))));
    return tf.add(tf.mean(nll0), tf.mul(reg, alpha / (used.length * b))) as tf.Scalar;
  });
  const nll = tf.tidy(() => tf.mean(nll0).dataSync()[0]!);
  tf.dispose([nll0, ...ams]);
  const perSample = (rows: number[][]) => Array.from({ length: b }, (_, i) => rows.map((r) => r[i]!));
  return { loss, nll, mass: perSample(mass), weights: perSample(weights) };
}

/**
 * AWAM's weights of one space: `ρ · B · softmax(am/τ)` (adaptive) or `ρ` for every sample. They are
 * ≥ 0 and their mean over the batch is ρ in both cases. Computed in float64, max-subtracted.
 *
 * @param am - AM_{b,s} over the batch.
 * @param rho - ρ_s.
 * @param adaptive - softmax weights (true) or constant.
 * @param tau - temperature τ.
 * @example
 * ```ts
 * massWeights([1, 1 + Math.log(3)], 1, true, 1); // [0.5, 1.5]
 * ```
 */
export function massWeights(am: readonly number[], rho: number, adaptive: boolean, tau = 1): number[] {
  if (!adaptive) return am.map(() => rho);
  const m = Math.max(...am);
  const e = am.map((a) => Math.exp((a - m) / tau));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => (rho * am.length * v) / s);
}

/** Direction j of space si, normalised per sample: `[B, ...]`. */
function unitDirection(space: MassSpace, si: number, j: number, rng: Rng, options: AwamOptions): tf.Tensor {
  const b = space.shape[0]!;
  return tf.tidy(() => {
    const g = options.directionsFor ? options.directionsFor(si, j) : normalTensor(rng, [...space.shape]);
    const n = tf.sqrt(tf.sum(tf.reshape(tf.square(g), [b, -1]), 1));
    return tf.div(g, tf.reshape(n, [b, ...space.shape.slice(1).map(() => 1)]));
  });
}

/** {@link awamLoss} with `stacked`: one call of `nllOf` on (1 + 2·J·S) copies of the batch. */
function stackedAwam(
  nllOf: (perturbations: (tf.Tensor | null)[]) => tf.Tensor,
  used: readonly MassSpace[],
  rng: Rng,
  b: number,
  alpha: number,
  J: number,
  eps: number,
  tau: number,
  options: AwamOptions,
): AwamResult {
  const S = used.length;
  const copies = 1 + 2 * J * S;
  // Copy 0 is clean; copies 1 + 2(s·J + j) and 2 + 2(s·J + j) carry ±ε·u_{s,j} in space s only.
  const stacks = used.map((space, si) =>
    tf.tidy(() => {
      if (space.shape[0] !== b) throw new InputError(`space '${space.name}' has batch ${space.shape[0]}, expected ${b}`, { source: 'awamLoss' });
      const zero = tf.zeros([...space.shape]);
      const blocks: tf.Tensor[] = [zero];
      for (let sj = 0; sj < S; sj++) {
        for (let j = 0; j < J; j++) {
          if (sj === si) {
            const u = unitDirection(space, si, j, rng, options);
            blocks.push(tf.mul(u, eps), tf.mul(u, -eps));
          } else blocks.push(zero, zero);
        }
      }
      return tf.concat(blocks, 0);
    }),
  );
  const all = nllOf(stacks);
  tf.dispose(stacks);
  if (all.shape[0] !== copies * b) throw new InputError(`nllOf returned ${all.shape[0]} values for ${copies} copies of ${b}`, { source: 'awamLoss' });
  const ams = used.map((space, si) =>
    tf.tidy(() => {
      const d = space.shape.slice(1).reduce((p, q) => p * q, 1);
      let sumSq: tf.Tensor = tf.zeros([b]);
      for (let j = 0; j < J; j++) {
        const k = 1 + 2 * (si * J + j);
        const diff = tf.sub(tf.slice(all, [k * b], [b]), tf.slice(all, [(k + 1) * b], [b]));
        sumSq = tf.add(sumSq, tf.square(tf.div(diff, 2 * eps)));
      }
      return tf.sqrt(tf.maximum(tf.mul(sumSq, d / J), 1e-12));
    }),
  );
  const mass = ams.map((t) => Array.from(t.dataSync()));
  const weights = used.map((s, si) => massWeights(mass[si]!, s.emphasis, options.adaptive ?? true, tau));
  const loss = tf.tidy(() => {
    let reg: tf.Tensor = tf.scalar(0);
    used.forEach((_, si) => (reg = tf.add(reg, tf.sum(tf.mul(tf.tensor1d(weights[si]!), ams[si]!)))));
    return tf.add(tf.mean(tf.slice(all, [0], [b])), tf.mul(reg, alpha / (S * b))) as tf.Scalar;
  });
  const nll = tf.tidy(() => tf.mean(tf.slice(all, [0], [b])).dataSync()[0]!);
  tf.dispose([all, ...ams]);
  const perSample = (rows: number[][]) => Array.from({ length: b }, (_, i) => rows.map((r) => r[i]!));
  return { loss, nll, mass: perSample(mass), weights: perSample(weights) };
}
