// Benchmark of @skelflow/flows' ConditionalGlow (NFlowAD's flow on frame embeddings; not a test)
// against its PyTorch twin (bench/torch/nflowad.py bench) in one run, at the small-scale sizes of
// model-cards §4.6 (d 64–128, 4 steps, coupling hidden 128; n = 32 sequences × 24 frames). Run
// from the repository root:
//   node --import tsx bench/conditional_glow.bench.ts [--reps 5] [--dims 64,128] [--n 768] [--steps 4]
//        [--hidden 128] [--threads 2] [--backend wasm|cpu] [--no-reference] [--profile]
// Per size, interleaved (reference, ours) so machine noise hits both: median seconds of one
// training step (forward + backward + Adam on the mean NLL, context size = d) and of scoring the n
// vectors (eval-mode log p), on tfjs and on the fused engine (FusedFlow: lossAndGrad, the
// gradient without the optimiser update; logProb on the default worker threads). --profile prints our per-kernel time of one training step
// (tf.profile). Prints a table, then one JSON line (also written to .cache/bench/conditional_glow.json).
// Ratios are ours ÷ reference (below 1 = we are faster).
import * as tf from '@tensorflow/tfjs-core';
import { Adam, initBackend, normalTensor, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { ConditionalGlow } from '@skelflow/flows';
import { FusedFlow } from '@skelflow/fused';
import { REFERENCE_BENCH_OPTIONS, backendFlag, median, parseBenchFlags, positiveInt, ratioText, repoRoot, runReference, seconds, topKernels, writeReport } from './common.js';
import path from 'node:path';

const BENCH = 'conditional_glow.bench';
const flags = parseBenchFlags(
  BENCH,
  'usage: node --import tsx bench/conditional_glow.bench.ts [--reps N] [--dims 64,128] [--n 768] [--steps 4] [--hidden 128] [--threads 2] [--backend wasm|cpu] [--no-reference] [--profile]',
  {
    options: {
      ...REFERENCE_BENCH_OPTIONS,
      dims: { type: 'string' },
      n: { type: 'string' },
      steps: { type: 'string' },
      hidden: { type: 'string' },
      threads: { type: 'string' },
    },
    strict: true,
  },
);
const posInt = (name: string, text: string | undefined, fallback: number): number => positiveInt(BENCH, name, text, fallback);
const REPS = posInt('reps', flags.reps, 5);
const DIMS = (flags.dims ?? '64,128').split(',').map((d) => posInt('dims', d, 64));
const N = posInt('n', flags.n, 768);
const STEPS = posInt('steps', flags.steps, 4);
const HIDDEN = posInt('hidden', flags.hidden, 128);
const REF_THREADS = posInt('threads', flags.threads, 2);
const BACKEND = backendFlag(BENCH, flags.backend);
const WARMUP = 1;
const refScript = path.join(repoRoot, 'bench', 'torch', 'nflowad.py');

function reference(dim: number): { trainStep: number; score: number; torch?: string } | null {
  if (flags['no-reference']) return null;
  return runReference(BENCH, refScript, ['bench', '--n', String(N), '--dim', String(dim), '--context', String(dim), '--steps', String(STEPS),
    '--hidden', String(HIDDEN), '--threads', String(REF_THREADS), '--reps', '1', '--warmup', '1']);
}

function ours(dim: number) {
  const glow = new ConditionalGlow({ dim, contextDim: dim, steps: STEPS, hidden: HIDDEN, seed: 0 });
  const params = glow.parameters();
  const opt = new Adam(params, { lr: 1e-4 });
  const rng = new Rng(1);
  const h = normalTensor(rng, [N, dim]);
  const c = normalTensor(rng, [N, dim]);
  const step = () => {
    glow.train();
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(glow.logProb(h, { context: c }))) as tf.Scalar, params);
    opt.step(params.map((p) => grads[p.name]!));
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const score = () => {
    glow.eval();
    const lp = glow.logProb(h, { context: c });
    lp.dataSync();
    lp.dispose();
  };
  const fused = FusedFlow.tryCreate(glow, [dim], { contextShape: [dim] });
  if (!(fused instanceof FusedFlow)) throw new Error(`conditional_glow.bench: not fusable: ${fused.reason}`);
  const hData = Float32Array.from(h.dataSync());
  const cData = Float32Array.from(c.dataSync());
  const timed = (fn: () => void) => () => seconds(fn);
  return {
    trainStep: timed(step),
    score: timed(score),
    fusedTrain: timed(() => {
      fused.pull();
      fused.lossAndGrad(hData, undefined, cData);
    }),
    fusedScore: timed(() => {
      fused.pull();
      fused.logProb(hData, { context: cData });
    }),
    profile: async () => {
      const info = await tf.profile(step);
      const by = (key: (k: (typeof info.kernels)[number]) => string | null) => topKernels(info.kernels, key, 10);
      console.log(`  per-kernel time of one training step (d ${dim}; ${info.kernels.length} kernels):`);
      for (const [name, e] of by((k) => k.name)) console.log(`    ${name.padEnd(22)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
      console.log('  BatchMatMul by input shapes:');
      for (const [name, e] of by((k) => (k.name === 'BatchMatMul' ? k.inputShapes.map((s) => `[${s}]`).join(' × ') : null))) {
        console.log(`    ${name.padEnd(40)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
      }
    },
    dispose: () => {
      tf.dispose([h, c]);
      fused.dispose();
      opt.dispose();
      glow.dispose();
    },
  };
}

await initBackend(BACKEND);
console.log(`ConditionalGlow: n ${N} vectors, context = d, ${STEPS} steps, hidden ${HIDDEN} (2 layers); ours on ${tf.getBackend()}, PyTorch ${REF_THREADS} threads; ${REPS} reps`);
const results: Record<string, unknown>[] = [];
for (const dim of DIMS) {
  const m = ours(dim);
  for (let i = 0; i < WARMUP; i++) {
    m.trainStep();
    m.score();
    m.fusedTrain();
    m.fusedScore();
  }
  if (flags.profile) await m.profile();
  const t = { oursTrain: [] as number[], oursScore: [] as number[], fusedTrain: [] as number[], fusedScore: [] as number[], refTrain: [] as number[], refScore: [] as number[] };
  let torchVersion: string | null = null;
  for (let r = 0; r < REPS; r++) {
    const ref = reference(dim);
    if (ref) {
      t.refTrain.push(ref.trainStep);
      t.refScore.push(ref.score);
      torchVersion = ref.torch ?? null;
    }
    t.oursTrain.push(m.trainStep());
    t.oursScore.push(m.score());
    t.fusedTrain.push(m.fusedTrain());
    t.fusedScore.push(m.fusedScore());
  }
  m.dispose();
  const row = {
    dim,
    oursTrainS: median(t.oursTrain),
    oursScoreS: median(t.oursScore),
    fusedTrainS: median(t.fusedTrain),
    fusedScoreS: median(t.fusedScore),
    refTrainS: t.refTrain.length ? median(t.refTrain) : null,
    refScoreS: t.refScore.length ? median(t.refScore) : null,
    torch: torchVersion,
  };
  const ratio = ratioText;
  console.log(
    `d ${String(dim).padStart(4)}: train step ours ${row.oursTrainS.toFixed(3)} s, PyTorch ${row.refTrainS?.toFixed(3) ?? '—'} s (ratio ${ratio(row.oursTrainS, row.refTrainS)}); ` +
      `score ours ${row.oursScoreS.toFixed(3)} s, PyTorch ${row.refScoreS?.toFixed(3) ?? '—'} s (ratio ${ratio(row.oursScoreS, row.refScoreS)}); ` +
      `fused: gradient ${row.fusedTrainS.toFixed(3)} s (ratio ${ratio(row.fusedTrainS, row.refTrainS)}), score ${row.fusedScoreS.toFixed(3)} s (ratio ${ratio(row.fusedScoreS, row.refScoreS)})`,
  );
  results.push(row);
}
const summary = { bench: 'conditional-glow', backend: tf.getBackend(), n: N, steps: STEPS, hidden: HIDDEN, reps: REPS, refThreads: REF_THREADS, results };
writeReport('conditional_glow.json', summary);
