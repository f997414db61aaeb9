import fs from 'node:fs/promises';
import { InputError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { segmentTracks, type PoseClip } from '@skelflow/pose';
import { readPoseDir } from '@skelflow/pose/node';
import { createStgNf, saveStgNf, trainStgNf, type StgNf } from '@skelflow/stg-nf';
import { ProgressBar } from '../progress.js';
import { intFlag, numFlag, parseFlags, UsageError, type Io } from '../usage_error.js';

export const TRAIN_USAGE = `Usage: skelflow train --model stg-nf --poses <dir> --out <model dir>
                      [--abnormal-poses <dir>] [--seg-len 24] [--epochs 8] [--batch 256] [--lr 5e-4]
                      [--R 3] [--seed N] [--backend wasm|cpu] [--force]

Trains STG-NF on the normal pose tracks of --poses (segments of --seg-len frames, stride 6, each also
horizontally flipped, as the original). With --abnormal-poses the run is supervised: those segments
are pushed to the prior's N(−R, I) component (STG-NF's UBnormal supervised mode; use --R 10 there).
Saves config.json, model.json and weights.bin to --out.
`;

/** Normalised training segments (plain + flipped) of a folder of pose tracks. */
export function trainingSegments(clips: PoseClip[], segLen: number, source: string, onWarning?: (m: string) => void): Float32Array {
  for (const c of clips) if (c.tracks.size === 0) onWarning?.(`${c.source ?? c.name}: no person in this clip; it adds no training segment`);
  const plain = segmentTracks(clips, { segLen, stride: 6 });
  if (plain.meta.clip.length === 0) {
    throw new InputError(`no person is tracked for more than ${segLen} frames, so there is no training segment`, { source });
  }
  const flipped = segmentTracks(clips, { segLen, stride: 6, flipHorizontal: true });
  const all = new Float32Array(plain.data.length + flipped.data.length);
  all.set(plain.data);
  all.set(flipped.data, plain.data.length);
  return all;
}

/** Everything `skelflow train` needs, parsed. */
export interface TrainOptions {
  poses: string;
  abnormalPoses?: string;
  segLen: number;
  epochs: number;
  batch: number;
  lr: number;
  R: number;
  seed: number;
}

/** Reads the data, trains a model and returns it with its per-epoch losses. */
export async function trainFromFolders(options: TrainOptions, io: Io): Promise<{ model: StgNf; history: number[]; nSegments: number }> {
  const warn = (m: string) => io.stderr(`skelflow train: warning: ${m}\n`);
  const normal = trainingSegments(await readPoseDir(options.poses), options.segLen, options.poses, warn);
  let data = normal;
  let labels: Int8Array | undefined;
  if (options.abnormalPoses) {
    const abnormal = trainingSegments(await readPoseDir(options.abnormalPoses), options.segLen, options.abnormalPoses, warn);
    data = new Float32Array(normal.length + abnormal.length);
    data.set(normal);
    data.set(abnormal, normal.length);
    const per = 2 * options.segLen * 18;
    labels = new Int8Array(data.length / per).fill(1);
    labels.fill(-1, normal.length / per);
  }
  const nSegments = data.length / (2 * options.segLen * 18);
  io.stderr(`training STG-NF on ${nSegments} segments (${options.epochs} epochs, batch ${options.batch})\n`);
  const model = createStgNf({ segLen: options.segLen, R: options.R, seed: options.seed });
  const batches = Math.ceil(nSegments / options.batch);
  const bar = new ProgressBar('training', options.epochs * batches, io.stderr);
  const history = await trainStgNf(model, data, labels, {
    epochs: options.epochs,
    batchSize: options.batch,
    lr: options.lr,
    seed: options.seed,
    onBatch: (p) => bar.update(p.epoch * batches + p.batch + 1, `epoch ${p.epoch + 1} loss ${p.loss.toFixed(3)}`),
  });
  bar.done(`loss ${history[history.length - 1]!.toFixed(3)}`);
  return { model, history, nSegments };
}

/** `skelflow train`. */
export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseFlags('train', argv, {
    model: { type: 'string' },
    poses: { type: 'string' },
    'abnormal-poses': { type: 'string' },
    out: { type: 'string' },
    'seg-len': { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    R: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
  }, ['poses', 'out']);
  if (help) {
    io.stdout(TRAIN_USAGE);
    return 0;
  }
  if ((values.model ?? 'stg-nf') !== 'stg-nf') {
    throw new UsageError(`unknown --model '${values.model}' (available: stg-nf)`, { source: 'skelflow train' });
  }
  const out = values.out!;
  if (!values.force && (await fs.stat(`${out}/model.json`).then(() => true, () => false))) {
    throw new UsageError(`${out} already holds a model; pass --force to replace it`, { source: 'skelflow train' });
  }
  const options: TrainOptions = {
    poses: values.poses!,
    ...(values['abnormal-poses'] ? { abnormalPoses: values['abnormal-poses'] } : {}),
    segLen: intFlag('train', 'seg-len', values['seg-len'], 24, 4),
    epochs: intFlag('train', 'epochs', values.epochs, 8),
    batch: intFlag('train', 'batch', values.batch, 256),
    lr: numFlag('train', 'lr', values.lr, 5e-4),
    R: numFlag('train', 'R', values.R, 3),
    seed: intFlag('train', 'seed', values.seed, 999, 0),
  };
  await initBackend((values.backend as 'wasm' | 'cpu' | undefined) ?? 'auto');
  const t0 = Date.now();
  const { model, history, nSegments } = await trainFromFolders(options, io);
  await saveStgNf(out, model, { training: { ...options, nSegments, history } }, { overwrite: !!values.force });
  model.dispose();
  io.stdout(`trained on ${nSegments} segments in ${((Date.now() - t0) / 1000).toFixed(1)} s, final loss ${history[history.length - 1]!.toFixed(4)} → ${out}\n`);
  return 0;
}
