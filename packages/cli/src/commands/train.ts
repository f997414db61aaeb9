import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TrainingDivergedError, TrainingInterruptedError } from '@skelflow/base';
import { recoverFolder } from '@skelflow/base/node';
import { initBackend } from '@skelflow/core';
import type { AnomalyModel, AnyModelFamily, PoseFolder, Recipe, TrainData, TrainingState, TrainOptions, TrainResult } from '@skelflow/model';
import { CHECKPOINT_DIR, configDifferences, dataFingerprint, readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import { readPoseDir } from '@skelflow/pose/node';
import { flagUsage, parseArgsOptions, peekFlag, typedFlagValues } from '../family_flags.js';
import { BACKEND_FLAG, columns } from '../help.js';
import { checkPoseDims, configDims } from '../pose_dims.js';
import { displayPath, relativePath } from '../paths.js';
import { EpochMeanLoss, ProgressBar } from '../progress.js';
import { registry } from '../registry.js';
import { backendFlag, parseFlags, UsageError, type Io } from '../usage_error.js';

/** The usage text of `skelflow train`, with the flags of every registered family (or of one). */
export function trainUsage(kind?: string): string {
  const families = kind ? [registry.get(kind, '--model')] : registry.list();
  return `Usage: skelflow train --model <kind> --poses <dir> --out <model dir> [model flags] [--backend wasm|cpu]
                      [--force | --resume]

Trains a registered model (see 'skelflow models') on the normal pose tracks of --poses, with the
model family's recipe (segment length, stride, augmentation, epochs …), and saves it to --out
(config.json with the model kind, plus the family's files). The progress bar shows segments/s,
the time left and the running mean loss of the current epoch (the value the final line reports).

${columns([
  ['--model <kind>', `a registered model kind (${registry.kinds().join(', ')}; default stg-nf)`],
  ['--poses <dir>', 'folder of normal <clip>_alphapose_tracked_person.json training files (or of 3-D\n<clip>_tracked_person_3d.json files, for a model taking 3-D input)'],
  ['--out <dir>', 'folder to save the model to'],
  BACKEND_FLAG,
  ['--force', 'replace what --out holds (a model, a checkpoint, other files)'],
  ['--resume', 'continue the run checkpointed in --out (same data and flags): the final weights are\nthose of an uninterrupted run, bit for bit'],
])}

Training that survives (docs/cli.md): every step is checked (a non-finite or exploding loss, a
non-finite or huge parameter or BatchNorm statistic stops the run, naming epoch and batch); a
checkpoint (model, optimiser, batch order, data fingerprint) is written atomically to
--out/checkpoint before the first step and after every epoch; SIGINT/SIGTERM checkpoint and stop.

Model flags (${kind ? `'skelflow train --help' lists every model's` : "'skelflow train --model <kind> --help' lists one model's"}):

${families.map((f) => `--model ${f.kind}: ${f.summary}\n${flagUsage(f.flags)}`).join('\n\n')}
`;
}

/** Where `trainFamily` reads its data: the normal poses and the folders of the family's `poses` flags. */
export interface TrainInput {
  /** Folder of normal training pose tracks. */
  poses: string;
  /** Folders by flag name (e.g. `abnormal-poses`). */
  folders?: Record<string, string>;
}

/** Reads the pose folders and prepares the family's training data (with warnings on stderr). */
export async function readTrainingData(family: AnyModelFamily, config: Recipe, input: TrainInput, io: Io, command = 'train'): Promise<TrainData> {
  const warn = (m: string) => io.stderr(`skelflow ${command}: warning: ${m}\n`);
  const dims = configDims(family, config);
  const read = async (dir: string): Promise<PoseFolder> => {
    const clips = await readPoseDir(dir);
    checkPoseDims(clips, dims, dir, `--model ${family.kind}`);
    return { clips, source: dir };
  };
  const normal = await read(input.poses);
  const folders: Record<string, PoseFolder> = {};
  for (const [name, dir] of Object.entries(input.folders ?? {})) folders[name] = await read(dir);
  return family.trainingData({ normal, folders }, config, warn);
}

/** Trains on prepared data with a progress bar on stderr; `options` go to the family's `train`. */
async function trainWithBar(
  family: AnyModelFamily,
  target: AnomalyModel | Recipe,
  config: Recipe,
  data: TrainData,
  io: Io,
  options: Omit<TrainOptions<Recipe>, 'onProgress' | 'config'> = {},
): Promise<TrainResult<AnomalyModel>> {
  // A family taking 2-D and 3-D tracks (config.dims) or another layout (config.layout) changes its segment size.
  const channels = family.input.channels - family.input.dims + configDims(family, config);
  const joints = config.layout === undefined ? family.input.joints : config.layout === 'coco17' ? 17 : 18;
  const per = channels * config.segLen * joints;
  const nSegments = data.segments.length / per;
  io.stderr(`training ${family.kind} on ${nSegments} segments\n`);
  // Throughput counts from the first step this run makes (a resumed run starts mid-way).
  const bar = new ProgressBar('training', 1, io.stderr, undefined, { unit: 'segments', countFromFirstUpdate: true });
  const epochLoss = new EpochMeanLoss();
  let unitsSet = false;
  const result = await family.train(target, data, {
    ...options,
    config,
    onProgress: (p) => {
      if (!unitsSet && p.total > 0) {
        // Steps are batches over all epochs: segments per step = segments × epochs / steps.
        bar.setUnitsPerStep((nSegments * config.epochs) / p.total);
        unitsSet = true;
      }
      // The running mean of the epoch's batch losses: it ends on the value the trainer records.
      const loss = p.epoch !== undefined && p.loss !== undefined ? `epoch ${p.epoch + 1} loss ${epochLoss.add(p.epoch, p.loss).toFixed(3)}` : '';
      bar.setTotal(p.total).update(p.done, [loss, p.message ?? ''].filter(Boolean).join('  '));
    },
  });
  const last = result.history[result.history.length - 1];
  bar.done(last === undefined ? '' : `epoch ${result.history.length} loss ${last.toFixed(3)}`);
  return result;
}

/**
 * Reads the pose folders, prepares the family's training data and trains a new model from
 * `config`, with a progress bar on stderr.
 *
 * @example
 * ```ts
 * const family = registry.get('pca-gaussian');
 * const { model } = await trainFamily(family, family.configure({}), { poses: 'data/pose/train' }, io);
 * ```
 */
export async function trainFamily(family: AnyModelFamily, config: Recipe, input: TrainInput, io: Io, command = 'train'): Promise<TrainResult<AnomalyModel>> {
  const data = await readTrainingData(family, config, input, io, command);
  return trainWithBar(family, config, config, data, io);
}

/**
 * Checks `--out` before any work: it must be a folder (or not exist; it is created now, so an
 * unwritable place fails at once); a non-empty one needs --force, or --resume with a checkpoint.
 */
async function checkTrainOut(out: string, force: boolean, resume: boolean): Promise<void> {
  // The model folder is replaced by renames in its parent: never the current folder or one above it.
  const abs = path.resolve(out);
  const rel = path.relative(abs, process.cwd());
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new UsageError(`--out ${out} is the current folder or contains it; choose a folder inside it`, { source: 'skelflow train' });
  }
  await fs.mkdir(path.dirname(abs), { recursive: true }).catch(() => undefined);
  await fs.access(path.dirname(abs), fsConstants.W_OK).catch(() => {
    throw new UsageError(`cannot write beside ${out} (its parent folder is missing or not writable; the model folder is written there and renamed into place)`, { source: 'skelflow train' });
  });
  await recoverFolder(out);
  const st = await fs.stat(out).catch(() => null);
  if (st && !st.isDirectory()) throw new UsageError(`${out} exists and is not a folder; --out takes a folder`, { source: 'skelflow train' });
  const entries = st ? await fs.readdir(out) : [];
  const hasCheckpoint = entries.includes(CHECKPOINT_DIR);
  if (resume) {
    if (force) throw new UsageError('--resume and --force exclude each other', { source: 'skelflow train' });
    if (!hasCheckpoint) throw new UsageError(`${out} holds no training checkpoint to resume (${CHECKPOINT_DIR}/)`, { source: 'skelflow train' });
  } else if (entries.length > 0 && !force) {
    const what = hasCheckpoint
      ? 'holds an interrupted training run (checkpoint/); pass --resume to continue it or --force to start over'
      : entries.includes('model.json') || entries.includes('config.json')
        ? 'already holds a model; pass --force to replace it'
        : 'is not empty; pass --force to replace its content with the model';
    throw new UsageError(`${out} ${what}`, { source: 'skelflow train' });
  }
  await fs.mkdir(out, { recursive: true });
  await fs.access(out, fsConstants.W_OK).catch(() => {
    throw new UsageError(`${out} is not writable`, { source: 'skelflow train' });
  });
}

/** The config fields a resumed run must share with its checkpoint (all of them, as JSON). */
function plainConfig(config: Recipe): Record<string, unknown> {
  return JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
}

/** `skelflow train`. */
export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const kind = peekFlag(argv, 'model') ?? 'stg-nf';
  const asksHelp = argv.includes('--help') || argv.includes('-h');
  if (asksHelp && peekFlag(argv, 'model') === undefined) {
    io.stdout(trainUsage());
    return 0;
  }
  const family = registry.get(kind, '--model');
  const { values, help } = parseFlags(
    'train',
    argv,
    {
      model: { type: 'string' },
      poses: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
      force: { type: 'boolean' },
      resume: { type: 'boolean' },
      ...parseArgsOptions(family.flags),
    },
    ['poses', 'out'],
  );
  if (help) {
    io.stdout(trainUsage(kind));
    return 0;
  }
  const raw = values as Record<string, string | boolean | undefined>;
  const typed = typedFlagValues('train', family.flags, raw);
  const config = family.configure(typed);
  const folders: Record<string, string> = {};
  for (const f of family.flags) if (f.type === 'poses' && typeof typed[f.name] === 'string') folders[f.name] = typed[f.name] as string;
  const out = values.out!;
  const resume = !!values.resume;
  if (resume && !family.resumable) {
    throw new UsageError(`--model ${family.kind} trains in one step and writes no checkpoint, so it cannot --resume; train it again (with --force to replace --out)`, { source: 'skelflow train' });
  }
  await checkTrainOut(out, !!values.force, resume);
  await initBackend(backendFlag('train', values.backend));
  const t0 = Date.now();
  const data = await readTrainingData(family, config, { poses: values.poses!, folders }, io);
  const fingerprint = dataFingerprint(data);
  // A family taking 2-D and 3-D tracks (config.dims) or another layout (config.layout) changes its segment size.
  const channels = family.input.channels - family.input.dims + configDims(family, config);
  const joints = config.layout === undefined ? family.input.joints : config.layout === 'coco17' ? 17 : 18;
  const per = channels * config.segLen * joints;
  const nSegments = data.segments.length / per;
  const saved = { config: plainConfig(config), fingerprint, nSegments };
  let target: AnomalyModel | Recipe = config;
  let state: TrainingState | undefined;
  if (resume) {
    const cp = await readCheckpoint(out);
    if (cp.meta.kind !== family.kind) throw new UsageError(`the checkpoint in ${cp.dir} is a ${cp.meta.kind} run, not ${family.kind}; pass --model ${cp.meta.kind}`, { source: 'skelflow train' });
    const diff = configDifferences(saved.config, cp.meta.config);
    if (diff.length > 0) throw new UsageError(`cannot resume: the flags differ from the checkpoint's: ${diff.join(', ')}`, { source: 'skelflow train' });
    if (cp.meta.fingerprint !== fingerprint) {
      throw new UsageError(`cannot resume: the training data differ from the checkpoint's (${nSegments} segments, sha256 ${fingerprint.slice(0, 12)}…; checkpoint: ${cp.meta.nSegments} segments, ${String(cp.meta.fingerprint).slice(0, 12)}…)`, { source: 'skelflow train' });
    }
    target = await family.load(cp.dir);
    state = cp.state;
    io.stderr(`resuming from ${cp.dir} at epoch ${state.epoch + 1}, batch ${state.batch + 1}\n`);
  }
  // Signals ask the loop to stop after the current batch; it checkpoints, and we exit non-zero.
  let stopBy: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopBy) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: stop now (the checkpoint on disk stays intact)
    stopBy = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let last: { epoch: number; batch: number } | null = state ? { epoch: state.epoch, batch: state.batch } : null;
  const checkpointDir = path.join(out, CHECKPOINT_DIR);
  let result: TrainResult<AnomalyModel>;
  try {
    result = await trainWithBar(family, target, config, data, io, {
      ...(state ? { resume: state } : {}),
      shouldStop: () => stopBy,
      onCheckpoint: async (model, s) => {
        await writeCheckpoint(out, model, s, saved);
        last = { epoch: s.epoch, batch: s.batch };
        io.stderr(`\rcheckpoint: ${s.epoch === 0 && s.batch === 0 ? 'before the first step' : `epoch ${s.epoch}${s.batch ? ` + ${s.batch} batches` : ''} done`} → ${checkpointDir}\x1b[K\n`);
      },
    });
  } catch (e) {
    if (typeof target === 'object' && 'dispose' in target) (target as AnomalyModel).dispose();
    const where = (p: { epoch: number; batch: number } | null) =>
      p === null ? 'none was written' : p.epoch === 0 && p.batch === 0 ? `before the first step, in ${checkpointDir}` : `after epoch ${p.epoch}${p.batch ? ` + ${p.batch} batches` : ''}, in ${checkpointDir}`;
    if (e instanceof TrainingDivergedError) {
      throw new TrainingDivergedError(`${e.reason}; no model saved; the last good checkpoint is ${where(last)}`, e.at, { source: 'skelflow train' });
    }
    if (e instanceof TrainingInterruptedError) {
      io.stderr(`\nskelflow train: ${e.reason}; checkpoint saved ${where(last)}; continue with: skelflow ${['train', ...argv.filter((a) => a !== '--force')].join(' ')} --resume\n`);
      return e.by === 'SIGINT' ? 130 : 143;
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw e;
  }
  const { model, history } = result;
  try {
    // Data folders are named relative to the model folder (no absolute path in what is written).
    const rel = (dir: string) => relativePath(out, dir);
    const relFolders = Object.fromEntries(Object.entries(folders).map(([k, v]) => [k, rel(v)]));
    // The handlers stay through the final save: a first signal now lets the (atomic, short) save
    // finish instead of killing it half-way; a second one still stops at once.
    await model.save(out, { meta: { training: { ...config, poses: rel(values.poses!), ...(Object.keys(folders).length ? { folders: relFolders } : {}), nSegments, history, fingerprint } }, overwrite: true, keep: [CHECKPOINT_DIR] });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    model.dispose();
  }
  io.stdout(`trained ${family.kind} on ${nSegments} segments in ${((Date.now() - t0) / 1000).toFixed(1)} s, final loss ${history[history.length - 1]!.toFixed(4)} → ${displayPath(out)}\n`);
  return 0;
}
