import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { replaceFolder } from '@skelflow/base/node';
import type { AnomalyModel, TrainData, TrainingState } from '@skelflow/model';

/** The training checkpoint's folder inside a `skelflow train --out` folder. */
export const CHECKPOINT_DIR = 'checkpoint';
const STATE_JSON = 'state.json';
const STATE_BIN = 'state.bin';
const FORMAT = 'skelflow-training-state';

/** What `checkpoint/state.json` holds besides the arrays (which are in `state.bin`, float64 LE). */
export interface CheckpointMeta {
  format: typeof FORMAT;
  version: 1;
  /** Model kind. */
  kind: string;
  /** The training config (recipe and family fields) the run uses; a resume must use the same. */
  config: Record<string, unknown>;
  /** sha256 of the training segments and labels. */
  fingerprint: string;
  nSegments: number;
  state: Omit<TrainingState, 'arrays'>;
  /** Where each array is in state.bin (in float64 elements). */
  arrays: { name: string; offset: number; length: number }[];
}

/**
 * The training data's fingerprint: sha256 over the segments' bytes and the labels' (so a resume
 * on different data, or data segmented differently, is refused).
 */
export function dataFingerprint(data: TrainData): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(data.segments.buffer, data.segments.byteOffset, data.segments.byteLength));
  if (data.labels) h.update(new Uint8Array(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength));
  return h.digest('hex');
}

/**
 * Writes `out/checkpoint` as a set (the model's own folder files, `state.json`, `state.bin`): the
 * checkpoint on disk is always the previous complete one or the new one.
 */
export async function writeCheckpoint(out: string, model: AnomalyModel, state: TrainingState, meta: Omit<CheckpointMeta, 'format' | 'version' | 'state' | 'arrays' | 'kind'>): Promise<void> {
  const { arrays, ...rest } = state;
  const index: CheckpointMeta['arrays'] = [];
  let total = 0;
  for (const [name, a] of Object.entries(arrays)) {
    index.push({ name, offset: total, length: a.length });
    total += a.length;
  }
  const bin = new Uint8Array(total * 8);
  const view = new DataView(bin.buffer);
  for (const { name, offset } of index) arrays[name]!.forEach((v, i) => view.setFloat64((offset + i) * 8, v, true));
  const json: CheckpointMeta = { format: FORMAT, version: 1, kind: model.kind, ...meta, state: rest, arrays: index };
  await replaceFolder(
    path.join(out, CHECKPOINT_DIR),
    async (tmp) => {
      await model.save(tmp, { overwrite: true, meta: { training: { ...meta.config, checkpoint: { epoch: state.epoch, batch: state.batch } } } });
      await fs.writeFile(path.join(tmp, STATE_BIN), bin);
      await fs.writeFile(path.join(tmp, STATE_JSON), JSON.stringify(json) + '\n');
    },
    { overwrite: true },
  );
}

/** Reads `out/checkpoint`'s state (the model itself is loaded by the family from the same folder). */
export async function readCheckpoint(out: string): Promise<{ meta: CheckpointMeta; state: TrainingState; dir: string }> {
  const dir = path.join(out, CHECKPOINT_DIR);
  const file = path.join(dir, STATE_JSON);
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new InputError('no training checkpoint to resume here (checkpoint/state.json)', { source: out });
  });
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(text) as CheckpointMeta;
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { source: file });
  }
  if (meta?.format !== FORMAT || meta.version !== 1 || !Array.isArray(meta.arrays) || typeof meta.state !== 'object') {
    throw new InputError(`not a ${FORMAT} version 1 file`, { source: file });
  }
  const binFile = path.join(dir, STATE_BIN);
  const bytes = await fs.readFile(binFile).catch(() => {
    throw new InputError('missing', { source: binFile });
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const arrays: Record<string, Float64Array> = {};
  for (const { name, offset, length } of meta.arrays) {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || (offset + length) * 8 > bytes.length) {
      throw new InputError(`array '${name}' lies outside the file (${bytes.length} bytes)`, { source: binFile, location: name });
    }
    const a = new Float64Array(length);
    for (let i = 0; i < length; i++) a[i] = view.getFloat64((offset + i) * 8, true);
    arrays[name] = a;
  }
  return { meta, state: { ...meta.state, arrays }, dir };
}

/** The fields whose values differ between two configs, as `name: now (checkpoint was)`. */
export function configDifferences(now: Record<string, unknown>, saved: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(now), ...Object.keys(saved)])];
  return keys.filter((k) => JSON.stringify(now[k]) !== JSON.stringify(saved[k])).map((k) => `${k} ${JSON.stringify(now[k])} (checkpoint: ${JSON.stringify(saved[k])})`);
}
