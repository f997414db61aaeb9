// Benchmark of STG-NF (not a test): @skelflow against the PyTorch reference
// (../shared/bench/torch_stgnf.py) on the same shapes, in one run. Run from the repository root:
//   node --import tsx bench/stgnf.bench.ts [--reps 5] [--quick] [--no-reference]
//                                           [--engine auto|fused|tfjs] [--threads N] [--backend wasm|cpu]
// Measures, per repetition and interleaved (ref24, ours24, ref16, ours16, …) so machine noise hits
// both: training and scoring segments/s at 24 frames (ShanghaiTech) and 16 frames (UBnormal).
// Then streaming latency per new frame (1 and 50 concurrent tracks) and peak RSS while scoring
// 100,000 segments. Prints a table, then (last line) one JSON object, also written to
// .cache/bench/stgnf.json. Ratios are ours ÷ reference, from the medians.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { StreamingScorer, type StreamingFrame } from '@skelflow/model';
import { pcaGaussianFamily } from '@skelflow/pca-gaussian';
import { stgNfFamily, type StgNfAnomalyModel, type StgNfFamilyConfig } from '@skelflow/stg-nf';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchFlags, positiveInt as positiveIntFlag, usageError } from './common.js';

// ---------------------------------------------------------------------------------------------
// Flags and configuration
// ---------------------------------------------------------------------------------------------

const BENCH = 'stgnf.bench';
const usage = (message: string): never => usageError(BENCH, message);

const flags = parseBenchFlags(
  BENCH,
  'usage: node --import tsx bench/stgnf.bench.ts [--reps N] [--quick] [--no-reference] [--engine auto|fused|tfjs] [--threads N] [--backend wasm|cpu]',
  {
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-reference': { type: 'boolean', default: false },
      engine: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  },
);

const positiveInt = (name: string, text: string | undefined, fallback: number): number => positiveIntFlag(BENCH, name, text, fallback);

const QUICK = flags.quick === true;
const REPS = positiveInt('reps', flags.reps, QUICK ? 2 : 5);
const SEG_LENS = [24, 16] as const;
const BATCH = 256; // training batch, as the reference
const REF_THREADS = 2;
const TRAIN_STEPS = QUICK ? 4 : 20; // 20 × 256 = 5120 segments, one epoch
const SCORE_SEGMENTS = QUICK ? 2048 : 8192;
const STREAM_TICKS = QUICK ? 100 : 500;
const STREAM_EXTRA_WARMUP = 10; // ticks after the windows are full, before timing
const MEMORY_SEGMENTS = QUICK ? 10_000 : 100_000;
const MEMORY_CHUNK = 1024; // segments handed to scoreSegments per call in the memory run
const CHANNELS = 2;
const JOINTS = 18;

const ENGINES = ['auto', 'fused', 'tfjs'] as const;
type Engine = (typeof ENGINES)[number];
if (flags.engine !== undefined && !(ENGINES as readonly string[]).includes(flags.engine)) {
  usage(`--engine must be one of ${ENGINES.join(', ')}, got '${flags.engine}'`);
}
const engine = flags.engine as Engine | undefined;
const BACKENDS = ['auto', 'wasm', 'cpu', 'webgl', 'webgpu'] as const;
if (flags.backend !== undefined && !(BACKENDS as readonly string[]).includes(flags.backend)) {
  usage(`--backend must be one of ${BACKENDS.join(', ')}, got '${flags.backend}'`);
}
const threads = flags.threads === undefined ? undefined : positiveInt('threads', flags.threads, 1);

// Options of the fast paths (`engine`, `threads`; being added to scoreSegments/trainStgNf), passed
// only when given on the command line, so by default the bench measures the API's defaults. They
// are spread from a value typed `object`, so this compiles whether or not (and however) the API
// declares them; the values are checked above.
const fastScore: object = {
  ...(engine !== undefined ? { engine } : {}),
  ...(threads !== undefined ? { threads } : {}),
};
const fastTrain: object = engine !== undefined ? { engine } : {};
type ScoreOptions = NonNullable<Parameters<StgNfAnomalyModel['scoreSegments']>[1]>;
const scoreOptions: ScoreOptions = { ...fastScore };
// The model is created, trained and scored through its family (the registry's contract); these
// are the training settings of every timed run (the recipe's lr 5e-4, one epoch of BATCH batches).
const trainConfig: Partial<StgNfFamilyConfig> = { epochs: 1, batchSize: BATCH, seed: 7, ...fastTrain };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.SKELFLOW_SHARED ? path.resolve(process.env.SKELFLOW_SHARED) : path.resolve(repoRoot, '../shared');
const PYTHON = '/usr/bin/python3';
const refScript = path.join(sharedDir, 'bench', 'torch_stgnf.py');
const outFile = path.join(repoRoot, '.cache', 'bench', 'stgnf.json');

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d;
const ratio = (ours: number | null, ref: number | null): number | null => (ours === null || ref === null || ref === 0 ? null : round(ours / ref, 2));
const roundOrNull = (x: number | null): number | null => (x === null ? null : round(x));
const mb = (bytes: number): number => round(bytes / 2 ** 20, 1);

function randomSegments(n: number, segLen: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * CHANNELS * segLen * JOINTS);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

function log(line: string): void {
  process.stderr.write(`[stgnf.bench] ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Reference (PyTorch)
// ---------------------------------------------------------------------------------------------

interface RefResult {
  peer: string;
  threads: number;
  batch: number;
  seg_len: number;
  train_segments_per_s: number;
  infer_segments_per_s: number;
}

const INSTALL_HINT = `install PyTorch with 'apt-get install -y python3-torch' (Debian's package; the reference is run with ${PYTHON})`;

function referenceUnavailable(): string | null {
  if (flags['no-reference']) return 'disabled with --no-reference';
  if (!fs.existsSync(refScript)) return `reference script ${refScript} not found (set SKELFLOW_SHARED to the shared folder)`;
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found; ${INSTALL_HINT}`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} cannot import torch; ${INSTALL_HINT}`;
  return null;
}

function runReference(segLen: number): RefResult | null {
  const r = spawnSync(PYTHON, [refScript, '--batch', String(BATCH), '--threads', String(REF_THREADS), '--seg-len', String(segLen)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const last = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    log(`reference (seg ${segLen}) failed with status ${r.status}: ${(r.stderr || last).trim().split('\n').pop() ?? ''}`);
    return null;
  }
  return JSON.parse(last) as RefResult;
}

// ---------------------------------------------------------------------------------------------
// Ours: training and scoring throughput
// ---------------------------------------------------------------------------------------------

interface Ours {
  model: StgNfAnomalyModel;
  train: Float32Array;
  score: Float32Array;
}

async function prepareOurs(segLen: number): Promise<Ours> {
  const model = stgNfFamily.create({ ...stgNfFamily.recipe, segLen, seed: 1 });
  const train = randomSegments(TRAIN_STEPS * BATCH, segLen, 100 + segLen);
  const score = randomSegments(SCORE_SEGMENTS, segLen, 200 + segLen);
  // Warm-up (not timed): ActNorm initialises on the first training batch; kernels get compiled.
  const per = CHANNELS * segLen * JOINTS;
  await stgNfFamily.train(model, { segments: train.subarray(0, 2 * BATCH * per) }, { config: trainConfig });
  // One full-size call: worker threads start and their code is optimised before timing.
  model.scoreSegments(score, scoreOptions);
  return { model, train, score };
}

async function runOurs(o: Ours): Promise<{ train: number; score: number }> {
  const per = CHANNELS * o.model.input.segLen * JOINTS;
  let t0 = performance.now();
  await stgNfFamily.train(o.model, { segments: o.train }, { config: trainConfig });
  const train = o.train.length / per / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  const scores = o.model.scoreSegments(o.score, scoreOptions);
  const score = o.score.length / per / ((performance.now() - t0) / 1000);
  if (scores.length !== o.score.length / per || !scores.every(Number.isFinite)) log('warning: non-finite or missing scores');
  return { train, score };
}

// ---------------------------------------------------------------------------------------------
// Streaming latency
// ---------------------------------------------------------------------------------------------

/** A walking person in pixel coordinates, COCO-17 order (x, y, confidence), seeded noise. */
class Walker {
  private readonly rng: Rng;
  private readonly x0: number;
  private readonly y0: number;
  private readonly height: number;
  private readonly speed: number;
  private readonly phase0: number;
  private readonly cadence: number;

  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.height = 120 + 100 * this.rng.uniform(); // px
    this.x0 = 80 + 700 * this.rng.uniform();
    this.y0 = 180 + 250 * this.rng.uniform(); // ankle line
    this.speed = (this.rng.uniform() < 0.5 ? -1 : 1) * (0.6 + 1.2 * this.rng.uniform()); // px/frame
    this.phase0 = 2 * Math.PI * this.rng.uniform();
    this.cadence = (2 * Math.PI) / (22 + 10 * this.rng.uniform()); // rad/frame
  }

  keypoints(frame: number): number[] {
    const h = this.height;
    const dir = Math.sign(this.speed);
    const p = this.phase0 + this.cadence * frame;
    const hipX = ((this.x0 + this.speed * frame) % 900 + 900) % 900;
    const hipY = this.y0 - 0.5 * h + 0.015 * h * Math.cos(2 * p); // bob twice per stride
    const shY = hipY - 0.3 * h;
    const headY = shY - 0.13 * h;
    const sw = 0.11 * h; // half shoulder width (seen at an angle)
    const hw = 0.07 * h;
    const leg = 0.25 * h;
    const arm = 0.17 * h;
    const s = Math.sin(p);
    // [x, y] per COCO-17 joint: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles.
    const j: Array<[number, number]> = [
      [hipX + dir * 0.03 * h, headY],
      [hipX + dir * 0.035 * h - 0.015 * h, headY - 0.012 * h],
      [hipX + dir * 0.035 * h + 0.015 * h, headY - 0.012 * h],
      [hipX - 0.03 * h, headY - 0.005 * h],
      [hipX + 0.03 * h, headY - 0.005 * h],
      [hipX - sw, shY],
      [hipX + sw, shY],
      [hipX - sw - dir * 0.3 * arm * s, shY + arm],
      [hipX + sw + dir * 0.3 * arm * s, shY + arm],
      [hipX - sw - dir * 0.6 * arm * s, shY + 2 * arm],
      [hipX + sw + dir * 0.6 * arm * s, shY + 2 * arm],
      [hipX - hw, hipY],
      [hipX + hw, hipY],
      [hipX - hw + dir * 0.35 * leg * s, hipY + leg],
      [hipX + hw - dir * 0.35 * leg * s, hipY + leg],
      [hipX - hw + dir * 0.7 * leg * s, hipY + 2 * leg - 0.04 * h * Math.max(0, s)],
      [hipX + hw - dir * 0.7 * leg * s, hipY + 2 * leg - 0.04 * h * Math.max(0, -s)],
    ];
    const out: number[] = new Array<number>(51);
    for (let k = 0; k < 17; k++) {
      out[3 * k] = j[k]![0] + 1.5 * this.rng.normal();
      out[3 * k + 1] = j[k]![1] + 1.5 * this.rng.normal();
      out[3 * k + 2] = Math.min(1, 0.65 + 0.3 * this.rng.uniform());
    }
    return out;
  }
}

interface Latency {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
  ticks: number;
  null_results: number;
}

function latency(ts: number[], nulls: number): Latency {
  return {
    p50_ms: round(percentile(ts, 50), 3),
    p99_ms: round(percentile(ts, 99), 3),
    mean_ms: round(ts.reduce((a, b) => a + b, 0) / ts.length, 3),
    max_ms: round(Math.max(...ts), 3),
    ticks: ts.length,
    null_results: nulls,
  };
}

/** Latency of the generic `StreamingScorer` (`@skelflow/model`) on a model, through the model contract. */
function streamingBench(model: StgNfAnomalyModel): { tracks1: Latency; tracks50: Latency & { per_track_p50_ms: number } } {
  const segLen = model.input.segLen;
  const warm = segLen + STREAM_EXTRA_WARMUP;

  // 1 track, push per frame.
  const one = new StreamingScorer(model, { keypointFormat: 'coco17' });
  const walker = new Walker(11);
  for (let f = 0; f < warm; f++) one.push(1, f, walker.keypoints(f));
  const t1: number[] = [];
  let nulls1 = 0;
  for (let f = warm; f < warm + STREAM_TICKS; f++) {
    const kp = walker.keypoints(f);
    const t0 = performance.now();
    const s = one.push(1, f, kp);
    t1.push(performance.now() - t0);
    if (s === null || !Number.isFinite(s)) nulls1++;
  }
  one.end(1);

  // 50 concurrent tracks, one pushMany per frame tick.
  const many = new StreamingScorer(model, { keypointFormat: 'coco17' });
  const walkers = Array.from({ length: 50 }, (_, i) => new Walker(1000 + i));
  const tick = (f: number): StreamingFrame[] => walkers.map((w, i) => ({ trackId: i, frame: f, keypoints: w.keypoints(f) }));
  for (let f = 0; f < warm; f++) many.pushMany(tick(f));
  const t50: number[] = [];
  let nulls50 = 0;
  for (let f = warm; f < warm + STREAM_TICKS; f++) {
    const frames = tick(f);
    const t0 = performance.now();
    const s = many.pushMany(frames);
    t50.push(performance.now() - t0);
    for (const v of s) if (v === null || !Number.isFinite(v)) nulls50++;
    if (s.length !== frames.length) nulls50 += frames.length - s.length;
  }
  for (let i = 0; i < walkers.length; i++) many.end(i);
  const l50 = latency(t50, nulls50);
  return { tracks1: latency(t1, nulls1), tracks50: { ...l50, per_track_p50_ms: round(l50.p50_ms / 50, 4) } };
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

function memoryBench(model: StgNfAnomalyModel): {
  segments: number;
  seg_len: number;
  chunk: number;
  peak_rss_mb: number;
  rss_before_mb: number;
  num_tensors_before: number;
  num_tensors_after: number;
  num_tensors_per_batch_min: number;
  num_tensors_per_batch_max: number;
  num_tensors_constant: boolean;
  seconds: number;
} {
  const segLen = model.input.segLen;
  const per = CHANNELS * segLen * JOINTS;
  // A pool of a few distinct chunks, generated once, so the run measures the model, not the
  // generator, and the input never exists as one 100,000-segment array.
  const pool = Array.from({ length: 4 }, (_, i) => randomSegments(MEMORY_CHUNK, segLen, 300 + i));
  const rssBefore = process.memoryUsage().rss;
  const before = tf.memory().numTensors;
  let peak = rssBefore;
  let lo = Infinity;
  let hi = -Infinity;
  const t0 = performance.now();
  for (let done = 0, i = 0; done < MEMORY_SEGMENTS; i++) {
    const n = Math.min(MEMORY_CHUNK, MEMORY_SEGMENTS - done);
    model.scoreSegments(pool[i % pool.length]!.subarray(0, n * per), scoreOptions);
    done += n;
    const nt = tf.memory().numTensors;
    lo = Math.min(lo, nt);
    hi = Math.max(hi, nt);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = tf.memory().numTensors;
  return {
    segments: MEMORY_SEGMENTS,
    seg_len: segLen,
    chunk: MEMORY_CHUNK,
    peak_rss_mb: mb(peak),
    rss_before_mb: mb(rssBefore),
    num_tensors_before: before,
    num_tensors_after: after,
    num_tensors_per_batch_min: lo,
    num_tensors_per_batch_max: hi,
    num_tensors_constant: lo === hi && lo === before && after === before,
    seconds: round(seconds, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

const backend = await initBackend((flags.backend ?? 'auto') as BackendName);
let wasmThreads: number | null = null;
if (backend === 'wasm') {
  try {
    const w = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount?: () => number };
    wasmThreads = w.getThreadsCount?.() ?? null;
  } catch {
    wasmThreads = null;
  }
}

const loadStart = os.loadavg();
const refMissing = referenceUnavailable();
if (refMissing) {
  console.log(`reference: not run — ${refMissing}`);
  if (!flags['no-reference']) console.log(`  to compare against PyTorch: ${INSTALL_HINT}; ratios are null until then.`);
}
log(
  `backend ${backend}${wasmThreads !== null ? ` (${wasmThreads} wasm thread${wasmThreads === 1 ? '' : 's'})` : ''}, ${REPS} reps${QUICK ? ' (quick)' : ''}` +
    `${engine ? `, engine ${engine}` : ''}${threads ? `, threads ${threads}` : ''}`,
);

const oursModels = new Map<number, Ours>();
for (const segLen of SEG_LENS) {
  log(`warming up ours, seg ${segLen}`);
  oursModels.set(segLen, await prepareOurs(segLen));
}

interface Series {
  train: number[];
  score: number[];
}
const ours: Record<number, Series> = {};
const ref: Record<number, Series> = {};
let refPeer: string | null = null;
for (const segLen of SEG_LENS) {
  ours[segLen] = { train: [], score: [] };
  ref[segLen] = { train: [], score: [] };
}

for (let rep = 0; rep < REPS; rep++) {
  for (const segLen of SEG_LENS) {
    if (!refMissing) {
      const r = runReference(segLen);
      if (r) {
        refPeer = r.peer;
        ref[segLen]!.train.push(r.train_segments_per_s);
        ref[segLen]!.score.push(r.infer_segments_per_s);
      }
    }
    const o = await runOurs(oursModels.get(segLen)!);
    ours[segLen]!.train.push(round(o.train));
    ours[segLen]!.score.push(round(o.score));
    const r = ref[segLen]!;
    log(
      `rep ${rep + 1}/${REPS} seg ${segLen} (load ${os.loadavg()[0]!.toFixed(2)}): ours train ${round(o.train)} score ${round(o.score)} seg/s` +
        (refMissing ? '' : ` | reference train ${r.train.at(-1) ?? '—'} score ${r.score.at(-1) ?? '—'} seg/s`),
    );
  }
}

// Streaming (seg 24 model, already trained a little, so ActNorm is initialised).
const model24 = oursModels.get(24)!.model;
let streaming: ({ seg_len: number; warmup_frames: number } & ReturnType<typeof streamingBench>) | null = null;
let streamingNote: string | null = null;
log('streaming latency');
try {
  streaming = { seg_len: model24.input.segLen, warmup_frames: model24.input.segLen + STREAM_EXTRA_WARMUP, ...streamingBench(model24) };
} catch (e) {
  streamingNote = `StreamingScorer failed: ${(e as Error).message}`;
}
if (streamingNote) log(streamingNote);

log(`memory: scoring ${MEMORY_SEGMENTS} segments`);
const memory = memoryBench(model24);

// The density baseline's throughput through the same contract (one fit, one scoring pass; its fit
// is closed form, so one run is the figure). An extra key; the STG-NF figures above are unchanged.
log('baseline: pca-gaussian, seg 24');
const baseline = await (async () => {
  const o = oursModels.get(24)!;
  const per = CHANNELS * 24 * JOINTS;
  const trainSegs = Math.min(2048, o.train.length / per);
  let t0 = performance.now();
  const { model } = await pcaGaussianFamily.train({ ...pcaGaussianFamily.recipe, segLen: 24 }, { segments: o.train.subarray(0, trainSegs * per) });
  const train = trainSegs / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  model.scoreSegments(o.score);
  const score = o.score.length / per / ((performance.now() - t0) / 1000);
  return { kind: pcaGaussianFamily.kind, seg_len: 24, components: model.params!.k, train_segments: trainSegs, train_segments_per_s: round(train), score_segments_per_s: round(score) };
})();

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const block = (s: Series, segments: { train: number; score: number }) => ({
  train_segments_per_s: roundOrNull(median(s.train)),
  score_segments_per_s: roundOrNull(median(s.score)),
  train_runs: s.train,
  score_runs: s.score,
  train_segments: segments.train,
  score_segments: segments.score,
});

const oursBlock: Record<string, ReturnType<typeof block>> = {};
const refBlock: Record<string, ReturnType<typeof block>> = {};
for (const segLen of SEG_LENS) {
  oursBlock[`seg${segLen}`] = block(ours[segLen]!, { train: TRAIN_STEPS * BATCH, score: SCORE_SEGMENTS });
  refBlock[`seg${segLen}`] = block(ref[segLen]!, { train: 20 * BATCH, score: 8192 });
}
const ratios = {
  score_ratio_seg24: refMissing ? null : ratio(oursBlock.seg24!.score_segments_per_s, refBlock.seg24!.score_segments_per_s),
  train_ratio_seg24: refMissing ? null : ratio(oursBlock.seg24!.train_segments_per_s, refBlock.seg24!.train_segments_per_s),
  score_ratio_seg16: refMissing ? null : ratio(oursBlock.seg16!.score_segments_per_s, refBlock.seg16!.score_segments_per_s),
  train_ratio_seg16: refMissing ? null : ratio(oursBlock.seg16!.train_segments_per_s, refBlock.seg16!.train_segments_per_s),
};

// Noise: the spread (max ÷ min) of every series. Other processes on the machine (a 2-thread
// reference on 2 cores is very sensitive to them) make single runs several times slower.
const spreads: Record<string, number> = {};
for (const segLen of SEG_LENS) {
  for (const [who, series] of [['ours', ours[segLen]!], ['reference', ref[segLen]!]] as const) {
    for (const kind of ['train', 'score'] as const) {
      const xs = series[kind];
      if (xs.length > 1 && Math.min(...xs) > 0) spreads[`${who}_${kind}_seg${segLen}`] = round(Math.max(...xs) / Math.min(...xs), 2);
    }
  }
}
const NOISY_SPREAD = 1.5;
const noisy = Object.entries(spreads).filter(([, v]) => v > NOISY_SPREAD);
const loadEnd = os.loadavg();

const cpus = os.cpus();
const result = {
  bench: 'stgnf',
  ...ratios,
  ours: {
    backend,
    wasm_threads: wasmThreads,
    batch: BATCH,
    score_batch: 'API default',
    options: { ...(engine !== undefined ? { engine } : {}), ...(threads !== undefined ? { threads } : {}) },
    ...oursBlock,
  },
  reference: refMissing
    ? { available: false, reason: refMissing, install: INSTALL_HINT }
    : { available: true, peer: refPeer, script: refScript, threads: REF_THREADS, batch: BATCH, ...refBlock },
  streaming: streaming ?? { available: false, reason: streamingNote },
  memory,
  baseline,
  noise: {
    spread_max_over_min: spreads,
    noisy: noisy.map(([k]) => k),
    loadavg_start: loadStart.map((x) => round(x, 2)),
    loadavg_end: loadEnd.map((x) => round(x, 2)),
  },
  reps: REPS,
  quick: QUICK,
  backend,
  node: process.version,
  machine: {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    total_mem_gb: round(os.totalmem() / 2 ** 30, 1),
  },
  date: new Date().toISOString(),
};

// Table.
const fmt = (v: number | null | undefined, w = 10): string => (v === null || v === undefined ? '—' : String(v)).padStart(w);
const lines: string[] = [];
lines.push(`STG-NF benchmark — @skelflow (${backend}${wasmThreads !== null ? `, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}` : ''}) vs ${refMissing ? 'no reference' : `${refPeer ?? 'PyTorch'} (${REF_THREADS} threads)`}`);
lines.push(`${result.machine.cpu}, ${result.machine.cores} cores, node ${process.version}; medians of ${REPS} reps; batch ${BATCH}`);
lines.push('');
lines.push(`${'segments/s'.padEnd(22)}${'ours'.padStart(10)}${'reference'.padStart(11)}${'ratio'.padStart(8)}   runs: ours | reference`);
for (const segLen of SEG_LENS) {
  const o = oursBlock[`seg${segLen}`]!;
  const r = refBlock[`seg${segLen}`]!;
  const rs = ratios[`score_ratio_seg${segLen}` as keyof typeof ratios];
  const rt = ratios[`train_ratio_seg${segLen}` as keyof typeof ratios];
  lines.push(`${`score  T=${segLen}`.padEnd(22)}${fmt(o.score_segments_per_s)}${fmt(r.score_segments_per_s, 11)}${fmt(rs, 8)}   ${o.score_runs.join(' ')} | ${r.score_runs.join(' ') || '—'}`);
  lines.push(`${`train  T=${segLen}`.padEnd(22)}${fmt(o.train_segments_per_s)}${fmt(r.train_segments_per_s, 11)}${fmt(rt, 8)}   ${o.train_runs.join(' ')} | ${r.train_runs.join(' ') || '—'}`);
}
if (noisy.length > 0) {
  lines.push(
    `warning: noisy runs (max/min > ${NOISY_SPREAD}: ${noisy.map(([k, v]) => `${k} ${v}×`).join(', ')}; load average ` +
      `${loadStart[0]!.toFixed(2)} → ${loadEnd[0]!.toFixed(2)} on ${os.cpus().length} cores) — other processes were using the CPU; rerun on an idle machine`,
  );
}
lines.push('');
if (streaming) {
  lines.push(`streaming (T=${streaming.seg_len}, ${streaming.tracks1.ticks} ticks)   p50 ms    p99 ms`);
  lines.push(`  1 track, push          ${fmt(streaming.tracks1.p50_ms, 8)}  ${fmt(streaming.tracks1.p99_ms, 8)}`);
  lines.push(`  50 tracks, pushMany    ${fmt(streaming.tracks50.p50_ms, 8)}  ${fmt(streaming.tracks50.p99_ms, 8)}   (whole tick)`);
  const nulls = streaming.tracks1.null_results + streaming.tracks50.null_results;
  if (nulls > 0) lines.push(`  warning: ${nulls} null/non-finite scores after the windows were full`);
} else {
  lines.push(`streaming: not measured — ${streamingNote}`);
}
lines.push('');
lines.push(
  `memory: scoring ${memory.segments} segments (T=${memory.seg_len}, ${memory.chunk} per call): peak RSS ${memory.peak_rss_mb} MB (before ${memory.rss_before_mb} MB), ` +
    `${memory.seconds} s`,
);
lines.push(
  `  tf.memory().numTensors: before ${memory.num_tensors_before}, after ${memory.num_tensors_after}, per batch min ${memory.num_tensors_per_batch_min} max ${memory.num_tensors_per_batch_max}` +
    ` — ${memory.num_tensors_constant ? 'constant' : 'NOT constant (leak)'}`,
);
lines.push(`JSON: ${path.relative(repoRoot, outFile)}`);
console.log(lines.join('\n'));

// Atomic write: temp file + rename.
const json = JSON.stringify(result);
fs.mkdirSync(path.dirname(outFile), { recursive: true });
const tmp = `${outFile}.${process.pid}.tmp`;
fs.writeFileSync(tmp, json + '\n');
fs.renameSync(tmp, outFile);

console.log(json);
