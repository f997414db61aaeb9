import fs from 'node:fs/promises';
import { initBackend } from '@skelflow/core';
import type { AnomalyModel, AnyModelFamily, PoseFolder, Recipe, TrainResult } from '@skelflow/model';
import { readPoseDir } from '@skelflow/pose/node';
import { flagUsage, parseArgsOptions, peekFlag, typedFlagValues } from '../family_flags.js';
import { BACKEND_FLAG, columns } from '../help.js';
import { displayPath, relativePath } from '../paths.js';
import { EpochMeanLoss, ProgressBar } from '../progress.js';
import { registry } from '../registry.js';
import { backendFlag, parseFlags, UsageError, type Io } from '../usage_error.js';

/** The usage text of `skelflow train`, with the flags of every registered family (or of one). */
export function trainUsage(kind?: string): string {
  const families = kind ? [registry.get(kind, '--model')] : registry.list();
  return `Usage: skelflow train --model <kind> --poses <dir> --out <model dir> [model flags] [--backend wasm|cpu] [--force]

Trains a registered model (see 'skelflow models') on the normal pose tracks of --poses, with the
model family's recipe (segment length, stride, augmentation, epochs …), and saves it to --out
(config.json with the model kind, plus the family's files). The progress bar shows segments/s,
the time left and the running mean loss of the current epoch (the value the final line reports).

${columns([
  ['--model <kind>', `a registered model kind (${registry.kinds().join(', ')}; default stg-nf)`],
  ['--poses <dir>', 'folder of normal <clip>_alphapose_tracked_person.json training files'],
  ['--out <dir>', 'folder to save the model to'],
  BACKEND_FLAG,
  ['--force', 'replace a model already saved in --out'],
])}

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
  const warn = (m: string) => io.stderr(`skelflow ${command}: warning: ${m}\n`);
  const normal: PoseFolder = { clips: await readPoseDir(input.poses), source: input.poses };
  const folders: Record<string, PoseFolder> = {};
  for (const [name, dir] of Object.entries(input.folders ?? {})) folders[name] = { clips: await readPoseDir(dir), source: dir };
  const data = family.trainingData({ normal, folders }, config, warn);
  const per = family.input.channels * config.segLen * family.input.joints;
  io.stderr(`training ${family.kind} on ${data.segments.length / per} segments\n`);
  const nSegments = data.segments.length / per;
  const epochs = config.epochs;
  const bar = new ProgressBar('training', 1, io.stderr, undefined, { unit: 'segments' });
  const epochLoss = new EpochMeanLoss();
  let unitsSet = false;
  const result = await family.train(config, data, {
    onProgress: (p) => {
      if (!unitsSet && p.total > 0) {
        // Steps are batches over all epochs: segments per step = segments × epochs / steps.
        bar.setUnitsPerStep((nSegments * epochs) / p.total);
        unitsSet = true;
      }
      const loss = p.epoch !== undefined && p.loss !== undefined ? `epoch ${p.epoch + 1} loss ${epochLoss.add(p.epoch, p.loss).toFixed(3)}` : '';
      bar.setTotal(p.total).update(p.done, [loss, p.message ?? ''].filter(Boolean).join('  '));
    },
  });
  bar.done(`epoch ${result.history.length} loss ${result.history[result.history.length - 1]!.toFixed(3)}`);
  return result;
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
    { model: { type: 'string' }, poses: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, force: { type: 'boolean' }, ...parseArgsOptions(family.flags) },
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
  const taken = async (f: string) => fs.stat(`${out}/${f}`).then(() => true, () => false);
  if (!values.force && ((await taken('config.json')) || (await taken('model.json')))) {
    throw new UsageError(`${out} already holds a model; pass --force to replace it`, { source: 'skelflow train' });
  }
  await initBackend(backendFlag('train', values.backend));
  const t0 = Date.now();
  const { model, history, nSegments } = await trainFamily(family, config, { poses: values.poses!, folders }, io);
  try {
    // Data folders are named relative to the model folder (no absolute path in what is written).
    const rel = (dir: string) => relativePath(out, dir);
    const relFolders = Object.fromEntries(Object.entries(folders).map(([k, v]) => [k, rel(v)]));
    await model.save(out, { meta: { training: { ...config, poses: rel(values.poses!), ...(Object.keys(folders).length ? { folders: relFolders } : {}), nSegments, history } }, overwrite: !!values.force });
  } finally {
    model.dispose();
  }
  io.stdout(`trained ${family.kind} on ${nSegments} segments in ${((Date.now() - t0) / 1000).toFixed(1)} s, final loss ${history[history.length - 1]!.toFixed(4)} → ${displayPath(out)}\n`);
  return 0;
}
