import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { writeAtomic } from '@skelflow/core/node';
import { demoDatasetStats, generateDemoDataset } from '@skelflow/pose';
import { BACKEND_FLAG, columns } from '../help.js';
import { displayPath, relativePath } from '../paths.js';
import { prepareDemoCache } from '../demo_cache.js';
import { htmlReportFromFolders } from '../report_files.js';
import { registry } from '../registry.js';
import { backendFlag, intFlag, parseFlags, UsageError, type Io } from '../usage_error.js';
import { evaluateModel } from './eval.js';
import { trainFamily } from './train.js';

export const DEMO_USAGE = `Usage: skelflow demo [--model stg-nf] [--out ./skelflow-demo] [--scale demo|tiny] [--seed 7] [--epochs N]
                     [--per-clip-scale] [--backend wasm|cpu] [--force]

Generates a synthetic pose-track dataset in the ShanghaiTech layout (people walking; test clips with
running, falling, fighting and sudden sprints), caches it, trains the model with its recipe on the
normal training clips, evaluates on the test clips and writes report.json, report.html (per-clip
frame scores on one y-scale against the ground truth, ROC with the operating point, the most
anomalous segments as skeletons) and the trained model to --out.

${columns([
  ['--model <kind>', "a registered model kind (default stg-nf; see 'skelflow models')"],
  ['--out <dir>', 'output folder (default ./skelflow-demo)'],
  ['--scale demo|tiny', 'dataset size: demo (80 training clips, 55 MB cached) or tiny (2.5 MB, a smoke run)'],
  ['--seed <N>', 'seed of the dataset and the training (default 7)'],
  ['--epochs <N>', "training epochs (default: the model's recipe; tiny: at most 4)"],
  ['--per-clip-scale', 'in report.html, give each clip chart its own y-scale'],
  BACKEND_FLAG,
  ['--force', 'write into an --out folder that skelflow demo did not write'],
])}

The generated dataset is cached (its size and folder are printed) in $SKELFLOW_CACHE, or
~/.cache/skelflow when unset; delete the folder to reclaim the space. It is generated into a
temporary folder, verified against a manifest written last and renamed into place, so an
interrupted generation is never used (an incomplete cache is regenerated).
`;

/** Bytes in a folder, recursively. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(p) : (await fs.stat(p)).size;
  }
  return total;
}

const REPORT_MARKER = '.skelflow-demo-report';

async function prepareOut(out: string, force: boolean): Promise<void> {
  const entries = await fs.readdir(out).catch(() => null);
  if (entries && entries.length > 0 && !entries.includes(REPORT_MARKER) && !force) {
    throw new InputError('folder exists and was not written by skelflow demo; choose another --out or pass --force', { source: out });
  }
  await fs.mkdir(out, { recursive: true });
  await fs.writeFile(path.join(out, REPORT_MARKER), 'written by skelflow demo\n');
}

/** `skelflow demo`. */
export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseFlags('demo', argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    scale: { type: 'string' },
    seed: { type: 'string' },
    epochs: { type: 'string' },
    'per-clip-scale': { type: 'boolean' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (help) {
    io.stdout(DEMO_USAGE);
    return 0;
  }
  const scale = (values.scale ?? 'demo') as 'demo' | 'tiny';
  if (scale !== 'demo' && scale !== 'tiny') throw new UsageError(`--scale must be demo or tiny, got '${scale}'`, { source: 'skelflow demo' });
  const family = registry.get(values.model ?? 'stg-nf', '--model');
  const seed = intFlag('demo', 'seed', values.seed, 7, 0);
  // The recipe's epochs (STG-NF: the original's 8, about a minute on 2 cores with the fused
  // engine); tiny is a smoke run (at most 4).
  const epochs = intFlag('demo', 'epochs', values.epochs, scale === 'tiny' ? Math.min(4, family.recipe.epochs) : family.recipe.epochs);
  const out = path.resolve(values.out ?? 'skelflow-demo');
  const t0 = Date.now();
  await prepareOut(out, !!values.force);
  const backend = await initBackend(backendFlag('demo', values.backend));

  const cacheRoot = process.env.SKELFLOW_CACHE ?? path.join(os.homedir(), '.cache', 'skelflow');
  const data = path.join(cacheRoot, `demo-v2-${scale}-seed${seed}`);
  const mb = async () => `${((await folderBytes(data)) / 1e6).toFixed(1)} MB`;
  const cache = prepareDemoCache(data, () => {
    io.stderr(`generating the demo dataset (seed ${seed}, ${scale}) …\n`);
    // 80 training clips (~21k segments) keep the demo within a few minutes on 2 cores.
    return generateDemoDataset({ seed, scale, ...(scale === 'demo' ? { trainClips: 80 } : {}) });
  });
  if (cache.kind === 'cached') {
    io.stderr(`using the cached demo dataset in ${displayPath(data)} (${await mb()}; set SKELFLOW_CACHE to move it)\n`);
  } else {
    if (cache.replaced !== undefined) io.stderr(`  replaced an incomplete cache (${cache.replaced})\n`);
    const ds = cache.dataset;
    const st = demoDatasetStats(ds);
    io.stderr(`  ${ds.train.length} training clips, ${ds.test.length} test clips, ${st.test.abnormalFrames} of ${st.test.frames} test frames abnormal\n`);
    io.stderr(`  cached ${await mb()} in ${displayPath(data)} (reused by the next run; set SKELFLOW_CACHE to move it, delete the folder to reclaim the space)\n`);
  }

  const config = { ...family.configure({}), epochs, seed };
  const { model, history, nSegments } = await trainFamily(family, config, { poses: path.join(data, 'pose', 'train') }, io, 'demo');
  const modelDir = path.join(out, 'model');
  try {
    // Paths in saved files are relative to the file's folder (no absolute path, no user name).
    await model.save(modelDir, { meta: { training: { epochs, nSegments, history, data: relativePath(modelDir, data) } }, overwrite: true });
  } finally {
    model.dispose();
  }

  const gtDir = path.join(data, 'gt', 'test_frame_mask');
  const report = await evaluateModel({
    model: modelDir,
    poses: path.join(data, 'pose', 'test'),
    gt: gtDir,
    convention: 'shanghaitech',
    smooth: true,
    batch: 1024,
  });
  report.model = relativePath(out, modelDir);
  const secs = (Date.now() - t0) / 1000;
  await writeAtomic(path.join(out, 'report.json'), JSON.stringify(report) + '\n');
  const html = await htmlReportFromFolders(report, { poses: path.join(data, 'pose', 'test'), gt: gtDir, convention: 'shanghaitech' }, {
    title: `skelflow demo — ${family.kind} on synthetic pose tracks`,
    extra: [`backend ${backend}, ${epochs} epochs on ${nSegments} training segments, loss ${history.map((l) => l.toFixed(2)).join(' → ')}`, `total time ${secs.toFixed(0)} s`],
    perClipScale: !!values['per-clip-scale'],
  });
  await writeAtomic(path.join(out, 'report.html'), html);
  io.stdout(
    `demo AUC (frame level, smoothed) = ${report.auc.smoothed!.toFixed(4)}  (raw ${report.auc.raw.toFixed(4)})\n` +
      `report: ${displayPath(path.join(out, 'report.html'))}  model: ${displayPath(modelDir)}  (${secs.toFixed(0)} s)\n`,
  );
  return 0;
}
