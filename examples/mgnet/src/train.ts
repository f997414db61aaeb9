import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, WeightsError, type RngState, type TrainingState } from '@skelflow/base';
import { trainLoop, type BatchProgress, type TrainerExtraState } from '@skelflow/core';
import { cosineDistillationLoss, drawPatchMask } from '@skelflow/nn';
import type { MgNet } from './model.js';
import { teacherInput } from './segments.js';

/** The trained stages, in order (level 3 runs two memory rounds after them, without gradients). */
export type MgNetStage = 'motion' | 'appearance';
const STAGES: readonly MgNetStage[] = ['motion', 'appearance'];

/** What {@link trainMgNet} reports as it goes. */
export interface MgNetProgress {
  stage: MgNetStage | 'scene-memory' | 'matching-memory';
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
}

/** Options of {@link trainMgNet}. */
export interface TrainMgNetOptions {
  /** Level-1 epochs; default 4. */
  epochs?: number;
  /** Level-2 epochs; default 2. */
  appEpochs?: number;
  /** Segments per batch; default 32. */
  batchSize?: number;
  /** Adam learning rate of both stages; default 1e-3. */
  lr?: number;
  /** Global gradient-norm clip; default 100 (GENet's). */
  clipNorm?: number;
  /** Use every k-th training segment for the student (the teacher sees all); default 1. */
  studentEvery?: number;
  /** Seed of the batch order and the training masks; default 0. */
  seed?: number;
  onProgress?: (p: MgNetProgress) => void;
  /** Called when a stage or memory round starts (tests watch the memories here). */
  onStage?: (stage: MgNetProgress['stage']) => void;
  /** Checkpoint hook (before the first step of each stage, after every epoch, on stop). */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Continue from a checkpoint of the `motion` or `appearance` stage. */
  resume?: TrainingState;
  shouldStop?: () => string | null;
}

/** Histories of {@link trainMgNet}: mean loss per epoch of each stage. */
export interface MgNetHistory {
  motion: number[];
  appearance: number[];
}

/**
 * Trains MGNet's student levels on packed segments (`mgnetSegments`) with a trained, frozen
 * teacher already in `model.teacher` (card §5.4 stage order):
 *
 * 1. **motion** (`trainLoop`, Adam): student + H_B regress the teacher latent, `L_mo = mean (f_sk − f_rgb)²`;
 * 2. **appearance** (levels 12, 123): the student is frozen; mask encoder + head learn
 *    `L_app = 1 − cos(f_m, f_u)` from crops with one 50 % patch mask per clip (shared by its frames,
 *    drawn from a seeded stream saved in checkpoints); M^b is updated (MNAD top-1) with every batch's tokens;
 * 3. **scene** (level 123), two rounds over the data without gradients: M^s is updated with the scene
 *    queries; then, in the **final round only**, M^r is updated with the keys `[vec W_b, W_s]` while
 *    M^b and M^s stay as they are.
 *
 * The model ends in eval mode.
 */
export async function trainMgNet(model: MgNet, data: Float32Array, options: TrainMgNetOptions = {}): Promise<MgNetHistory> {
  const source = 'trainMgNet';
  const nAll = model.count(data, source);
  if (nAll === 0) throw new InputError('no training segment', { source });
  const every = options.studentEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new InputError(`studentEvery must be a positive integer, got ${every}`, { source, location: 'studentEvery' });
  const subset = Int32Array.from({ length: Math.ceil(nAll / every) }, (_, i) => i * every);
  const n = subset.length;
  const { segLen, levels } = model.config;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  const resume = options.resume;
  const from = resume ? STAGES.indexOf(resume.stage as MgNetStage) : 0;
  if (from < 0) throw new WeightsError(`training state stage '${String(resume!.stage)}' is not one of ${STAGES.join(', ')}`, { source: 'training state', location: 'stage' });
  let completed: Partial<MgNetHistory> = resume ? ((resume.extra?.completed ?? {}) as Partial<MgNetHistory>) : {};
  if (from > 0 && !Array.isArray(completed.motion)) throw new WeightsError("training state in stage 'appearance' lacks the motion history (extra.completed)", { source: 'training state', location: 'extra.completed' });
  const hooks = (stage: MgNetStage, extra: TrainerExtraState) => ({
    stage,
    ...(resume && resume.stage === stage ? { resume } : {}),
    extra,
    ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  });
  const report = (stage: MgNetStage) => (options.onProgress ? (p: BatchProgress) => options.onProgress!({ stage, epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss }) : undefined);
  const rows = (idx: number[]) => idx.map((i) => subset[i]!);
  const named = (prefix: string, m: { stateDict(): Map<string, tf.Variable> }) => [...m.stateDict()].map(([k, v]) => [`${prefix}.${k}`, v] as const);

  // The frozen teacher's latents of the student's segments, once.
  const latents = new Float32Array(n * segLen * 36);
  for (let s = 0; s < n; s += 256) {
    const idx = Array.from(subset.subarray(s, Math.min(n, s + 256)));
    const z = tf.tidy(() => model.teacherLatent(tf.tensor(teacherInput(data, idx, segLen), [idx.length, 2, segLen, 18])));
    latents.set(z.dataSync(), s * segLen * 36);
    z.dispose();
  }

  model.train();
  try {
    const noExtra: TrainerExtraState = { save: () => ({ completed }), restore: () => undefined };
    let motion = completed.motion ?? [];
    if (from === 0) {
      options.onStage?.('motion');
      motion = await trainLoop({
        source,
        n,
        batchSize,
        seed,
        epochs: options.epochs ?? 4,
        lr: options.lr ?? 1e-3,
        optimizer: 'adam',
        clipNorm: options.clipNorm ?? 100,
        params: model.motionParameters(),
        named: [...named('student', model.student), ...named('headB.fc1', model.headB1), ...named('headB.fc2', model.headB2)],
        ...hooks('motion', noExtra),
        loss: (idx) => {
          const target = tf.tensor(gather(latents, idx, segLen * 36), [idx.length, segLen, 36]);
          try {
            return tf.tidy(() => tf.mean(tf.square(tf.sub(target, model.motionHead(model.student.call(model.crops(data, rows(idx))))))) as tf.Scalar);
          } finally {
            target.dispose();
          }
        },
        ...(report('motion') ? { onBatch: report('motion')! } : {}),
      });
      completed = { motion };
    }
    let appearance: number[] = [];
    if (levels !== '1') {
      options.onStage?.('appearance');
      model.student.eval();
      const patches = model.student.grid[1] * model.student.grid[2];
      let maskRng = new Rng(`${seed}/train-masks`);
      appearance = await trainLoop({
        source,
        n,
        batchSize,
        seed: `${seed}/appearance`,
        epochs: options.appEpochs ?? 2,
        lr: options.lr ?? 1e-3,
        optimizer: 'adam',
        clipNorm: options.clipNorm ?? 100,
        params: model.appearanceParameters(),
        named: [...named('maskEncoder', model.maskEncoder), ...named('maskHead', model.maskHead), ...named('memB', model.memB)],
        ...hooks('appearance', {
          save: () => ({ completed, masks: maskRng.state() }),
          restore: (saved) => {
            if (!saved.masks) throw new WeightsError('training state has no mask stream (extra.masks)', { source: 'training state', location: 'extra.masks' });
            maskRng = new Rng(`${seed}/train-masks`, saved.masks as RngState);
          },
        }),
        loss: (idx) => {
          const masks = idx.map(() => drawPatchMask(maskRng, patches, model.config.maskRatio));
          const crops = model.crops(data, rows(idx));
          try {
            // The frozen student's tokens and target (no gradient: neither is a parameter here).
            const tokens = tf.tidy(() => model.student.call(crops));
            const target = tf.tidy(() => model.appearanceTarget(tokens));
            const loss = tf.tidy(() => {
              const fm = model.appearanceFeatures(crops, masks);
              const [b, t, c] = fm.shape as [number, number, number];
              return cosineDistillationLoss(tf.reshape(fm, [b * t, c]), tf.reshape(target, [b * t, c])) as tf.Scalar;
            });
            const flat = tf.reshape(tokens, [-1, model.config.dim]);
            model.memB.update(flat);
            tf.dispose([tokens, target, flat]);
            return loss;
          } finally {
            crops.dispose();
          }
        },
        ...(report('appearance') ? { onBatch: report('appearance')! } : {}),
      });
    }
    if (levels === '123') sceneRounds(model, data, subset, batchSize, options);
    return { motion, appearance };
  } finally {
    model.eval();
  }
}

/**
 * Level 3 without gradients: round 1 updates M^s with the scene queries; the final round updates
 * only M^r with the keys `[vec W_b, W_s]` (M^b and M^s unchanged).
 */
function sceneRounds(model: MgNet, data: Float32Array, subset: Int32Array, batchSize: number, options: TrainMgNetOptions): void {
  const n = subset.length;
  const batches = Math.ceil(n / batchSize);
  const each = (stage: 'scene-memory' | 'matching-memory', step: (idx: number[]) => void) => {
    options.onStage?.(stage);
    for (let b = 0; b < batches; b++) {
      step(Array.from(subset.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize))));
      options.onProgress?.({ stage, epoch: 0, batch: b, batches, loss: NaN });
    }
  };
  each('scene-memory', (idx) => {
    const q = model.sceneQueries(data, idx);
    model.memS.update(q);
    q.dispose();
  });
  each('matching-memory', (idx) => {
    const keys = tf.tidy(() => {
      const tokens = model.student.call(model.crops(data, idx));
      const { wb, ws } = model.bsmmKeys(tokens, model.sceneQueries(data, idx));
      return tf.concat([wb, ws], 1);
    });
    model.memR.update(keys);
    keys.dispose();
  });
}

function gather(src: Float32Array, idx: number[], per: number): Float32Array {
  const out = new Float32Array(idx.length * per);
  idx.forEach((r, i) => out.set(src.subarray(r * per, (r + 1) * per), i * per));
  return out;
}
