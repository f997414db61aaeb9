import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { writeAtomic } from '@skelflow/core/node';
import type { AnyModelFamily, FlagSpec, FlagValues, Recipe } from '@skelflow/model';
import { flagUsage, parseArgsOptions, typedFlagValues } from '../family_flags.js';
import { BACKEND_FLAG, columns } from '../help.js';
import { displayPath, relativePath } from '../paths.js';
import { registry } from '../registry.js';
import { backendFlag, intFlag, parseFlags, UsageError, type Io } from '../usage_error.js';
import { evaluateModel } from './eval.js';
import { trainFamily } from './train.js';

/** The usage text of `skelflow benchmark`, with the flags of every registered family. */
export function benchmarkUsage(): string {
  return `Usage: skelflow benchmark --data <dataset dir> --out <dir> [--models stg-nf[,…]] [--seeds 3]
                          [model flags] [--backend wasm|cpu] [--force]

Trains and evaluates each model on a dataset in the ShanghaiTech layout (pose/train, pose/test,
gt/test_frame_mask — e.g. the output of 'skelflow mocap-dataset') once per seed (seeds 1…N), each
with its family's recipe, and writes benchmark.json and benchmark.md to --out: one row per model
with frame-level AUC (smoothed and raw) mean ± std over the seeds, training time and scoring
throughput (segments/s); the trained models go to --out/models/<model>-seed<N> and each run's
evaluation report (as 'skelflow eval' writes it) to --out/runs/<model>-seed<N>.json.

${columns([
  ['--data <dir>', 'the dataset: pose/train, pose/test, gt/test_frame_mask'],
  ['--out <dir>', 'where benchmark.json, benchmark.md, models/ and runs/ go'],
  ['--models <kinds>', `comma-separated registered kinds (${registry.kinds().join(', ')}; see 'skelflow models'; default stg-nf)`],
  ['--seeds <N>', 'number of seeds N (runs with seeds 1…N; default 3)'],
  BACKEND_FLAG,
  ['--force', 'write into a non-empty --out that this command did not write'],
])}

A rerun into the same --out first removes the previous results (models/, runs/, benchmark.json,
benchmark.md): the folder only ever holds the runs of the last benchmark.

Model flags apply to every listed model that declares them (defaults: each family's recipe):
${registry
  .list()
  .map((f) => `  ${f.kind}:\n${flagUsage(benchmarkFlags([f]), '    ')}`)
  .join('\n')}
`;
}

/** The flags `benchmark` accepts for these families: their own, without data folders and seeds. */
function benchmarkFlags(families: readonly AnyModelFamily[]): FlagSpec[] {
  const seen = new Map<string, FlagSpec>();
  for (const f of families) for (const spec of f.flags) if (spec.type !== 'poses' && spec.name !== 'seed' && !seen.has(spec.name)) seen.set(spec.name, spec);
  return [...seen.values()];
}

const MARKER = '.skelflow-benchmark';

/** Mean, sample standard deviation (n − 1; 0 for one value) and the values. */
export interface Summary {
  mean: number;
  std: number;
  values: number[];
}

/** One training + evaluation run. */
export interface BenchmarkRun {
  seed: number;
  aucSmoothed: number | null;
  aucRaw: number;
  /** Seconds for reading the training data, segmenting and training. */
  trainSeconds: number;
  finalLoss: number;
  nTrainSegments: number;
  nTestSegments: number;
  /** Scoring throughput of the model on the test segments (steady state, after the first batch). */
  scoringSegmentsPerSecond: number;
  /**
   * Models with `explainSegments` and thresholds only: clip-level precision and recall of the clip
   * rule (max_t S_t > τ_frame ∨ mean_t S_t > τ_seq ∨ S_frac ≥ τ_frac) and the ROC AUC of max_t S_t
   * (the eval report's `clipLevel`; null where undefined).
   */
  clipLevel?: { precision: number | null; recall: number | null; auc: number | null };
}

/** `benchmark.json`. */
export interface BenchmarkReport {
  data: string;
  dataset: Record<string, unknown> | null;
  /** Shared settings: `epochs`, `batch`, `lr`, `segLen` are null when the models' configs differ. */
  settings: { epochs: number | null; batch: number | null; lr: number | null; segLen: number | null; seeds: number[]; backend: string; flags: FlagValues };
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  models: {
    model: string;
    /** The family config the runs used (seed aside). */
    config: Recipe;
    aucSmoothed: Summary;
    aucRaw: Summary;
    trainSeconds: Summary;
    scoringSegmentsPerSecond: Summary;
    /** Models with clip-level decisions only: clip precision, recall and AUC over the seeds (runs where defined). */
    clipPrecision?: Summary;
    clipRecall?: Summary;
    clipAuc?: Summary;
    runs: BenchmarkRun[];
  }[];
  totalSeconds: number;
}

interface RunContext {
  data: string;
  out: string;
  io: Io;
}

/** Trains `family` with `config` and `seed` on `data/pose/train`, evaluates on the test split, writes the model and the run report. */
async function runFamily(family: AnyModelFamily, config: Recipe, seed: number, ctx: RunContext): Promise<BenchmarkRun> {
  const t0 = performance.now();
  const { model, history, nSegments } = await trainFamily(family, { ...config, seed }, { poses: path.join(ctx.data, 'pose', 'train') }, ctx.io, 'benchmark');
  const trainSeconds = (performance.now() - t0) / 1000;
  const name = `${family.kind}-seed${seed}`;
  const modelDir = path.join(ctx.out, 'models', name);
  try {
    // Paths in saved files are relative to the file's folder (the output folder can be moved).
    await model.save(modelDir, { meta: { training: { ...config, seed, nSegments, history, data: relativePath(modelDir, ctx.data) } }, overwrite: true });
  } finally {
    model.dispose();
  }
  // Throughput from the progress callbacks: time between the end of the first batch and the end
  // of the last one (excludes loading, reading and the first batch's warm-up).
  const t1 = performance.now();
  let first: { t: number; done: number } | null = null;
  let last: { t: number; done: number } | null = null;
  const report = await evaluateModel(
    {
      model: modelDir,
      poses: path.join(ctx.data, 'pose', 'test'),
      gt: path.join(ctx.data, 'gt', 'test_frame_mask'),
      convention: 'shanghaitech',
      smooth: true,
      batch: 256,
    },
    (done) => {
      const p = { t: performance.now(), done };
      if (!first) first = p;
      last = p;
    },
    (message) => ctx.io.stderr(`skelflow benchmark: warning: ${message}\n`),
  );
  report.model = relativePath(path.join(ctx.out, 'runs'), modelDir);
  await fs.mkdir(path.join(ctx.out, 'runs'), { recursive: true });
  await writeAtomic(path.join(ctx.out, 'runs', `${name}.json`), JSON.stringify(report) + '\n');
  const f = first as { t: number; done: number } | null;
  const l = last as { t: number; done: number } | null;
  let rate: number;
  if (f && l && l.done > f.done && l.t > f.t) rate = (l.done - f.done) / ((l.t - f.t) / 1000);
  else rate = report.nSegments / Math.max((performance.now() - t1) / 1000, 1e-6);
  return {
    seed,
    aucSmoothed: report.auc.smoothed,
    aucRaw: report.auc.raw,
    trainSeconds,
    finalLoss: history[history.length - 1]!,
    nTrainSegments: nSegments,
    nTestSegments: report.nSegments,
    scoringSegmentsPerSecond: rate,
    ...(report.clipLevel ? { clipLevel: { precision: report.clipLevel.precision, recall: report.clipLevel.recall, auc: report.clipLevel.auc } } : {}),
  };
}

/**
 * Mean and sample standard deviation of a list.
 *
 * @example
 * ```ts
 * summarize([0.8, 0.9, 1.0]); // { mean: 0.9, std: 0.1, values: [0.8, 0.9, 1] }
 * ```
 */
export function summarize(values: number[]): Summary {
  const n = values.length;
  const mean = n > 0 ? values.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, values };
}

/**
 * The Markdown of a report (`benchmark.md`): settings, the summary table (one row per model) and
 * the per-run table.
 *
 * @example
 * ```ts
 * await fs.writeFile('benchmark.md', benchmarkMarkdown(report));
 * ```
 */
export function benchmarkMarkdown(r: BenchmarkReport): string {
  const pm = (s: Summary, d = 4) => (Number.isFinite(s.mean) ? `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}` : 'n/a');
  // Clip-level columns only when some model decides clips (models with explainSegments); '—' for the others.
  const clip = r.models.some((m) => m.clipPrecision !== undefined);
  const pmOpt = (s: Summary | undefined) => (s === undefined ? '—' : s.values.length === 0 ? 'n/a' : pm(s, 3));
  const one = (v: number | null | undefined) => (v === undefined ? '—' : v === null ? 'n/a' : v.toFixed(3));
  const lines = [
    `# skelflow benchmark`,
    '',
    `Data: \`${r.data}\`${r.dataset ? ` — ${describeDataset(r.dataset)}` : ''}`,
    '',
    `Settings: seeds ${r.settings.seeds.join(', ')}, backend ${r.settings.backend}; ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}. Models: ${r.models.map((m) => `${m.model} (${describeConfig(m.config)})`).join('; ')}.`,
    '',
    `| model | AUC smoothed (mean ± std) | AUC raw (mean ± std) | train time (s) | scoring (segments/s) | seeds |${clip ? ' clip precision | clip recall | clip AUC (max S_t) |' : ''}`,
    `| --- | --- | --- | --- | --- | --- |${clip ? ' --- | --- | --- |' : ''}`,
    ...r.models.map(
      (m) =>
        `| ${m.model} | ${pm(m.aucSmoothed)} | ${pm(m.aucRaw)} | ${pm(m.trainSeconds, 1)} | ${m.scoringSegmentsPerSecond.mean.toFixed(0)} ± ${m.scoringSegmentsPerSecond.std.toFixed(0)} | ${m.runs.length} |${
          clip ? ` ${pmOpt(m.clipPrecision)} | ${pmOpt(m.clipRecall)} | ${pmOpt(m.clipAuc)} |` : ''
        }`,
    ),
    '',
    'Per run:',
    '',
    `| model | seed | AUC smoothed | AUC raw | train time (s) | final loss | train segments | test segments | scoring (segments/s) |${clip ? ' clip precision | clip recall | clip AUC |' : ''}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- |${clip ? ' --- | --- | --- |' : ''}`,
    ...r.models.flatMap((m) =>
      m.runs.map(
        (u) =>
          `| ${m.model} | ${u.seed} | ${u.aucSmoothed === null ? 'n/a' : u.aucSmoothed.toFixed(4)} | ${u.aucRaw.toFixed(4)} | ${u.trainSeconds.toFixed(1)} | ${u.finalLoss.toFixed(3)} | ${u.nTrainSegments} | ${u.nTestSegments} | ${u.scoringSegmentsPerSecond.toFixed(0)} |${
            clip ? ` ${one(u.clipLevel?.precision)} | ${one(u.clipLevel?.recall)} | ${one(u.clipLevel?.auc)} |` : ''
          }`,
      ),
    ),
    '',
    `Std is the sample standard deviation over seeds; training time includes reading and segmenting the training poses; scoring throughput is measured after the first batch.${
      clip ? ' Clip columns (models that decide clips): a test clip is anomalous when any of its frames is; the clip rule is max_t S_t > τ_frame ∨ mean_t S_t > τ_seq ∨ S_frac ≥ τ_frac; their mean ± std is over the seeds where they are defined.' : ''
    } Total ${r.totalSeconds.toFixed(0)} s.`,
    '',
  ];
  return lines.join('\n');
}

/**
 * The clip-level summaries of a model's runs: present only when its runs carry clip-level
 * decisions; each over the runs where the value is defined.
 */
export function clipSummaries(runs: readonly BenchmarkRun[]): { clipPrecision?: Summary; clipRecall?: Summary; clipAuc?: Summary } {
  if (!runs.some((r) => r.clipLevel)) return {};
  const defined = (k: 'precision' | 'recall' | 'auc') => runs.map((r) => r.clipLevel?.[k]).filter((v): v is number => typeof v === 'number');
  return { clipPrecision: summarize(defined('precision')), clipRecall: summarize(defined('recall')), clipAuc: summarize(defined('auc')) };
}

function describeConfig(c: Recipe): string {
  const { segLen, trainStride, flipHorizontal, epochs, batchSize, lr, seed: _seed, ...own } = c as Recipe & Record<string, unknown>;
  const parts = [`segment length ${segLen}, stride ${trainStride}${flipHorizontal ? ' + flips' : ''}`, `${epochs} epoch${epochs === 1 ? '' : 's'}`];
  if (lr > 0) parts.push(`batch ${batchSize}, lr ${lr}`);
  for (const [k, v] of Object.entries(own)) if (v !== undefined) parts.push(`${k} ${String(v)}`);
  return parts.join(', ');
}

function describeDataset(d: Record<string, unknown>): string {
  const tr = d.train as { clips?: number; frames?: number } | undefined;
  const te = d.test as { clips?: number; frames?: number; abnormalFrames?: number } | undefined;
  const parts: string[] = [];
  if (typeof d.manifest === 'string') parts.push(`manifest ${d.manifest}`);
  if (tr) parts.push(`${tr.clips} training clips (${tr.frames} frames)`);
  if (te) parts.push(`${te.clips} test clips (${te.frames} frames, ${te.abnormalFrames} abnormal)`);
  return parts.join(', ');
}

/** What a benchmark writes into its --out; a rerun removes all of it first. */
const RESULTS = ['models', 'runs', 'benchmark.json', 'benchmark.md'];

/**
 * Readies --out: a folder this command did not write needs --force; the results of a previous
 * benchmark (models/, runs/, benchmark.json, benchmark.md) are removed, so a rerun with fewer seeds
 * or other models leaves no stale run beside the new ones.
 */
export async function prepareBenchmarkOut(out: string, force: boolean): Promise<void> {
  const st = await fs.stat(out).catch(() => null);
  if (st && !st.isDirectory()) throw new InputError('exists and is not a folder; --out takes a folder', { source: out });
  const entries = await fs.readdir(out).catch(() => null);
  if (entries && entries.length > 0 && !entries.includes(MARKER) && !force) {
    throw new InputError('folder exists and was not written by skelflow benchmark; choose another --out or pass --force', { source: out });
  }
  await fs.mkdir(out, { recursive: true });
  for (const r of RESULTS) await fs.rm(path.join(out, r), { recursive: true, force: true });
  await fs.writeFile(path.join(out, MARKER), 'written by skelflow benchmark\n');
}

/**
 * Runs the benchmark: every model × seed 1…`seeds` is trained (the family's recipe, overridden by
 * `flags` where the family declares them) and evaluated on `data`; writes
 * `benchmark.json` and `benchmark.md` to `out` (which must exist) and returns the report.
 *
 * @example
 * ```ts
 * const report = await runBenchmark({ data: '/tmp/cmu-ds', out: '/tmp/bench', models: ['stg-nf', 'pca-gaussian'], seeds: 3, flags: { epochs: 8 }, backend: 'wasm' }, io);
 * report.models[0].aucSmoothed.mean;
 * ```
 */
export async function runBenchmark(
  options: { data: string; out: string; models: string[]; seeds: number; flags?: FlagValues; backend: string },
  io: Io,
): Promise<BenchmarkReport> {
  const t0 = performance.now();
  for (const sub of ['pose/train', 'pose/test', 'gt/test_frame_mask']) {
    const st = await fs.stat(path.join(options.data, sub)).catch(() => null);
    if (!st?.isDirectory()) throw new InputError(`no ${sub} folder: expected a dataset in the ShanghaiTech layout (see skelflow mocap-dataset)`, { source: options.data });
  }
  const dataset = await fs
    .readFile(path.join(options.data, '.skelflow-mocap-dataset'), 'utf8')
    .then((t) => {
      const m = JSON.parse(t) as Record<string, unknown>;
      return { manifest: m.manifest, fps: m.fps, train: m.train, test: m.test } as Record<string, unknown>;
    })
    .catch(() => null);
  const seeds = Array.from({ length: options.seeds }, (_, i) => i + 1);
  const ctx: RunContext = { data: options.data, out: options.out, io };
  const flags = options.flags ?? {};
  const models: BenchmarkReport['models'] = [];
  for (const name of options.models) {
    const family = registry.get(name, '--models');
    const config = family.configure(Object.fromEntries(family.flags.map((f) => [f.name, flags[f.name]])));
    const runs: BenchmarkRun[] = [];
    for (const seed of seeds) {
      io.stderr(`[${name} seed ${seed}/${seeds.length}]\n`);
      const run = await runFamily(family, config, seed, ctx);
      io.stderr(`  AUC smoothed ${run.aucSmoothed?.toFixed(4) ?? 'n/a'} raw ${run.aucRaw.toFixed(4)}, train ${run.trainSeconds.toFixed(1)} s, scoring ${run.scoringSegmentsPerSecond.toFixed(0)} segments/s\n`);
      runs.push(run);
    }
    models.push({
      model: name,
      config: { ...config },
      aucSmoothed: summarize(runs.filter((r) => r.aucSmoothed !== null).map((r) => r.aucSmoothed!)),
      aucRaw: summarize(runs.map((r) => r.aucRaw)),
      trainSeconds: summarize(runs.map((r) => r.trainSeconds)),
      scoringSegmentsPerSecond: summarize(runs.map((r) => r.scoringSegmentsPerSecond)),
      ...clipSummaries(runs),
      runs,
    });
  }
  const report: BenchmarkReport = {
    data: relativePath(options.out, options.data),
    dataset,
    settings: {
      epochs: shared(models.map((m) => m.config.epochs)),
      batch: shared(models.map((m) => m.config.batchSize)),
      lr: shared(models.map((m) => m.config.lr)),
      segLen: shared(models.map((m) => m.config.segLen)),
      seeds,
      backend: options.backend,
      flags,
    },
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
    models,
    totalSeconds: (performance.now() - t0) / 1000,
  };
  await writeAtomic(path.join(options.out, 'benchmark.json'), JSON.stringify(report, null, 2) + '\n');
  await writeAtomic(path.join(options.out, 'benchmark.md'), benchmarkMarkdown(report));
  return report;
}

function shared(values: number[]): number | null {
  return values.length > 0 && values.every((v) => v === values[0]) ? values[0]! : null;
}

/** `skelflow benchmark`. */
export async function benchmarkCommand(argv: string[], io: Io): Promise<number> {
  const all = benchmarkFlags(registry.list());
  const { values, help } = parseFlags(
    'benchmark',
    argv,
    { data: { type: 'string' }, out: { type: 'string' }, models: { type: 'string' }, seeds: { type: 'string' }, backend: { type: 'string' }, force: { type: 'boolean' }, ...parseArgsOptions(all) },
    ['data', 'out'],
  );
  if (help) {
    io.stdout(benchmarkUsage());
    return 0;
  }
  const models = (values.models ?? 'stg-nf').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (models.length === 0) throw new UsageError('--models is empty', { source: 'skelflow benchmark' });
  const families = models.map((m) => registry.get(m, '--models'));
  if (new Set(models).size !== models.length) throw new UsageError('--models names a model twice', { source: 'skelflow benchmark' });
  const raw = values as Record<string, string | boolean | undefined>;
  const usable = benchmarkFlags(families);
  for (const f of all) {
    if (raw[f.name] !== undefined && !usable.some((u) => u.name === f.name)) {
      throw new UsageError(`--${f.name} is not a flag of ${models.join(', ')}`, { source: 'skelflow benchmark' });
    }
  }
  const flags = typedFlagValues('benchmark', usable, raw);
  const seeds = intFlag('benchmark', 'seeds', values.seeds, 3);
  const out = path.resolve(values.out!);
  await prepareBenchmarkOut(out, !!values.force);
  const backend = await initBackend(backendFlag('benchmark', values.backend));
  const report = await runBenchmark({ data: values.data!, out, models, seeds, flags, backend }, io);
  io.stdout(benchmarkMarkdown(report).split('\n').slice(6, 8 + report.models.length).join('\n') + '\n');
  io.stdout(`→ ${displayPath(path.join(out, 'benchmark.md'))}, ${displayPath(path.join(out, 'benchmark.json'))}\n`);
  return 0;
}
