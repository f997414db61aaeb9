// Benchmark of @skelflow/nflowad (not a test) against its PyTorch twin (bench/torch/nflowad_model.py
// bench) in one run, at the small-scale sizes of model-cards §4.6 (d 64, 2 layers, 4 heads, linear
// decoder, 4 Glow steps of hidden 128, T 24, OpenPose-18 2-D). Run from the repository root:
//   node --import tsx bench/nflowad.bench.ts [--reps 3] [--batch 256] [--channels 2] [--threads 2]
//        [--backend wasm|cpu] [--no-reference] [--profile]
// Interleaved (reference, ours) so machine noise hits both: median seconds of one training step of
// each stage (autoencoder: masked loss + backward + Adam on a batch of segments; flow: NLL of the
// batch's B·T frame embeddings + backward + Adam) and of scoring the batch (normalise, encode,
// decode, flow log p, S_t). --profile prints our per-kernel time of one step of each stage.
// Prints a table, then one JSON line (also written to .cache/bench/nflowad.json).
// Ratios are ours ÷ reference (below 1 = we are faster).
import * as tf from '@tensorflow/tfjs-core';
import { Adam, initBackend, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { ActNorm } from '@skelflow/flows';
import { jointMask } from '@skelflow/nn';
import { Nflowad } from '@skelflow/nflowad';
import { REFERENCE_BENCH_OPTIONS, backendFlag, median, parseBenchFlags, positiveInt, ratioText, repoRoot, runReference, seconds, topKernels, writeReport } from './common.js';
import path from 'node:path';

const BENCH = 'nflowad.bench';
const flags = parseBenchFlags(
  BENCH,
  'usage: node --import tsx bench/nflowad.bench.ts [--reps N] [--batch 256] [--channels 2|3] [--threads 2] [--backend wasm|cpu] [--no-reference] [--profile]',
  {
    options: {
      ...REFERENCE_BENCH_OPTIONS,
      batch: { type: 'string' },
      channels: { type: 'string' },
      threads: { type: 'string' },
    },
    strict: true,
  },
);
const posInt = (name: string, text: string | undefined, fallback: number): number => positiveInt(BENCH, name, text, fallback);
const REPS = posInt('reps', flags.reps, 3);
const BATCH = posInt('batch', flags.batch, 256);
const CHANNELS = posInt('channels', flags.channels, 2);
const REF_THREADS = posInt('threads', flags.threads, 2);
const BACKEND = backendFlag(BENCH, flags.backend);
const SIZES = { segLen: 24, joints: 18, dModel: 64, heads: 4, layers: 2, flowSteps: 4, flowHidden: 128 };
const refScript = path.join(repoRoot, 'bench', 'torch', 'nflowad_model.py');

type Times = { maeStep: number; flowStep: number; score: number };

function reference(): (Times & { torch?: string }) | null {
  if (flags['no-reference']) return null;
  return runReference(BENCH, refScript, ['bench', '--batch', String(BATCH), '--channels', String(CHANNELS), '--threads', String(REF_THREADS), '--reps', '1', '--warmup', '1']);
}

await initBackend(BACKEND);
const model = new Nflowad({ ...SIZES, channels: CHANNELS, dropout: 0, seed: 0 });
for (const [, m] of model.flow.transform.namedChildren()) if (m instanceof ActNorm) m.markInitialized();
const rng = new Rng(1);
const data = Float32Array.from({ length: BATCH * CHANNELS * SIZES.segLen * SIZES.joints }, () => rng.normal());
const xn = model.normalise(data);
const x = tf.tensor4d(xn, [BATCH, CHANNELS, SIZES.segLen, SIZES.joints]);
const mask = tf.tensor3d(jointMask(new Rng(2), BATCH, SIZES.segLen, SIZES.joints, 0.3), [BATCH, SIZES.segLen, SIZES.joints]);
const h = model.mae.encode(x);
const maeParams = model.mae.parameters();
const flowParams = model.flow.parameters();
const opt1 = new Adam(maeParams, { lr: 1e-3 });
const opt2 = new Adam(flowParams, { lr: 1e-3 });
const step = (params: tf.Variable[], opt: Adam, loss: () => tf.Scalar) => () => {
  const { value, grads } = tf.variableGrads(loss, params);
  opt.step(params.map((p) => grads[p.name]!));
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
const maeStep = step(maeParams, opt1, () => {
  model.mae.train();
  return model.mae.maskedLoss(x, mask);
});
const flowStep = step(flowParams, opt2, () => {
  model.flow.train();
  return tf.neg(tf.mean(model.frameLogProb(h))) as tf.Scalar;
});
const score = () => {
  model.explainSegments(data, { batchSize: BATCH });
};
const timed = seconds;

console.log(`NFlowAD: batch ${BATCH} segments [${CHANNELS}, 24, 18], d 64, 2 layers, 4 heads, 4 Glow steps (hidden 128); ours on ${tf.getBackend()}, PyTorch ${REF_THREADS} threads; ${REPS} reps`);
maeStep();
flowStep();
score();
if (flags.profile) {
  for (const [name, fn] of [['autoencoder step', maeStep], ['flow step', flowStep], ['scoring', score]] as const) {
    const info = await tf.profile(fn);
    const top = topKernels(info.kernels, (k) => (k.name === 'BatchMatMul' ? `BatchMatMul ${k.inputShapes.map((s) => `[${s}]`).join('×')}` : k.name), 8);
    console.log(`  ${name}: ${info.kernels.length} kernels; top 8 by time:`);
    for (const [k, e] of top) console.log(`    ${k.padEnd(44)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
  }
}
const t = { ours: { maeStep: [] as number[], flowStep: [] as number[], score: [] as number[] }, ref: { maeStep: [] as number[], flowStep: [] as number[], score: [] as number[] } };
let torchVersion: string | null = null;
for (let r = 0; r < REPS; r++) {
  const ref = reference();
  if (ref) {
    t.ref.maeStep.push(ref.maeStep);
    t.ref.flowStep.push(ref.flowStep);
    t.ref.score.push(ref.score);
    torchVersion = ref.torch ?? null;
  }
  t.ours.maeStep.push(timed(maeStep));
  t.ours.flowStep.push(timed(flowStep));
  t.ours.score.push(timed(score));
}
const rows = (['maeStep', 'flowStep', 'score'] as const).map((k) => ({
  what: k,
  oursS: median(t.ours[k]),
  refS: t.ref[k].length ? median(t.ref[k]) : null,
}));
for (const r of rows) {
  const ratio = ratioText(r.oursS, r.refS);
  console.log(`${r.what.padEnd(9)} ours ${r.oursS.toFixed(3)} s, PyTorch ${r.refS?.toFixed(3) ?? '—'} s (ratio ${ratio})`);
}
tf.dispose([x, mask, h]);
opt1.dispose();
opt2.dispose();
model.dispose();
const summary = { bench: 'nflowad', backend: BACKEND, batch: BATCH, channels: CHANNELS, reps: REPS, refThreads: REF_THREADS, torch: torchVersion, rows };
writeReport('nflowad.json', summary);
