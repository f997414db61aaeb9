import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { ActNorm, AffineCoupling, Chain, ClassConditionalGaussianPrior, NormalizingFlow, ReverseChannels, type BijectorModule } from '@skelflow/flows';
import { fusedForEngine, LazyFusedFlow, segmentCount, type FusedFlow } from '@skelflow/fused';
import { StgcnBlock, buildAdjacency } from '@skelflow/graph';
import { AutoregressiveTokenModel } from '@skelflow/nn';
import { MotionVqVae } from '@skelflow/vqvae';
import { resolveMsgFlowConfig, type MsgFlowConfig, type MsgFlowScore, type ResolvedMsgFlowConfig } from './config.js';

/** The two raw segment scores (higher = more anomalous). */
export interface MsgFlowScoreParts {
  /** S_sem: mean token NLL under the prior, nats per token. */
  sem: Float64Array;
  /** S_det: the conditional flow's NLL, bits per dimension. */
  det: Float64Array;
}

/** Options of {@link MsgFlow.scoreSegments} and {@link MsgFlow.scoreParts}. */
export interface MsgFlowScoreOptions {
  /** Segments per tensor batch (tokenizer, prior) and per fused call. Default 1024. */
  batchSize?: number;
  /** `'auto'` (default): the flow on the fused engine when it has one, else tensors. */
  engine?: 'auto' | 'fused' | 'tfjs';
  /** Worker threads of the fused engine besides the caller. */
  threads?: number;
  /** Which score to return; default the model's `config.score`. */
  score?: MsgFlowScore;
  onProgress?: (done: number, total: number) => void;
}

/**
 * MSG-Flow as the model card (model-cards §2) designs it from the abstract (Liu et al., "Motion
 * Semantics Guided Normalizing Flow for Privacy-Preserving Video Anomaly Detection", ICME 2026,
 * arXiv 2603.26745; no code or method text is public): three stages with frozen hand-offs.
 *
 * - [A] `tokenizer`: a {@link MotionVqVae} over the segment's frames (`[T, 2V]`), 2^downT frames per token.
 * - [B] `prior`: a causal {@link AutoregressiveTokenModel} (BOS + N tokens); S_sem = mean NLL per token.
 * - [C] `flow`: STG-NF's flow (K steps of ActNorm → channel reversal → affine coupling with a
 *   uniform ST-GCN conditioner, sigmoid(·+2) scale, prior N(R·1, I)) whose every conditioner gets a
 *   per-frame context `[B, Cc, T, 1]`: the prior's hidden state of each token, projected on the
 *   first Cc principal axes of the training hidden states (whitened; `contextMean`,
 *   `contextBasis`, fitted after stage B), repeated over the token's frames and broadcast over
 *   joints; it enters through zero-initialised 1×1 projections, so an untrained context is STG-NF.
 *   S_det = NLL in bits per dimension.
 *
 * Segment anomaly score `S = (S_sem − m_sem)/s_sem + λ(S_det − m_det)/s_det` with mean and std of
 * each term over the training segments (`scoreStats` = [m_sem, s_sem, m_det, s_det]); the
 * normality returned by {@link MsgFlow.scoreSegments} is −S (or −S_sem, −S_det for the ablation).
 *
 * @example
 * ```ts
 * const model = new MsgFlow({ codebook: 64, seed: 1 });
 * await trainMsgFlow(model, segments); // [N, 2, 24, 18]
 * const normality = model.scoreSegments(testSegments);
 * ```
 */
export class MsgFlow extends Module {
  readonly config: ResolvedMsgFlowConfig;
  readonly tokenizer: MotionVqVae;
  readonly prior: AutoregressiveTokenModel;
  readonly flow: NormalizingFlow;
  private readonly fusedFlow: LazyFusedFlow;
  /** `[dModel]` mean of the training hidden states. */
  readonly contextMean: tf.Variable;
  /** `[Cc, dModel]` principal axes divided by the square root of their variance. */
  readonly contextBasis: tf.Variable;
  /** `[4]` = m_sem, s_sem, m_det, s_det. */
  readonly scoreStats: tf.Variable;

  constructor(config: MsgFlowConfig = {}) {
    super();
    const c = resolveMsgFlowConfig(config);
    this.config = c;
    const rng = new Rng(c.seed);
    this.tokenizer = this.addModule(
      'tokenizer',
      new MotionVqVae({
        inChannels: 2 * c.joints,
        width: c.vqWidth,
        codeDim: c.codeDim,
        numCodes: c.codebook,
        downT: c.downT,
        depth: c.vqDepth,
        mu: c.mu,
        commitment: c.commitment,
        velocity: c.velocity,
        seed: rng.fork().seed,
      }),
    );
    this.prior = this.addModule(
      'prior',
      new AutoregressiveTokenModel({
        numTokens: c.codebook,
        maxLength: this.tokensPerSegment,
        dModel: c.dModel,
        numHeads: c.heads,
        numLayers: c.layers,
        dropout: c.dropout,
        rng: rng.fork(),
      }),
    );
    this.flow = this.addModule('flow', buildConditionalStgNf(c, new Rng(c.seed)));
    this.fusedFlow = new LazyFusedFlow(this.flow, [2, c.segLen, c.joints], { contextShape: [c.contextChannels, c.segLen, 1] });
    this.contextMean = this.addBuffer('contextMean', tf.zeros([c.dModel]));
    this.contextBasis = this.addBuffer('contextBasis', tf.zeros([c.contextChannels, c.dModel]));
    this.scoreStats = this.addBuffer('scoreStats', tf.tensor1d([0, 1, 0, 1]));
  }

  /** N = T / 2^downT tokens per segment. */
  get tokensPerSegment(): number {
    return this.config.segLen / 2 ** this.config.downT;
  }

  /** Values per segment, 2·T·V. */
  get segmentSize(): number {
    return 2 * this.config.segLen * this.config.joints;
  }

  override dispose(): void {
    this.fusedFlow.dispose();
    super.dispose();
  }

  private check(x: tf.Tensor): void {
    const { segLen, joints } = this.config;
    if (x.rank !== 4 || x.shape[1] !== 2 || x.shape[2] !== segLen || x.shape[3] !== joints) {
      throw new ShapeError(`expected segments [B, 2, ${segLen}, ${joints}], got [${x.shape}]`, { source: 'MsgFlow' });
    }
  }

  /** Segments `[B, 2, T, V]` as the tokenizer's frame sequences `[B, T, 2V]` (x of every joint, then y). */
  sequences(x: tf.Tensor): tf.Tensor {
    this.check(x);
    const [b, , t, v] = x.shape as number[];
    return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b!, t!, 2 * v!]));
  }

  /** Tokens int32 `[B, N]` of segments (codebook frozen). */
  tokens(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.tokenizer.tokens(this.sequences(x)));
  }

  /** S_sem: mean NLL per token in nats, `[B]` (dropout off). */
  semanticNll(tokens: tf.Tensor): tf.Tensor {
    return withEval(this.prior, () => tf.tidy(() => tf.mean(this.prior.nll(tokens), 1)));
  }

  /** The prior's hidden states `[B, N, dModel]` aligned as `config.hidden` says (dropout off). */
  hiddenStates(tokens: tf.Tensor): tf.Tensor {
    return withEval(this.prior, () => this.prior.hidden(tokens, { alignment: this.config.hidden }));
  }

  /** The flow's context `[B, Cc, T, 1]` from hidden states `[B, N, dModel]` (whitened principal components, repeated per frame). */
  contextFromHidden(h: tf.Tensor): tf.Tensor {
    const { contextChannels: cc, dModel, segLen } = this.config;
    const [b, n] = h.shape as [number, number, number];
    const f = segLen / n;
    return tf.tidy(() => {
      const p = tf.matMul(tf.reshape(tf.sub(h, this.contextMean), [b * n, dModel]), this.contextBasis, false, true); // [B·N, Cc]
      const frames = tf.reshape(tf.mul(tf.reshape(p, [b, n, 1, cc]), tf.ones([1, 1, f, 1])), [b, segLen, cc]);
      return tf.reshape(tf.transpose(frames, [0, 2, 1]), [b, cc, segLen, 1]);
    });
  }

  /** S_det: the conditional flow's NLL in bits per dimension, `[B]`. */
  detailNll(x: tf.Tensor, context: tf.Tensor): tf.Tensor {
    this.check(x);
    return this.flow.nllBitsPerDim(x, { context });
  }

  /** Tokens, S_sem and the flow context of a batch, all from the frozen stages A and B. */
  frozenStages(x: tf.Tensor): { tokens: tf.Tensor; sem: tf.Tensor; context: tf.Tensor } {
    return tf.tidy(() => {
      const tokens = this.tokens(x);
      const sem = this.semanticNll(tokens);
      const h = this.hiddenStates(tokens);
      return { tokens, sem, context: this.contextFromHidden(h) };
    });
  }

  /**
   * The flow compiled to typed-array kernels with its `[Cc, T, 1]` context, weights pulled in, or
   * null (then scoring and training run on tensors).
   */
  fused(): FusedFlow | null {
    return this.fusedFlow.get();
  }

  /** Why {@link MsgFlow.fused} is null ('' when it is not). */
  get fusedUnavailableReason(): string {
    return this.fusedFlow.reason;
  }

  /**
   * S_sem and S_det of segments `[N, 2, T, V]` (flattened float32), in eval mode: tokens, prior and
   * context on tensors in batches, the flow on the fused engine when it has one.
   */
  scoreParts(data: Float32Array, options: MsgFlowScoreOptions = {}): MsgFlowScoreParts {
    const per = this.segmentSize;
    const { segLen, joints } = this.config;
    const n = segmentCount(data, [2, segLen, joints], 'MsgFlow.scoreSegments');
    const sem = new Float64Array(n);
    const det = new Float64Array(n);
    const fused = fusedForEngine(options.engine ?? 'auto', n, this.fusedFlow, 'MsgFlow.scoreSegments');
    const batch = options.batchSize ?? 1024;
    const wasTraining = this.training;
    this.eval();
    try {
      for (let s = 0; s < n; s += batch) {
        const e = Math.min(n, s + batch);
        const xs = data.subarray(s * per, e * per);
        const x = tf.tensor4d(xs, [e - s, 2, segLen, joints]);
        const fz = this.frozenStages(x);
        sem.set(fz.sem.dataSync(), s);
        if (fused) {
          const ctx = fz.context.dataSync() as Float32Array;
          const nll = fused.nllBitsPerDim(xs, { context: ctx, ...(options.threads === undefined ? {} : { threads: options.threads }) });
          det.set(nll, s);
        } else {
          const nll = this.detailNll(x, fz.context);
          det.set(nll.dataSync(), s);
          nll.dispose();
        }
        tf.dispose([x, fz.tokens, fz.sem, fz.context]);
        options.onProgress?.(e, n);
      }
    } finally {
      this.train(wasTraining);
    }
    return { sem, det };
  }

  /** The anomaly score of each segment (higher = more anomalous) from its parts, z-scored with the training statistics. */
  combine(parts: MsgFlowScoreParts, score: MsgFlowScore = this.config.score): Float64Array {
    const [mSem, sSem, mDet, sDet] = Array.from(this.scoreStats.dataSync()) as [number, number, number, number];
    const n = parts.sem.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const zs = (parts.sem[i]! - mSem) / sSem;
      const zd = (parts.det[i]! - mDet) / sDet;
      out[i] = score === 'sem' ? zs : score === 'det' ? zd : zs + this.config.lambda * zd;
    }
    return out;
  }

  /** Normality (−S, higher = more normal) of segments `[N, 2, T, V]`; `options.score` picks S, S_sem or S_det. */
  scoreSegments(data: Float32Array, options: MsgFlowScoreOptions = {}): Float32Array {
    const s = this.combine(this.scoreParts(data, options), options.score ?? this.config.score);
    const out = new Float32Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = -s[i]!;
    return out;
  }
}

/** Runs `fn` with `m` in eval mode and restores its mode. */
function withEval<T>(m: Module, fn: () => T): T {
  const was = m.training;
  m.eval();
  try {
    return fn();
  } finally {
    m.train(was);
  }
}

/**
 * STG-NF's flow (`StgNf` with its defaults: OpenPose-18 uniform adjacency of max hop 8, temporal
 * kernel T/2 + 1, no residual in the first step, channel reversal, prior N(±R, I)) with
 * `contextChannels` in every ST-GCN conditioner. Weights are drawn in STG-NF's order from
 * `rng`, so with the same seed (and an untrained context) it is STG-NF's flow.
 */
export function buildConditionalStgNf(c: Pick<ResolvedMsgFlowConfig, 'segLen' | 'joints' | 'flowSteps' | 'R' | 'contextChannels'>, rng: Rng): NormalizingFlow {
  if (c.joints !== 18) throw new InputError(`MSG-Flow's flow uses the OpenPose-18 graph; got ${c.joints} joints`, { source: 'MsgFlow config', location: 'joints' });
  const adjacency = buildAdjacency('openpose18', { strategy: 'uniform', maxHop: 8 });
  const steps: BijectorModule[] = [];
  for (let k = 0; k < c.flowSteps; k++) {
    const net = new StgcnBlock(1, 2, adjacency, {
      temporalKernel: Math.floor(c.segLen / 2) + 1,
      residual: k === 0 ? 'none' : 'conv',
      contextChannels: c.contextChannels,
      rng: rng.fork(),
    });
    steps.push(new Chain([new ActNorm(2), new ReverseChannels(), new AffineCoupling(net, { split: 1, paramLayout: 'cross', scaleFn: 'sigmoid2', order: 'shiftThenScale' })]));
  }
  const prior = new ClassConditionalGaussianPrior([2, c.segLen, c.joints], { radius: c.R, varianceEps: 1e-6 });
  return new NormalizingFlow(new Chain(steps), prior);
}
