// Benchmark of @skelflow/nn's AutoregressiveTokenModel (not a test) against its PyTorch twin
// (bench/torch/transformer.py, PyTorch's own nn.TransformerEncoder, 2 threads) in one run, at
// MSG-Flow's small-scale sizes (model-cards §2.2 [B], §2.6). Run from the repository root:
//   node --import tsx bench/transformer.bench.ts [--reps 5] [--dims 128,256] [--layers 2] [--batch 256]
//        [--tokens 12] [--codes 512] [--heads 4] [--backend wasm|cpu] [--no-reference] [--profile]
// Per size, interleaved (reference, ours) so machine noise hits both: median seconds of one
// training step (forward + backward + Adam, train mode, dropout 0.1) and one forward (eval-mode
// per-token NLL). --profile prints our per-kernel time of one training step (tf.profile).
// Prints a table, then one JSON line (also written to .cache/bench/transformer.json). Ratios are
// ours ÷ reference (below 1 = we are faster).
import * as tf from '@tensorflow/tfjs-core';
import { Adam, initBackend, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { AutoregressiveTokenModel } from '@skelflow/nn';
import { REFERENCE_BENCH_OPTIONS, backendFlag, median, parseBenchFlags, positiveInt, ratioText, repoRoot, runReference, seconds, topKernels, writeReport } from './common.js';
import path from 'node:path';

const BENCH = 'transformer.bench';
const flags = parseBenchFlags(
  BENCH,
  'usage: node --import tsx bench/transformer.bench.ts [--reps N] [--dims 128,256] [--layers 2] [--batch 256] [--tokens 12] [--codes 512] [--heads 4] [--backend wasm|cpu] [--no-reference] [--profile]',
  {
    options: {
      ...REFERENCE_BENCH_OPTIONS,
      dims: { type: 'string' },
      layers: { type: 'string' },
      batch: { type: 'string' },
      tokens: { type: 'string' },
      codes: { type: 'string' },
      heads: { type: 'string' },
    },
    strict: true,
  },
);
const posInt = (name: string, text: string | undefined, fallback: number): number => positiveInt(BENCH, name, text, fallback);
const REPS = posInt('reps', flags.reps, 5);
const DIMS = (flags.dims ?? '128,256').split(',').map((d) => posInt('dims', d, 128));
const LAYERS = posInt('layers', flags.layers, 2);
const BATCH = posInt('batch', flags.batch, 256);
const TOKENS = posInt('tokens', flags.tokens, 12);
const CODES = posInt('codes', flags.codes, 512);
const HEADS = posInt('heads', flags.heads, 4);
const BACKEND = backendFlag(BENCH, flags.backend);
const REF_THREADS = 2;
const WARMUP = 2;
const refScript = path.join(repoRoot, 'bench', 'torch', 'transformer.py');

function reference(dim: number): { trainStep: number; forward: number } | null {
  if (flags['no-reference']) return null;
  return runReference(BENCH, refScript, ['bench', '--tokens', String(TOKENS), '--codes', String(CODES), '--dim', String(dim),
    '--layers', String(LAYERS), '--heads', String(HEADS), '--batch', String(BATCH), '--threads', String(REF_THREADS), '--reps', '1', '--warmup', '1']);
}

interface Ours {
  trainStep: () => number;
  forward: () => number;
  profile: () => Promise<void>;
  dispose: () => void;
}

function ours(dim: number): Ours {
  const model = new AutoregressiveTokenModel({ numTokens: CODES, maxLength: TOKENS, dModel: dim, numHeads: HEADS, numLayers: LAYERS, dropout: 0.1, seed: 0 });
  const params = model.parameters();
  const opt = new Adam(params, { lr: 1e-4 });
  const rng = new Rng(1);
  const tokens = tf.tensor2d(Int32Array.from({ length: BATCH * TOKENS }, () => rng.int(CODES)), [BATCH, TOKENS], 'int32');
  const step = () => {
    model.train();
    const { value, grads } = tf.variableGrads(() => model.loss(tokens), params);
    opt.step(params.map((p) => grads[p.name]!));
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const fwd = () => {
    model.eval();
    const nll = model.nll(tokens);
    nll.dataSync();
    nll.dispose();
  };
  const timed = (fn: () => void) => () => seconds(fn);
  return {
    trainStep: timed(step),
    forward: timed(fwd),
    profile: async () => {
      const info = await tf.profile(step);
      const rows = topKernels(info.kernels, (k) => k.name, 12);
      console.log(`  per-kernel time of one training step (D ${dim}; ${info.kernels.length} kernels):`);
      for (const [name, e] of rows) console.log(`    ${name.padEnd(22)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
      const byShape = topKernels(info.kernels, (k) => (k.name === 'BatchMatMul' ? k.inputShapes.map((s) => `[${s}]`).join(' × ') : null), 10);
      console.log('  BatchMatMul by input shapes:');
      for (const [key, e] of byShape) console.log(`    ${key.padEnd(40)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.n}`);
    },
    dispose: () => {
      tokens.dispose();
      opt.dispose();
      model.dispose();
    },
  };
}

await initBackend(BACKEND);
console.log(`AutoregressiveTokenModel: ${TOKENS} tokens, K ${CODES}, ${LAYERS} layers, ${HEADS} heads, batch ${BATCH}; ours on ${tf.getBackend()}, PyTorch ${REF_THREADS} threads; ${REPS} reps`);
const results: Record<string, unknown>[] = [];
for (const dim of DIMS) {
  const m = ours(dim);
  for (let i = 0; i < WARMUP; i++) {
    m.trainStep();
    m.forward();
  }
  if (flags.profile) await m.profile();
  const t = { oursTrain: [] as number[], oursFwd: [] as number[], refTrain: [] as number[], refFwd: [] as number[] };
  let torchVersion: string | null = null;
  for (let r = 0; r < REPS; r++) {
    const ref = reference(dim);
    if (ref) {
      t.refTrain.push(ref.trainStep);
      t.refFwd.push(ref.forward);
      torchVersion = (ref as { torch?: string }).torch ?? null;
    }
    t.oursTrain.push(m.trainStep());
    t.oursFwd.push(m.forward());
  }
  m.dispose();
  const row = {
    dim,
    oursTrainS: median(t.oursTrain),
    oursForwardS: median(t.oursFwd),
    refTrainS: t.refTrain.length ? median(t.refTrain) : null,
    refForwardS: t.refFwd.length ? median(t.refFwd) : null,
    torch: torchVersion,
  };
  const ratio = ratioText;
  console.log(
    `D ${String(dim).padStart(4)}: train step ours ${row.oursTrainS.toFixed(3)} s, PyTorch ${row.refTrainS?.toFixed(3) ?? '—'} s (ratio ${ratio(row.oursTrainS, row.refTrainS)}); ` +
      `forward ours ${row.oursForwardS.toFixed(3)} s, PyTorch ${row.refForwardS?.toFixed(3) ?? '—'} s (ratio ${ratio(row.oursForwardS, row.refForwardS)})`,
  );
  results.push(row);
}
const summary = { bench: 'transformer', backend: tf.getBackend(), tokens: TOKENS, codes: CODES, layers: LAYERS, heads: HEADS, batch: BATCH, reps: REPS, refThreads: REF_THREADS, results };
writeReport('transformer.json', summary);
