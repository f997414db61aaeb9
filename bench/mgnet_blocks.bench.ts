// Benchmark of MGNet's groundwork (not a test): the pose renderer (@skelflow/pose render/) and the
// @skelflow/nn MGNet blocks against their PyTorch twin (bench/torch/mgnet_blocks.py bench, 2 threads).
// Run from the repository root:
//   node --import tsx bench/mgnet_blocks.bench.ts [--reps 5] [--batch 32] [--channels 64]
//        [--queries 2048] [--dim 64] [--no-reference]
// Prints a table and one JSON line (also written to .cache/bench/mgnet_blocks.json); for ours it
// also records CPU seconds, which stay meaningful on a shared machine (our code is single-threaded):
// - render: windows per second, T = 24 frames of 32 × 32 × 3 over a scene background, on the
//   tiny demo dataset's test clips (single thread);
// - LSTA: median seconds of forward + backward on [batch, channels, 12, 4, 4] (MGNet's token grid of
//   32 × 32 crops with 2 × 8 × 8 cubes), per backend, with VAN's 5³ → 7³ (dilation 3) kernels;
// - memory: median seconds of read + separateness, forward + backward, [queries, dim], 10 items.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, normalTensor, type BackendName } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { Lsta, MemoryModule } from '@skelflow/nn';
import { generateDemoDataset, poseTracksFromJson, renderTrackWindows } from '@skelflow/pose';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const { values: flags } = parseArgs({
  options: {
    reps: { type: 'string' },
    batch: { type: 'string' },
    channels: { type: 'string' },
    queries: { type: 'string' },
    dim: { type: 'string' },
    'no-reference': { type: 'boolean', default: false },
  },
  strict: true,
});
const int = (name: string, v: string | undefined, d: number): number => {
  const n = v === undefined ? d : Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`mgnet_blocks.bench: --${name} must be a positive integer, got '${v}'`);
    process.exit(2);
  }
  return n;
};
const REPS = int('reps', flags.reps, 5);
const BATCH = int('batch', flags.batch, 32);
const CHANNELS = int('channels', flags.channels, 64);
const QUERIES = int('queries', flags.queries, 2048);
const DIM = int('dim', flags.dim, 64);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!);
}
/** Median wall seconds of `fn`, and its median CPU seconds (robust when the machine is shared: ours is single-threaded). */
function medianSeconds(fn: () => void): number {
  fn();
  const t: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  lastCpu = median(cpu);
  return median(t);
}
let lastCpu = NaN;

// Rendering.
const ds = generateDemoDataset({ seed: 7, scale: 'tiny' });
const clips = ds.test.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));
const windows = renderTrackWindows(clips, { segLen: 24, stride: 6, seed: 7 });
const buf = new Float32Array(24 * 32 * 32 * 3);
const nRender = Math.min(windows.count, 200);
const renderSeconds = medianSeconds(() => {
  for (let s = 0; s < nRender; s++) windows.render(s, buf);
});
const result: Record<string, unknown> = { render: { windows: nRender, windowsPerSecond: nRender / renderSeconds, windowsPerCpuSecond: nRender / lastCpu } };

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  await initBackend(backend);
  const rng = new Rng('bench/mgnet');
  const lsta = new Lsta({ seed: 1 });
  const x = normalTensor(rng, [BATCH, CHANNELS, 12, 4, 4]);
  const lstaStep = medianSeconds(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(lsta.call(x))) as tf.Scalar, lsta.parameters());
    const gx = tf.grad((xx: tf.Tensor) => tf.mean(tf.square(lsta.call(xx))))(x);
    tf.dispose([value, gx, ...Object.values(grads)]);
  });
  const lstaCpu = lastCpu;
  const mem = new MemoryModule(10, DIM, { seed: 2 });
  const q = normalTensor(rng, [QUERIES, DIM]);
  const memoryStep = medianSeconds(() => {
    const g = tf.grad((qq: tf.Tensor) => tf.add(tf.mean(tf.square(mem.call(qq))), mem.separateness(qq)))(q);
    g.dispose();
  });
  result[backend] = { lstaStepSeconds: lstaStep, memoryStepSeconds: memoryStep, lstaStepCpuSeconds: lstaCpu, memoryStepCpuSeconds: lastCpu };
  tf.dispose([x, q]);
  lsta.dispose();
  mem.dispose();
}

if (!flags['no-reference']) {
  const r = spawnSync(
    '/usr/bin/python3',
    [path.join(repoRoot, 'bench/torch/mgnet_blocks.py'), 'bench', '--batch', String(BATCH), '--channels', String(CHANNELS), '--queries', String(QUERIES), '--dim', String(DIM), '--reps', String(REPS)],
    { encoding: 'utf8' },
  );
  if (r.status === 0) result.torch = JSON.parse(r.stdout.trim().split('\n').pop()!);
  else console.error('mgnet_blocks.bench: the PyTorch twin did not run (python3-torch missing?); reference skipped');
}

type Key = 'lstaStepSeconds' | 'memoryStepSeconds' | 'lstaStepCpuSeconds' | 'memoryStepCpuSeconds';
const row = (name: string, k: Key) =>
  `| ${name} | ${(['wasm', 'cpu', 'torch'] as const).map((b) => ((result[b] as Record<string, number> | undefined)?.[k] ?? NaN).toFixed(4)).join(' | ')} |`;
const rr = result.render as { windowsPerSecond: number; windowsPerCpuSecond: number };
console.log(`render: ${rr.windowsPerSecond.toFixed(1)} windows/s, ${rr.windowsPerCpuSecond.toFixed(1)} per CPU second (24 × 32 × 32 × 3, background)`);
console.log('| step (median seconds) | wasm | cpu | torch (2 threads) |\n| --- | --- | --- | --- |');
console.log(row(`LSTA fwd+bwd [${BATCH}, ${CHANNELS}, 12, 4, 4], wall`, 'lstaStepSeconds'));
console.log(row(`LSTA fwd+bwd, CPU`, 'lstaStepCpuSeconds'));
console.log(row(`memory read + separateness fwd+bwd [${QUERIES}, ${DIM}], wall`, 'memoryStepSeconds'));
console.log(row(`memory read + separateness, CPU`, 'memoryStepCpuSeconds'));
const json = JSON.stringify({ reps: REPS, batch: BATCH, channels: CHANNELS, queries: QUERIES, dim: DIM, ...result });
console.log(json);
fs.mkdirSync(path.join(repoRoot, '.cache/bench'), { recursive: true });
fs.writeFileSync(path.join(repoRoot, '.cache/bench/mgnet_blocks.json'), json + '\n');
