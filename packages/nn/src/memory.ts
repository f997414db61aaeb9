import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, uniformTensor, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

const NORM_EPS = 1e-12;

/** Rows scaled to unit ℓ2 norm (`x / sqrt(Σx² + 1e-12)`, finite gradient at 0). */
export function l2NormalizeRows(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), NORM_EPS))));
}

function check2d(q: tf.Tensor, items: tf.Tensor, source: string): void {
  if (q.rank !== 2 || items.rank !== 2 || q.shape[1] !== items.shape[1]) {
    throw new ShapeError(`expected queries [N, D] and items [M, D], got [${q.shape}] and [${items.shape}]`, { source });
  }
}

/**
 * Memory addressing by cosine similarity: `w_{n,i} = exp(d(q_n, m_i)) / Σ_j exp(d(q_n, m_j))`
 * with `d` the cosine similarity and no temperature — MGNet's Eq. for W_b, W_s and the BSMM read
 * (model card §5.2 "addressing"). Every row is a softmax: entries in (0, 1), summing to 1.
 * Differentiable in both arguments.
 *
 * @param queries `[N, D]`
 * @param items `[M, D]`
 * @returns `[N, M]`
 */
export function memoryAddress(queries: tf.Tensor, items: tf.Tensor): tf.Tensor {
  check2d(queries, items, 'memoryAddress');
  return tf.tidy(() => tf.softmax(tf.matMul(l2NormalizeRows(queries), l2NormalizeRows(items), false, true), -1));
}

/**
 * Separateness loss of one memory (MGNet Eq. 11; MNAD's `spread_loss`, a triplet loss with margin
 * ε and non-squared ℓ2 distances): per ℓ2-normalised query q,
 * `[‖q − m_1st‖ − ‖q − m_2nd‖ + ε]_+` where m_1st, m_2nd are its most and second-most similar items
 * (the nearest two: items are unit vectors), summed over the queries (`'sum'`, the paper's Σ_p)
 * or averaged (`'mean'`, MNAD's `TripletMarginLoss`). Distances are `sqrt(Σ(q − m)² + 1e-12)` (a
 * finite gradient at 0). The choice of the two items carries no gradient; the distances do.
 *
 * Hand case (card §5.7.6, margin 1): items (1, 0), (0, 1), queries (1, 0), (0.6, 0.8) → terms 0
 * and 0.738028.
 *
 * @param queries `[N, D]` (normalised here)
 * @param items `[M, D]`, M ≥ 2 (used as given; the memory keeps them unit-norm)
 * @param margin ε, default 1
 * @param reduction `'sum'` (default) or `'mean'`
 * @returns a scalar
 */
export function separatenessLoss(queries: tf.Tensor, items: tf.Tensor, margin = 1, reduction: 'sum' | 'mean' = 'sum'): tf.Tensor {
  return tf.tidy(() => {
    const terms = separatenessTerms(queries, items, margin);
    return reduction === 'sum' ? tf.sum(terms) : tf.mean(terms);
  });
}

/**
 * The per-query terms `[‖q − m_1st‖ − ‖q − m_2nd‖ + ε]_+` of {@link separatenessLoss}, `[N]`.
 *
 * @param queries `[N, D]` (normalised here)
 * @param items `[M, D]`, M ≥ 2
 * @param margin ε, default 1
 */
export function separatenessTerms(queries: tf.Tensor, items: tf.Tensor, margin = 1): tf.Tensor {
  check2d(queries, items, 'separatenessLoss');
  const m = items.shape[0]!;
  if (m < 2) throw new ShapeError(`separateness needs at least 2 items, got ${m}`, { source: 'separatenessLoss' });
  return tf.tidy(() => {
    const q = l2NormalizeRows(queries);
    const score = tf.matMul(q, items, false, true); // [N, M]
    const first = tf.oneHot(tf.argMax(score, 1), m);
    const second = tf.oneHot(tf.argMax(tf.sub(score, tf.mul(first, 1e9)), 1), m);
    // The two chosen items per query by one-hot matMuls ([N, M]·[M, D]: no gather, whose gradient
    // wasm lacks, and no [N, M, D] difference tensor), then exact distances.
    const dist = (pick: tf.Tensor) => tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(q, tf.matMul(pick, items))), 1), NORM_EPS));
    const d1 = dist(first);
    const d2 = dist(second);
    return tf.relu(tf.add(tf.sub(d1, d2), margin));
  });
}

/**
 * One top-1 memory update (MNAD `Memory.update`, the rule MGNet's memories follow; model card
 * §5.2 "update details"), on plain numbers, no gradient:
 *
 * 1. queries ℓ2-normalised, scores `S = Q·Mᵀ` `[N, M]`;
 * 2. each query's nearest item `i*(n) = argmax_i S[n, i]`;
 * 3. update weights `v[n, i] = softmax_n(S[:, i])` (a softmax over *queries*, per item), divided by
 *    the column maximum `max_n v[n, i]`;
 * 4. `m_i ← normalise(m_i + Σ_{n: i*(n)=i} v[n, i]/max v[:, i] · q_n)`; items no query chose are
 *    unchanged (and not renormalised).
 *
 * Hand case (card §5.7.5): items (1, 0), (0, 1), queries (1, 0), (0.6, 0.8) → (1, 0),
 * (0.316228, 0.948683).
 *
 * @param queries `[N, D]`
 * @param items `[M, D]`
 * @returns the new items `[M, D]` (a new tensor)
 */
export function memoryUpdate(queries: tf.Tensor, items: tf.Tensor): tf.Tensor {
  check2d(queries, items, 'memoryUpdate');
  const [n, dim] = queries.shape as [number, number];
  const m = items.shape[0]!;
  const q = tf.tidy(() => l2NormalizeRows(queries));
  const qv = q.dataSync();
  q.dispose();
  const mv = items.dataSync();
  // Scores in float64 (the same numbers the tensor path gives, without a backend round trip).
  const s = new Float64Array(n * m);
  for (let a = 0; a < n; a++) {
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let k = 0; k < dim; k++) acc += qv[a * dim + k]! * mv[i * dim + k]!;
      s[a * m + i] = acc;
    }
  }
  const top = new Int32Array(n);
  for (let a = 0; a < n; a++) {
    let best = 0;
    for (let i = 1; i < m; i++) if (s[a * m + i]! > s[a * m + best]!) best = i;
    top[a] = best;
  }
  const out = Float64Array.from(mv);
  for (let i = 0; i < m; i++) {
    // Column softmax over queries; v / max v = exp(s − max s) (the softmax's normaliser cancels).
    let mx = -Infinity;
    for (let a = 0; a < n; a++) mx = Math.max(mx, s[a * m + i]!);
    let any = false;
    const upd = new Float64Array(dim);
    for (let a = 0; a < n; a++) {
      if (top[a] !== i) continue;
      any = true;
      const v = Math.exp(s[a * m + i]! - mx);
      for (let k = 0; k < dim; k++) upd[k] += v * qv[a * dim + k]!;
    }
    if (!any) continue;
    let nrm = 0;
    for (let k = 0; k < dim; k++) nrm += (out[i * dim + k]! + upd[k]!) ** 2;
    nrm = Math.max(Math.sqrt(nrm), 1e-12);
    for (let k = 0; k < dim; k++) out[i * dim + k] = (out[i * dim + k]! + upd[k]!) / nrm;
  }
  return tf.tensor2d(Float32Array.from(out), [m, dim]);
}

/** Options of {@link MemoryModule}. */
export type MemoryModuleOptions = InitOptions;

/**
 * A read/write memory of M unit-norm items of width D (MNAD style, as MGNet's behaviour, scene and
 * matching memories use it): `read` is the cosine-softmax addressing and the weighted sum of the
 * items, `update` the top-1 rule ({@link memoryUpdate}), `separateness` Eq. 11
 * ({@link separatenessLoss}). The items are a *buffer*: saved with the module, changed only by
 * `update`, never by an optimiser. Initialised as `normalise(U(0, 1))` (MNAD's `F.normalize(torch.rand)`),
 * from the seeded `Rng`.
 *
 * PyTorch twin: `bench/torch/mgnet_blocks.py` `Memory` (buffer `items` `[M, D]`).
 *
 * References: Park, Noh & Ham, "Learning Memory-guided Normality for Anomaly Detection" (MNAD,
 * CVPR 2020), `model/Memory.py`; Yang et al., MGNet (ACM MM 2024) Eqs. 7–11; model card §5.2.
 *
 * @example
 * ```ts
 * const mem = new MemoryModule(10, 64, { seed: 0 });
 * const { weights, read } = mem.read(q); // [N, 10] softmax rows, [N, 64]
 * mem.update(q); // top-1 rule, items stay unit-norm
 * ```
 */
export class MemoryModule extends Module {
  readonly size: number;
  readonly dim: number;
  readonly items: tf.Variable;

  constructor(size: number, dim: number, options: MemoryModuleOptions = {}) {
    super();
    if (!(Number.isInteger(size) && size >= 1 && Number.isInteger(dim) && dim >= 1)) {
      throw new ShapeError(`memory size and width must be positive integers, got ${size} × ${dim}`, { source: 'MemoryModule' });
    }
    this.size = size;
    this.dim = dim;
    const rng = resolveRng(options);
    this.items = this.addBuffer('items', tf.tidy(() => l2NormalizeRows(uniformTensor(rng, [size, dim]))));
  }

  private checkQueries(q: tf.Tensor, source: string): void {
    if (q.rank !== 2 || q.shape[1] !== this.dim) throw new ShapeError(`expected queries [N, ${this.dim}], got [${q.shape}]`, { source });
  }

  /** Addressing weights `[N, M]` (softmax rows) and the read-out `[N, D]` = weights · items. */
  read(queries: tf.Tensor): { weights: tf.Tensor; read: tf.Tensor } {
    this.checkQueries(queries, 'MemoryModule.read');
    const weights = memoryAddress(queries, this.items);
    const read = tf.tidy(() => tf.matMul(weights, this.items));
    return { weights, read };
  }

  /** The read-out alone, `[N, D]` (the forward of the layer contract). */
  call(queries: tf.Tensor): tf.Tensor {
    const { weights, read } = this.read(queries);
    weights.dispose();
    return read;
  }

  /** Applies the top-1 update rule with these queries (no gradient). */
  update(queries: tf.Tensor): void {
    this.checkQueries(queries, 'MemoryModule.update');
    const next = memoryUpdate(queries, this.items);
    this.items.assign(next);
    next.dispose();
  }

  /** The per-query terms of Eq. 11, `[N]` ({@link separatenessTerms}). */
  separatenessTerms(queries: tf.Tensor, margin = 1): tf.Tensor {
    this.checkQueries(queries, 'MemoryModule.separatenessTerms');
    return separatenessTerms(queries, this.items, margin);
  }

  /** Eq. 11 for these queries against the items ({@link separatenessLoss}). */
  separateness(queries: tf.Tensor, margin = 1, reduction: 'sum' | 'mean' = 'sum'): tf.Tensor {
    this.checkQueries(queries, 'MemoryModule.separateness');
    return separatenessLoss(queries, this.items, margin, reduction);
  }
}
