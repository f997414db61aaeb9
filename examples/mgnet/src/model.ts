import * as tf from '@tensorflow/tfjs-core';
import { Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { applyActivation, complementMask, cosineDistance, CubeVitEncoder, drawPatchMask, l2NormalizeRows, Linear, MemoryModule, type LstaOperator } from '@skelflow/nn';
import { StgNf } from '@skelflow/stg-nf';
import { resolveMgNetConfig, type MgNetConfig, type ResolvedMgNetConfig } from './config.js';
import { CropRenderer, MGNET_CHANNELS, sceneFeature, segmentIds, teacherInput } from './segments.js';

/** Width of the scene query (a 4 × 4 × 3 sample of the scene's background). */
export const SCENE_FEATURE_DIM = 48;

/** `softmax_i(cos(q, m_i)/τ)` over items, `[N, M]` (τ = 1: `memoryAddress`, the paper's). */
export function temperedAddress(queries: tf.Tensor, items: tf.Tensor, temperature: number): tf.Tensor {
  return tf.tidy(() => tf.softmax(tf.div(tf.matMul(l2NormalizeRows(queries), l2NormalizeRows(items), false, true), temperature), -1));
}

/**
 * Min–max normalisation per video: `(s − min_v)/(max_v − min_v)` over the segments of each video
 * `v`, and 0 for a video whose scores are all equal (card §5.7.10).
 */
export function minMaxPerVideo(scores: ArrayLike<number>, video: ArrayLike<number>): Float64Array {
  const lo = new Map<number, number>();
  const hi = new Map<number, number>();
  for (let i = 0; i < scores.length; i++) {
    const v = video[i]!;
    lo.set(v, Math.min(lo.get(v) ?? Infinity, scores[i]!));
    hi.set(v, Math.max(hi.get(v) ?? -Infinity, scores[i]!));
  }
  return Float64Array.from({ length: scores.length }, (_, i) => {
    const a = lo.get(video[i]!)!;
    const b = hi.get(video[i]!)!;
    return b > a ? (scores[i]! - a) / (b - a) : 0;
  });
}

/** The three raw segment scores of {@link MgNet.segmentScores} (anomaly: higher = more anomalous). */
export interface MgNetSegmentScores {
  /** S_mo = ‖f_sk − f_rgb‖. */
  motion: Float64Array;
  /** S_app = ½ sim(f_u, f_m(MASK)) + ½ sim(f_u, f_m(¬MASK)); zeros without level 2. */
  appearance: Float64Array;
  /** S_mm = ‖C_b − C_s‖; zeros without level 3. */
  matching: Float64Array;
  /** Video index of every segment (the packed channel). */
  video: Float64Array;
}

/**
 * MGNet (Yang et al., ACM MM 2024) on rendered pose crops, built from blocks:
 *
 * - **teacher** (frozen): STG-NF, `f_sk = z = NF(x_sk)` `[B, 2, T, 18]`, read as `[B, T, 36]`;
 * - **student** (level 1): {@link CubeVitEncoder} on the crops → tokens e_b `[B, P, D]`; head H_B:
 *   mean over the h × w tokens of a time step → Linear → GELU → Linear → `[B, T/2, 2·36]` = f_rgb `[B, T, 36]`;
 *   `L_mo = mean (f_sk − f_rgb)²`, `S_mo = ‖f_sk − f_rgb‖`;
 * - **mask encoder** (level 2): the same encoder on patch-masked crops (one mask for all frames),
 *   head `Linear(D, C_app)` per time step → f_m; target f_u = H_u([pool e_b, pool read_b(e_b)]) with
 *   the behaviour memory M^b read per token; `L_app = 1 − cos(f_m, f_u)` per time step, averaged;
 * - **BSMM** (level 3): W_b = softmax(cos(e_b, M^b)/τ) `[B, P, N]`, W_s = softmax(cos(e^s, M^s)/τ)
 *   `[B, N]` with e^s the scene's background feature; key `W^r = [vec W_b, W_s]` (length P·N + N);
 *   C_b, C_s = softmax over the matching items of cos(W_b, m^r_{1:PN})/τ and cos(W_s, m^r_{PN:})/τ;
 *   `S_mm = ‖C_b − C_s‖`.
 *
 * Score: each term min–max normalised per video, `S = S_mo + λ_app S_app + λ_mm S_mm`;
 * `scoreSegments` returns −S (normality). State: `teacher.*` (STG-NF's names), `student.*`,
 * `headB.fc1|fc2.*`, `maskEncoder.*`, `maskHead.*`, `hu.*` (fixed), `memB.items`, `memS.items`, `memR.items`.
 */
export class MgNet extends Module {
  readonly config: ResolvedMgNetConfig;
  readonly teacher: StgNf;
  readonly student: CubeVitEncoder;
  readonly headB1: Linear;
  readonly headB2: Linear;
  readonly maskEncoder: CubeVitEncoder;
  readonly maskHead: Linear;
  readonly hu: Linear;
  readonly memB: MemoryModule;
  readonly memS: MemoryModule;
  readonly memR: MemoryModule;
  readonly renderer: CropRenderer;
  /** The test masks MASK, ¬MASK (seeded by the model's seed). */
  readonly testMasks: [Uint8Array, Uint8Array];

  constructor(config: MgNetConfig = {}) {
    super();
    const c = resolveMgNetConfig(config);
    this.config = c;
    const rng = new Rng(`${c.seed}/mgnet`);
    this.teacher = this.addModule('teacher', new StgNf(c.teacher));
    const enc = { dim: c.dim, heads: c.heads, layers: c.layers, lsta: c.lsta };
    const shape = [c.segLen, c.crop, c.crop, 3] as const;
    this.student = this.addModule('student', new CubeVitEncoder(shape, { ...enc, rng: rng.fork() }));
    const head = new HeadB();
    this.addModule('headB', head);
    this.headB1 = head.add('fc1', new Linear(c.dim, c.headHidden, { rng: rng.fork() }));
    this.headB2 = head.add('fc2', new Linear(c.headHidden, 2 * 36, { rng: rng.fork() }));
    this.maskEncoder = this.addModule('maskEncoder', new CubeVitEncoder(shape, { ...enc, rng: rng.fork() }));
    this.maskHead = this.addModule('maskHead', new Linear(c.dim, c.appDim, { rng: rng.fork() }));
    this.hu = this.addModule('hu', new Linear(2 * c.dim, c.appDim, { rng: rng.fork() }));
    const P = this.student.tokens;
    const N = c.memoryItems;
    this.memB = this.addModule('memB', new MemoryModule(N, c.dim, { rng: rng.fork() }));
    this.memS = this.addModule('memS', new MemoryModule(N, SCENE_FEATURE_DIM, { rng: rng.fork() }));
    this.memR = this.addModule('memR', new MemoryModule(N, P * N + N, { rng: rng.fork() }));
    this.renderer = new CropRenderer(c.segLen, c.crop, c.renderSeed);
    const mask = drawPatchMask(new Rng(`${c.seed}/test-mask`), this.student.grid[1] * this.student.grid[2], c.maskRatio);
    this.testMasks = [mask, complementMask(mask)];
    this.teacher.eval();
  }

  /** Train mode for the trainable parts; the teacher stays in eval mode (frozen, running statistics). */
  override train(mode = true): this {
    super.train(mode);
    this.teacher.eval();
    return this;
  }

  /** Level-1 parameters: student encoder and H_B. */
  motionParameters(): tf.Variable[] {
    return [...this.student.parameters(), ...this.headB1.parameters(), ...this.headB2.parameters()];
  }

  /** Level-2 parameters: mask encoder and its head (H_u is a fixed projection, see docs/mgnet.md). */
  appearanceParameters(): tf.Variable[] {
    return [...this.maskEncoder.parameters(), ...this.maskHead.parameters()];
  }

  /** f_sk `[B, T, 36]` of teacher inputs `[B, 2, T, 18]` (frozen: no gradient reaches the teacher). */
  teacherLatent(x: tf.Tensor): tf.Tensor {
    const T = this.config.segLen;
    return tf.tidy(() => tf.reshape(tf.transpose(this.teacher.encode(x), [0, 2, 1, 3]), [x.shape[0]!, T, 36]));
  }

  /** Mean over the h × w tokens of each time step: `[B, P, D]` → `[B, t, D]`. */
  pooled(tokens: tf.Tensor): tf.Tensor {
    const [t, h, w] = this.student.grid;
    return tf.tidy(() => tf.mean(tf.reshape(tokens, [tokens.shape[0]!, t, h * w, tokens.shape[2]!]), 2));
  }

  /** f_rgb `[B, T, 36]` from student tokens. */
  motionHead(tokens: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.reshape(this.headB2.call(applyActivation(this.headB1.call(this.pooled(tokens)), 'gelu')), [tokens.shape[0]!, this.config.segLen, 36]));
  }

  /** f_u `[B, t, C_app]` = H_u([pool e_b, pool read_b(e_b)]). */
  appearanceTarget(tokens: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [b, P, D] = tokens.shape as [number, number, number];
      const read = tf.reshape(this.memB.call(tf.reshape(tokens, [b * P, D])), [b, P, D]);
      return this.hu.call(tf.concat([this.pooled(tokens), this.pooled(read)], -1));
    });
  }

  /** f_m `[B, t, C_app]` of crops under patch masks. */
  appearanceFeatures(crops: tf.Tensor, masks: Uint8Array | readonly Uint8Array[], lstaOperator?: LstaOperator): tf.Tensor {
    return tf.tidy(() => this.maskHead.call(this.pooled(this.maskEncoder.call(crops, { mask: masks, ...(lstaOperator ? { lstaOperator } : {}) }))));
  }

  /** Mean over time steps of the cosine distance of `[B, t, C]` rows: `[B]`. */
  static cosineScore(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [B, t, C] = a.shape as [number, number, number];
      return tf.mean(tf.reshape(cosineDistance(tf.reshape(a, [B * t, C]), tf.reshape(b, [B * t, C])), [B, t]), 1);
    });
  }

  /** Scene queries e^s `[b, 48]` of packed segments. */
  sceneQueries(data: Float32Array, idx: ArrayLike<number>): tf.Tensor {
    const out = new Float32Array(idx.length * SCENE_FEATURE_DIM);
    for (let i = 0; i < idx.length; i++) out.set(sceneFeature(this.renderer.texture(segmentIds(data, idx[i]!, this.config.segLen).scene)), i * SCENE_FEATURE_DIM);
    return tf.tensor2d(out, [idx.length, SCENE_FEATURE_DIM]);
  }

  /** BSMM key parts: W_b `[B, P·N]` (rows of P softmaxes) and W_s `[B, N]`. */
  bsmmKeys(tokens: tf.Tensor, scenes: tf.Tensor): { wb: tf.Tensor; ws: tf.Tensor } {
    const tau = this.config.bsmmTemperature;
    return tf.tidy(() => {
      const [b, P, D] = tokens.shape as [number, number, number];
      const wb = tf.reshape(temperedAddress(tf.reshape(tokens, [b * P, D]), this.memB.items, tau), [b, P * this.config.memoryItems]);
      const ws = temperedAddress(scenes, this.memS.items, tau);
      return { wb, ws };
    });
  }

  /** C_b, C_s `[B, N_r]`: softmax over matching items of the behaviour and scene parts. */
  matching(wb: tf.Tensor, ws: tf.Tensor): { cb: tf.Tensor; cs: tf.Tensor } {
    const tau = this.config.bsmmTemperature;
    const lb = wb.shape[1]!;
    return tf.tidy(() => {
      const items = this.memR.items;
      const mb = tf.slice(items, [0, 0], [-1, lb]);
      const ms = tf.slice(items, [0, lb], [-1, -1]);
      return { cb: temperedAddress(wb, mb, tau), cs: temperedAddress(ws, ms, tau) };
    });
  }

  /** Crops `[b, T, crop, crop, 3]` of packed segments. */
  crops(data: Float32Array, idx: ArrayLike<number>): tf.Tensor {
    const { segLen, crop } = this.config;
    return tf.tensor(this.renderer.render(data, idx), [idx.length, segLen, crop, crop, 3]);
  }

  /** The teacher's input `[b, 2, T, 18]` of packed segments. */
  teacherBatch(data: Float32Array, idx: ArrayLike<number>): tf.Tensor {
    return tf.tensor(teacherInput(data, idx, this.config.segLen), [idx.length, 2, this.config.segLen, 18]);
  }

  /** Packed segments in `data`. @throws ShapeError when the length is not a whole number of `[7, T, 18]` segments. */
  count(data: Float32Array, source: string): number {
    const per = MGNET_CHANNELS * this.config.segLen * 18;
    const n = data.length / per;
    if (!Number.isInteger(n)) throw new ShapeError(`expected [N, ${MGNET_CHANNELS}, ${this.config.segLen}, 18] MGNet segments, got ${data.length} values`, { source });
    return n;
  }

  /** The raw S_mo, S_app, S_mm of packed segments (eval mode, batches of `batchSize`). */
  segmentScores(data: Float32Array, options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): MgNetSegmentScores {
    const n = this.count(data, 'MgNet.segmentScores');
    const levels = this.config.levels;
    const bs = options.batchSize ?? 64;
    const out: MgNetSegmentScores = { motion: new Float64Array(n), appearance: new Float64Array(n), matching: new Float64Array(n), video: new Float64Array(n) };
    for (let s = 0; s < n; s++) out.video[s] = segmentIds(data, s, this.config.segLen).video;
    const wasTraining = this.training;
    this.eval();
    // The LSTA maps as matrices: the weights are fixed while scoring (one matMul instead of 46 convolution taps).
    const ops = { student: this.student.lstaOperator(), mask: levels !== '1' ? this.maskEncoder.lstaOperator() : undefined };
    const withOp = (op: typeof ops.student) => (op ? { lstaOperator: op } : {});
    try {
      for (let start = 0; start < n; start += bs) {
        const idx = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
        const scores = tf.tidy(() => {
          const crops = this.crops(data, idx);
          const tokens = this.student.call(crops, withOp(ops.student));
          const diff = tf.sub(this.teacherLatent(this.teacherBatch(data, idx)), this.motionHead(tokens));
          const parts: tf.Tensor[] = [tf.sqrt(tf.sum(tf.square(diff), [1, 2]))];
          if (levels !== '1') {
            const fu = this.appearanceTarget(tokens);
            const a = MgNet.cosineScore(fu, this.appearanceFeatures(crops, this.testMasks[0], ops.mask));
            const b = MgNet.cosineScore(fu, this.appearanceFeatures(crops, this.testMasks[1], ops.mask));
            parts.push(tf.add(tf.mul(a, 0.5), tf.mul(b, 0.5)));
          }
          if (levels === '123') {
            const { wb, ws } = this.bsmmKeys(tokens, this.sceneQueries(data, idx));
            const { cb, cs } = this.matching(wb, ws);
            parts.push(tf.sqrt(tf.sum(tf.square(tf.sub(cb, cs)), 1)));
          }
          return parts;
        });
        const values = scores.map((t) => t.dataSync());
        tf.dispose(scores);
        idx.forEach((s, i) => {
          out.motion[s] = values[0]![i]!;
          if (values[1]) out.appearance[s] = values[1][i]!;
          if (values[2]) out.matching[s] = values[2][i]!;
        });
        options.onProgress?.(start + idx.length, n);
      }
    } finally {
      for (const op of [ops.student, ops.mask]) if (op) tf.dispose([op.matrix, op.bias]);
      this.train(wasTraining);
    }
    return out;
  }

  /**
   * Normality (−S) of packed segments: each term min–max normalised per video, then
   * `S = S_mo + λ_app S_app + λ_mm S_mm` (the terms of the levels that are on).
   */
  scoreSegments(data: Float32Array, options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): Float64Array {
    const s = this.segmentScores(data, options);
    return fuseScores(s, this.config);
  }
}

/** `−(mm(S_mo) + λ_app mm(S_app) + λ_mm mm(S_mm))`, mm = {@link minMaxPerVideo}, for the levels that are on. */
export function fuseScores(s: MgNetSegmentScores, c: Pick<ResolvedMgNetConfig, 'levels' | 'lambdaApp' | 'lambdaMm'>): Float64Array {
  const mo = minMaxPerVideo(s.motion, s.video);
  const app = c.levels !== '1' ? minMaxPerVideo(s.appearance, s.video) : null;
  const mm = c.levels === '123' ? minMaxPerVideo(s.matching, s.video) : null;
  return Float64Array.from(mo, (v, i) => -(v + (app ? c.lambdaApp * app[i]! : 0) + (mm ? c.lambdaMm * mm[i]! : 0)));
}

/** H_B's two layers under one name (`headB.fc1`, `headB.fc2`). */
class HeadB extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }
}

/** Builds an MGNet model. */
export function createMgNet(config: MgNetConfig = {}): MgNet {
  return new MgNet(config);
}
