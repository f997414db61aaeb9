// Benchmark of DSNF (not a test): @skelflow against its PyTorch twin (bench/torch/dsnf.py) on the
// same shapes, in one run. Run from the repository root:
//   node --import tsx bench/dsnf.bench.ts [--reps 3] [--quick] [--no-reference] [--backend wasm|cpu] [--profile]
// Per repetition, interleaved (twin, ours, twin, ours …) so machine noise hits both: training
// segments/s (plain NLL and AWAM, batch 256, 24 frames, learnable gate) and scoring segments/s.
// Where the time goes is measured by subtraction on our side: the same flow with the zero gate on
// tensors (the Euclidean ST-GCN half alone), with the learnable gate (+ hyperbolic branch), with
// AWAM (+ 4 perturbed passes), and the zero gate on the fused engine (what STG-NF's fast path
// makes of the Euclidean half). Medians; ratios are ours ÷ twin. Prints a table, then one JSON
// line, also written to .cache/bench/dsnf.json. --profile then prints tf.profile's kernels of one
// learnable-gate training step per objective (launches, total kernel ms, the top kernels by shape).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, normalTensor, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { createDsnf, trainDsnf, type DsnfLoss } from '@skelflow/dsnf';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const flags = (() => {
  try {
    return parseArgs({ options: { reps: { type: 'string' }, quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false }, 'no-reference': { type: 'boolean', default: false }, backend: { type: 'string' } }, strict: true }).values;
  } catch (e) {
    console.error(`dsnf.bench: ${(e as Error).message}`);
    process.exit(2);
  }
})();
const QUICK = flags.quick === true;
const REPS = flags.reps ? Number(flags.reps) : QUICK ? 1 : 3;
if (!Number.isInteger(REPS) || REPS < 1) {
  console.error(`dsnf.bench: --reps must be a positive integer, got '${flags.reps}'`);
  process.exit(2);
}
const BACKEND = (flags.backend ?? 'wasm') as BackendName;
const BATCH = 256;
const SEG_LEN = 24;
const TRAIN_STEPS = QUICK ? 1 : 2;
const SCORE_SEGMENTS = QUICK ? 1024 : 4096;
const PYTHON = '/usr/bin/python3';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const twin = path.join(root, 'bench', 'torch', 'dsnf.py');

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
const log = (s: string) => process.stderr.write(s + '\n');

function runTwin(loss: 'nll' | 'awam'): { train: number; infer: number } | null {
  const r = spawnSync(PYTHON, [twin, '--time', '--threads', '2', '--batch', String(BATCH), '--seg-len', String(SEG_LEN), '--steps', String(TRAIN_STEPS), '--infer', String(SCORE_SEGMENTS), '--loss', loss], { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`twin failed: ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_segments_per_s: number; infer_segments_per_s: number };
  return { train: j.train_segments_per_s, infer: j.infer_segments_per_s };
}

async function runOurs(gate: 'learnable' | 'zero', loss: DsnfLoss, engine: 'tfjs' | 'fused'): Promise<{ train: number; infer: number }> {
  const model = createDsnf({ segLen: SEG_LEN, gate, seed: 1 });
  if (gate === 'learnable') model.conditioners.forEach((n) => n.gate!.assign(tf.scalar(0.1)));
  const data = normalTensor(new Rng(2), [BATCH * (TRAIN_STEPS + 1), 2, SEG_LEN, 18]);
  const segs = data.dataSync() as Float32Array;
  data.dispose();
  // Warm-up step (ActNorm initialisation, kernel set-up), then timed steps.
  await trainDsnf(model, segs.subarray(0, BATCH * 2 * SEG_LEN * 18), undefined, { epochs: 1, batchSize: BATCH, loss, engine, seed: 1 });
  const t0 = performance.now();
  await trainDsnf(model, segs.subarray(BATCH * 2 * SEG_LEN * 18), undefined, { epochs: 1, batchSize: BATCH, loss, engine, seed: 2 });
  const train = (TRAIN_STEPS * BATCH) / ((performance.now() - t0) / 1000);
  const score = normalTensor(new Rng(3), [SCORE_SEGMENTS, 2, SEG_LEN, 18]);
  const sd = score.dataSync() as Float32Array;
  score.dispose();
  model.scoreSegments(sd.subarray(0, BATCH * 2 * SEG_LEN * 18), { engine, threads: 1 });
  const t1 = performance.now();
  model.scoreSegments(sd, { engine, batchSize: BATCH, threads: 1 });
  const infer = SCORE_SEGMENTS / ((performance.now() - t1) / 1000);
  model.dispose();
  return { train, infer };
}

await initBackend(BACKEND);
const useTwin = !flags['no-reference'] && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!useTwin && !flags['no-reference']) log('PyTorch not found at /usr/bin/python3: twin columns skipped');
const rows: Record<string, { train: number[]; infer: number[] }> = {};
const add = (k: string, r: { train: number; infer: number } | null) => {
  if (!r) return;
  rows[k] ??= { train: [], infer: [] };
  rows[k]!.train.push(r.train);
  rows[k]!.infer.push(r.infer);
};
for (let rep = 0; rep < REPS; rep++) {
  log(`rep ${rep + 1}/${REPS}`);
  if (useTwin) add('twin nll', runTwin('nll'));
  add('ours nll (tfjs)', await runOurs('learnable', 'nll', 'tfjs'));
  if (useTwin) add('twin awam', runTwin('awam'));
  add('ours awam (tfjs)', await runOurs('learnable', 'awam', 'tfjs'));
  add('ours zero gate (tfjs)', await runOurs('zero', 'nll', 'tfjs'));
  add('ours zero gate (fused)', await runOurs('zero', 'nll', 'fused'));
}
const summary = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { train: median(v.train), infer: median(v.infer), reps: v.train.length }]));
console.log(`DSNF, ${BACKEND}, batch ${BATCH}, T = ${SEG_LEN}, K = 8, D_h = 8; segments/s, medians of ${REPS}`);
console.log('| run | training | scoring |');
console.log('| --- | --- | --- |');
for (const [k, v] of Object.entries(summary)) console.log(`| ${k} | ${v.train.toFixed(1)} | ${v.infer.toFixed(0)} |`);
const ratio = (a: string, b: string, f: 'train' | 'infer') => (summary[a] && summary[b] ? summary[a]![f] / summary[b]![f] : null);
const ratios = {
  trainNll: ratio('ours nll (tfjs)', 'twin nll', 'train'),
  trainAwam: ratio('ours awam (tfjs)', 'twin awam', 'train'),
  score: ratio('ours nll (tfjs)', 'twin nll', 'infer'),
};
const where = summary['ours zero gate (tfjs)'] && summary['ours nll (tfjs)'] && summary['ours awam (tfjs)']
  ? {
      // seconds per 1,000 training segments: Euclidean half, + hyperbolic branch, + AWAM's perturbed passes
      euclidean: 1000 / summary['ours zero gate (tfjs)']!.train,
      hyperbolic: 1000 / summary['ours nll (tfjs)']!.train - 1000 / summary['ours zero gate (tfjs)']!.train,
      awamPasses: 1000 / summary['ours awam (tfjs)']!.train - 1000 / summary['ours nll (tfjs)']!.train,
    }
  : null;
console.log(`ratios (ours ÷ twin): training NLL ${ratios.trainNll?.toFixed(2)}, training AWAM ${ratios.trainAwam?.toFixed(2)}, scoring ${ratios.score?.toFixed(2)}`);
if (where) console.log(`training s per 1000 segments: Euclidean half ${where.euclidean.toFixed(2)}, hyperbolic branch +${where.hyperbolic.toFixed(2)}, AWAM passes +${where.awamPasses.toFixed(2)}`);
const json = { bench: 'dsnf', backend: BACKEND, batch: BATCH, segLen: SEG_LEN, reps: REPS, summary, ratios, where };
fs.mkdirSync(path.join(root, '.cache', 'bench'), { recursive: true });
fs.writeFileSync(path.join(root, '.cache', 'bench', 'dsnf.json'), JSON.stringify(json, null, 2) + '\n');
console.log(JSON.stringify(json));

/** tf.profile of one learnable-gate training step (loss and gradients, batch 256) with `loss`. */
async function profileStep(loss: DsnfLoss): Promise<void> {
  const model = createDsnf({ segLen: SEG_LEN, gate: 'learnable', seed: 1 });
  model.conditioners.forEach((n) => n.gate!.assign(tf.scalar(0.1)));
  model.train();
  const x = normalTensor(new Rng(2), [BATCH, 2, SEG_LEN, 18]);
  const rng = new Rng(5);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => model.objective(x, undefined, rng, { loss }).loss);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const info = await tf.profile(step);
  const byShape = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)} → ${JSON.stringify(k.outputShapes)}`;
    const e = byShape.get(key) ?? { ms: 0, n: 0 };
    e.ms += k.kernelTimeMs as number;
    e.n++;
    byShape.set(key, e);
  }
  const total = [...byShape.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`profile, one ${loss} training step (learnable gate, batch ${BATCH}): ${info.kernels.length} kernel launches, ${total.toFixed(0)} ms of kernel time`);
  for (const [k, e] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`  ${e.ms.toFixed(1).padStart(8)} ms ×${String(e.n).padEnd(4)} ${k}`);
  x.dispose();
  model.dispose();
}
if (flags.profile) for (const loss of ['nll', 'awam'] as const) await profileStep(loss);
