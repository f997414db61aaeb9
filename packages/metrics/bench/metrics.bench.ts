// Benchmark of @skelflow/metrics (not a test): rocAuc on 10^6 frames, RBDC/TBDC on
// 100,000 frames with 20 ground-truth tracks. Run from the repository root with
//   node --import tsx packages/metrics/bench/metrics.bench.ts
// Prints a table, then (last line) one JSON object with the timings in milliseconds.
import { averagePrecision, equalErrorRate, gaussianFilter1d, rbdc, rbdcTbdc, rocAuc, tbdc, type VideoRegions } from '../src/index';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Median wall time over `runs` runs after one warm-up run. */
function time(fn: () => unknown, runs = 5): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

// --- frame-level: 10^6 frames, 20% anomalous, 6-decimal scores (ties present) ---
const N = 1_000_000;
const r = rng(1);
const labels = new Uint8Array(N);
const scores = new Float64Array(N);
for (let i = 0; i < N; i++) {
  labels[i] = r() < 0.2 ? 1 : 0;
  scores[i] = Math.round((r() + 0.3 * labels[i]) * 1e6) / 1e6;
}
const labelsArray = Array.from(labels);
const scoresArray = Array.from(scores);

// --- RBDC/TBDC: 10 videos x 10,000 frames = 100,000 frames, 20 tracks (2 per video) ---
const r2 = rng(2);
const videos: VideoRegions[] = [];
let numFrames = 0;
let numDetections = 0;
let numRegions = 0;
for (let v = 0; v < 10; v++) {
  const frames = 10_000;
  numFrames += frames;
  const tracks: number[][] = [];
  const detections: number[][] = [];
  for (let t = 0; t < 2; t++) {
    const start = Math.floor(r2() * (frames - 600));
    const len = 200 + Math.floor(r2() * 400);
    let x = r2() * 1000;
    const y = r2() * 500;
    for (let f = start; f < start + len; f++) {
      x += r2() * 4 - 2;
      tracks.push([t, f, x, y, x + 40, y + 90]);
      if (r2() < 0.6) detections.push([f, x + r2() * 10 - 5, y + r2() * 10 - 5, x + 40 + r2() * 10 - 5, y + 90, 0.3 + 0.7 * r2()]);
    }
  }
  // Every frame: 1-3 people scored by a pose model (mostly normal, i.e. false positives).
  for (let f = 0; f < frames; f++) {
    const people = 1 + Math.floor(r2() * 3);
    for (let p = 0; p < people; p++) {
      const x = 1200 + r2() * 600;
      const y = r2() * 500;
      detections.push([f, x, y, x + 40, y + 90, r2()]);
    }
  }
  numDetections += detections.length;
  numRegions += tracks.length;
  videos.push({ name: `video_${v}`, tracks, detections });
}

const results: Array<[string, number]> = [];
const rocMs = time(() => rocAuc(labels, scores));
results.push(['rocAuc, 1e6 frames (Uint8Array / Float64Array)', rocMs]);
results.push(['rocAuc, 1e6 frames (number[])', time(() => rocAuc(labelsArray, scoresArray))]);
results.push(['averagePrecision, 1e6 frames', time(() => averagePrecision(labels, scores))]);
results.push(['equalErrorRate, 1e6 frames', time(() => equalErrorRate(labels, scores))]);
results.push(['gaussianFilter1d sigma 7, 1e6 frames', time(() => gaussianFilter1d(scores, 7))]);
const bothMs = time(() => rbdcTbdc(videos, numFrames), 3);
const rbdcMs = time(() => rbdc(videos, numFrames), 3);
const tbdcMs = time(() => tbdc(videos, numFrames), 3);
const inputOrderMs = time(() => rbdcTbdc(videos, numFrames, { ties: 'input-order' }), 3);
results.push([`rbdcTbdc (both), 100k frames, 20 tracks, ${numDetections} detections`, bothMs]);
results.push(['rbdc alone', rbdcMs]);
results.push(['tbdc alone', tbdcMs]);
results.push(["rbdcTbdc, ties: 'input-order'", inputOrderMs]);

const check = rbdcTbdc(videos, numFrames);
const width = Math.max(...results.map(([k]) => k.length));
console.log(`@skelflow/metrics benchmark (node ${process.version}, median wall time)`);
console.log(`${'case'.padEnd(width)}  time (ms)`);
console.log(`${'-'.repeat(width)}  ---------`);
for (const [k, ms] of results) console.log(`${k.padEnd(width)}  ${ms.toFixed(1).padStart(9)}`);
console.log(
  `(sanity: AUC ${rocAuc(labels, scores).toFixed(4)}, RBDC ${check.rbdc.toFixed(4)}, TBDC ${check.tbdc.toFixed(4)}, ` +
    `${numRegions} GT regions, ${check.diagnostics.numFalsePositives} FPs)`,
);
console.log(
  JSON.stringify({
    node: process.version,
    rocAuc_1e6_frames_ms: +rocMs.toFixed(2),
    rbdc_tbdc_100k_frames_20_tracks_ms: +bothMs.toFixed(2),
    rbdc_100k_frames_20_tracks_ms: +rbdcMs.toFixed(2),
    tbdc_100k_frames_20_tracks_ms: +tbdcMs.toFixed(2),
    num_detections: numDetections,
  }),
);
