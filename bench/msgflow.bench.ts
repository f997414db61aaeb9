// Benchmark of MSG-Flow (not a test): @skelflow against its PyTorch twin (bench/torch/msg_flow.py
// bench, /usr/bin/python3 with torch 1.13, `--threads` threads) on the same sizes, in one run.
// Run from the repository root:
//   node --import tsx bench/msgflow.bench.ts [--reps 3] [--threads 2] [--no-reference] [--backend wasm|cpu]
// Per repetition, interleaved (twin, ours) so machine noise hits both: one training step of each
// stage on a batch of 256 segments (tokenizer with its EMA update, token prior, conditional flow
// with Adamax and clipping; ours on the fused engine) and scoring 1024 segments (tokenizer, prior,
// context, flow). Prints a table of medians (segments/s, ours ÷ twin) and where the time goes, then
// one JSON line, also written to .cache/bench/msgflow.json.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { Adam, clipGradNormInPlace, FusedAdamax, initBackend, normalTensor, type BackendName } from '@skelflow/core';
import { MsgFlow, type MsgFlowConfig } from '@skelflow/msg-flow';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const { values: flags } = parseArgs({
  options: { reps: { type: 'string' }, threads: { type: 'string' }, 'no-reference': { type: 'boolean', default: false }, backend: { type: 'string' } },
  strict: true,
});
const reps = Number(flags.reps ?? 3);
const threads = Number(flags.threads ?? 2);
const backend = (flags.backend ?? 'wasm') as BackendName;
if (!(Number.isInteger(reps) && reps > 0) || !(Number.isInteger(threads) && threads > 0)) {
  console.error('msgflow.bench: --reps and --threads take positive integers');
  process.exit(2);
}
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 256;
const SCORE = 1024;
// The family's defaults (examples/msg-flow/src/family.ts).
const config: MsgFlowConfig = { segLen: 24, vqWidth: 32, codeDim: 16, codebook: 64, vqDepth: 2, dModel: 32, heads: 4, layers: 2, dropout: 0.1, flowSteps: 8, contextChannels: 4, seed: 1 };

await initBackend(backend);
const model = new MsgFlow(config);
const rng = new Rng(1);
const x = normalTensor(rng, [BATCH, 2, 24, 18]);
const xData = x.dataSync() as Float32Array;
const xs = new Float32Array(SCORE * 2 * 24 * 18);
for (let i = 0; i < xs.length; i++) xs[i] = rng.normal();
tf.tidy(() => model.contextBasis.assign(normalTensor(rng, [config.contextChannels!, config.dModel!], 0, 0.1)));
const seq = model.sequences(x);
const tokParams = model.tokenizer.parameters();
const optA = new Adam(tokParams, { lr: 1e-3 });
const priorParams = model.prior.parameters();
const optB = new Adam(priorParams, { lr: 1e-3 });
const fz = model.frozenStages(x);
const ctx = fz.context.dataSync() as Float32Array;
const fused = model.fused();
if (!fused) throw new Error(`no fused flow: ${model.fusedUnavailableReason}`);
const optC = new FusedAdamax(fused.params.length, { lr: 5e-4 });

function stepTokenizer(): void {
  model.tokenizer.train();
  const { value, grads } = tf.variableGrads(() => model.tokenizer.forward(seq).loss, tokParams);
  value.dataSync();
  optA.step(tokParams.map((p) => grads[p.name]!));
  tf.dispose([value, ...Object.values(grads)]);
}
function stepPrior(): void {
  model.prior.train();
  const { value, grads } = tf.variableGrads(() => model.prior.loss(fz.tokens), priorParams);
  value.dataSync();
  optB.step(priorParams.map((p) => grads[p.name]!));
  tf.dispose([value, ...Object.values(grads)]);
}
function stepFlow(): void {
  fused!.lossAndGrad(xData, undefined, ctx);
  clipGradNormInPlace(fused!.grads, 100);
  optC.step(fused!.params, fused!.grads);
}
function score(): { frozen: number; flow: number } {
  model.eval();
  const per = 2 * 24 * 18;
  const t0 = performance.now();
  const xt = tf.tensor4d(xs, [SCORE, 2, 24, 18]);
  const f = model.frozenStages(xt);
  const c = f.context.dataSync() as Float32Array;
  const t1 = performance.now();
  fused!.nllBitsPerDim(xs.subarray(0, SCORE * per), { context: c, threads: threads - 1 });
  const t2 = performance.now();
  tf.dispose([xt, f.tokens, f.sem, f.context]);
  return { frozen: (t1 - t0) / 1000, flow: (t2 - t1) / 1000 };
}
const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
};

interface Twin {
  tokenizerStep: number;
  priorStep: number;
  flowStep: number;
  score: number;
  scoreFrozen: number;
  scoreFlow: number;
}
function twin(): Twin | null {
  if (flags['no-reference']) return null;
  const r = spawnSync('/usr/bin/python3', [
    path.join(repoRoot, 'bench/torch/msg_flow.py'), 'bench', '--threads', String(threads), '--reps', '1', '--warmup', '1',
    '--batch', String(BATCH), '--score', String(SCORE), '--vq-width', '32', '--code-dim', '16', '--vq-depth', '2', '--codebook', '64', '--d-model', '32', '--context-channels', '4',
  ], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`msgflow.bench: the PyTorch twin failed (${r.stderr.trim().split('\n').pop()}); run with --no-reference to skip it`);
    process.exit(1);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Twin;
}

// Warm-up (kernel setup, fused compilation).
stepTokenizer();
stepPrior();
stepFlow();
score();
const ours: { tok: number[]; prior: number[]; flow: number[]; frozen: number[]; scoreFlow: number[] } = { tok: [], prior: [], flow: [], frozen: [], scoreFlow: [] };
const ref: Twin[] = [];
for (let r = 0; r < reps; r++) {
  const t = twin();
  if (t) ref.push(t);
  ours.tok.push(time(stepTokenizer));
  ours.prior.push(time(stepPrior));
  ours.flow.push(time(stepFlow));
  const s = score();
  ours.frozen.push(s.frozen);
  ours.scoreFlow.push(s.flow);
}
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const o = { tokenizerStep: median(ours.tok), priorStep: median(ours.prior), flowStep: median(ours.flow), scoreFrozen: median(ours.frozen), scoreFlow: median(ours.scoreFlow) };
const oScore = o.scoreFrozen + o.scoreFlow;
const oTrain = o.tokenizerStep + o.priorStep + o.flowStep;
const R = ref.length ? { tokenizerStep: median(ref.map((t) => t.tokenizerStep)), priorStep: median(ref.map((t) => t.priorStep)), flowStep: median(ref.map((t) => t.flowStep)), scoreFrozen: median(ref.map((t) => t.scoreFrozen)), scoreFlow: median(ref.map((t) => t.scoreFlow)), score: median(ref.map((t) => t.score)) } : null;
const rTrain = R ? R.tokenizerStep + R.priorStep + R.flowStep : NaN;
const rows: [string, number, number][] = [
  ['train: tokenizer step', BATCH / o.tokenizerStep, R ? BATCH / R.tokenizerStep : NaN],
  ['train: prior step', BATCH / o.priorStep, R ? BATCH / R.priorStep : NaN],
  ['train: flow step', BATCH / o.flowStep, R ? BATCH / R.flowStep : NaN],
  ['train: one step of each stage', BATCH / oTrain, BATCH / rTrain],
  ['score: tokenizer + prior + context', SCORE / o.scoreFrozen, R ? SCORE / R.scoreFrozen : NaN],
  ['score: conditional flow', SCORE / o.scoreFlow, R ? SCORE / R.scoreFlow : NaN],
  ['score: whole model', SCORE / oScore, R ? SCORE / R.score : NaN],
];
console.log(`MSG-Flow, ${backend}, ${threads} thread(s), ${reps} interleaved reps, medians (segments/s; ratio = ours ÷ PyTorch twin)`);
console.log('| what | ours | twin | ratio |\n| --- | --- | --- | --- |');
for (const [what, a, b] of rows) console.log(`| ${what} | ${a.toFixed(0)} | ${Number.isNaN(b) ? '—' : b.toFixed(0)} | ${Number.isNaN(b) ? '—' : (a / b).toFixed(2)} |`);
console.log(`where the time goes (ours): training ${((100 * o.tokenizerStep) / oTrain).toFixed(0)} % tokenizer, ${((100 * o.priorStep) / oTrain).toFixed(0)} % prior, ${((100 * o.flowStep) / oTrain).toFixed(0)} % flow; scoring ${((100 * o.scoreFrozen) / oScore).toFixed(0)} % tokenizer + prior, ${((100 * o.scoreFlow) / oScore).toFixed(0)} % flow`);
const json = { backend, threads, reps, batch: BATCH, scoreBatch: SCORE, ours: o, twin: R };
fs.mkdirSync(path.join(repoRoot, '.cache/bench'), { recursive: true });
fs.writeFileSync(path.join(repoRoot, '.cache/bench/msgflow.json'), JSON.stringify(json, null, 2) + '\n');
console.log(JSON.stringify(json));
optA.dispose();
optB.dispose();
model.dispose();
