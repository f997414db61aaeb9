// Benchmark of @skelflow/flows' ConditionalGlow (NFlowAD's flow on frame embeddings; not a test)
// against its PyTorch twin (bench/torch/nflowad.py bench) in one run, at the small-scale sizes of
// model-cards §4.6 (d 64–128, 4 steps, coupling hidden 128; n = 32 sequences × 24 frames). Run
// from the repository root:
//   node --import tsx bench/conditional_glow.bench.ts [--reps 5] [--dims 64,128] [--n 768] [--steps 4]
//        [--hidden 128] [--threads 2] [--backend wasm|cpu] [--no-reference] [--profile]
// Per size, interleaved (reference, ours) so machine noise hits both: median seconds of one
// training step (forward + backward + Adam on the mean NLL, context size = d) and of scoring the n
// vectors (eval-mode log p). --profile prints our per-kernel time of one training step
// (tf.profile). Prints a table, then one JSON line (also written to .cache/bench/conditional_glow.json).
// Ratios are ours ÷ reference (below 1 = we are faster).
import * as tf from '@tensorflow/tfjs-core';
import { Adam, initBackend, normalTensor, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { ConditionalGlow } from '@skelflow/flows';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

function usage(message: string): never {
  console.error(`conditional_glow.bench: ${message}`);
  process.exit(2);
}

const flags = (() => {
  try {
    return parseArgs({
      options: {
        reps: { type: 'string' },
        dims: { type: 'string' },
        n: { type: 'string' },
        steps: { type: 'string' },
        hidden: { type: 'string' },
        threads: { type: 'string' },
        backend: { type: 'string' },
        'no-reference': { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    return usage(`${(e as Error).message} (see --help)`);
  }
})();
if (flags.help) {
  console.log('usage: node --import tsx bench/conditional_glow.bench.ts [--reps N] [--dims 64,128] [--n 768] [--steps 4] [--hidden 128] [--threads 2] [--backend wasm|cpu] [--no-reference] [--profile]');
  process.exit(0);
}
const posInt = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) usage(`--${name} must be a positive integer, got '${text}'`);
  return v;
};
const REPS = posInt('reps', flags.reps, 5);
const DIMS = (flags.dims ?? '64,128').split(',').map((d) => posInt('dims', d, 64));
const N = posInt('n', flags.n, 768);
const STEPS = posInt('steps', flags.steps, 4);
const HIDDEN = posInt('hidden', flags.hidden, 128);
const REF_THREADS = posInt('threads', flags.threads, 2);
const BACKEND = (flags.backend ?? 'wasm') as BackendName;
if (!['wasm', 'cpu'].includes(BACKEND)) usage(`--backend must be wasm or cpu, got '${flags.backend}'`);
const WARMUP = 1;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const refScript = path.join(repoRoot, 'bench', 'torch', 'nflowad.py');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function reference(dim: number): { trainStep: number; score: number; torch?: string } | null {
  if (flags['no-reference']) return null;
  const r = spawnSync('/usr/bin/python3', [refScript, 'bench', '--n', String(N), '--dim', String(dim), '--context', String(dim), '--steps', String(STEPS),
    '--hidden', String(HIDDEN), '--threads', String(REF_THREADS), '--reps', '1', '--warmup', '1'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`conditional_glow.bench: reference failed (${r.status}): ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
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
  const timed = (fn: () => void) => () => {
    const t0 = performance.now();
    fn();
    return (performance.now() - t0) / 1000;
  };
  return {
    trainStep: timed(step),
    score: timed(score),
    profile: async () => {
      const info = await tf.profile(step);
      const by = (key: (k: (typeof info.kernels)[number]) => string | null) => {
        const m = new Map<string, { ms: number; n: number }>();
        for (const k of info.kernels) {
          const name = key(k);
          if (name === null) continue;
          const e = m.get(name) ?? { ms: 0, n: 0 };
          e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
          e.n += 1;
          m.set(name, e);
        }
        return [...m].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10);
      };
      console.log(`  per-kernel time of one training step (d ${dim}; ${info.kernels.length} kernels):`);
      for (const [name, e] of by((k) => k.name)) console.log(`    ${name.padEnd(22)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
      console.log('  BatchMatMul by input shapes:');
      for (const [name, e] of by((k) => (k.name === 'BatchMatMul' ? k.inputShapes.map((s) => `[${s}]`).join(' × ') : null))) {
        console.log(`    ${name.padEnd(40)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
      }
    },
    dispose: () => {
      tf.dispose([h, c]);
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
  }
  if (flags.profile) await m.profile();
  const t = { oursTrain: [] as number[], oursScore: [] as number[], refTrain: [] as number[], refScore: [] as number[] };
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
  }
  m.dispose();
  const row = {
    dim,
    oursTrainS: median(t.oursTrain),
    oursScoreS: median(t.oursScore),
    refTrainS: t.refTrain.length ? median(t.refTrain) : null,
    refScoreS: t.refScore.length ? median(t.refScore) : null,
    torch: torchVersion,
  };
  const ratio = (a: number, b: number | null) => (b ? (a / b).toFixed(2) : '—');
  console.log(
    `d ${String(dim).padStart(4)}: train step ours ${row.oursTrainS.toFixed(3)} s, PyTorch ${row.refTrainS?.toFixed(3) ?? '—'} s (ratio ${ratio(row.oursTrainS, row.refTrainS)}); ` +
      `score ours ${row.oursScoreS.toFixed(3)} s, PyTorch ${row.refScoreS?.toFixed(3) ?? '—'} s (ratio ${ratio(row.oursScoreS, row.refScoreS)})`,
  );
  results.push(row);
}
const summary = { bench: 'conditional-glow', backend: tf.getBackend(), n: N, steps: STEPS, hidden: HIDDEN, reps: REPS, refThreads: REF_THREADS, results };
fs.mkdirSync(path.join(repoRoot, '.cache', 'bench'), { recursive: true });
fs.writeFileSync(path.join(repoRoot, '.cache', 'bench', 'conditional_glow.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary));
