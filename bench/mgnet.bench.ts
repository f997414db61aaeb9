// Benchmark of the MGNet model (not a test): training and scoring time per epoch of ours (wasm,
// single thread) next to the PyTorch twin (bench/torch/mgnet_blocks.py bench --model-batch, 2
// threads) at the family's default sizes (D = 32, one block, LSTA, 24 × 32 × 32 × 3 crops, batch 32).
// Run from the repository root:
//   node --import tsx bench/mgnet.bench.ts [--reps 3] [--segments 1000] [--no-reference]
// Per step (one batch): level 1 = student + H_B forward and backward; level 2 = frozen student
// forward + mask encoder + head forward and backward; scoring = student + two masked passes (ours
// with the LSTA maps as matrices, Lsta.linearOperator). The crops are rendered by ours only (the
// twin takes random crops): rendering is a separate row, and "epoch" rows add it. An epoch is
// --segments segments (default 1000). Wall and CPU seconds; the CPU seconds stay comparable on a
// shared machine (ours is single-threaded; PyTorch's CPU time sums its two threads). Writes
// .cache/bench/mgnet.json.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor, uniformTensor } from '@skelflow/core';
import { createMgNet, mgnetSegments, MgNet } from '@skelflow/mgnet';
import { cosineDistillationLoss, drawPatchMask } from '@skelflow/nn';
import { generateDemoDataset, poseTracksFromJson } from '@skelflow/pose';
import { parseBenchFlags, positiveInt, repoRoot, runReference, writeReport, median } from './common.js';
import os from 'node:os';
import path from 'node:path';

const flags = parseBenchFlags('mgnet.bench', 'node --import tsx bench/mgnet.bench.ts [--reps 3] [--segments 1000] [--no-reference]', {
  options: { reps: { type: 'string' }, segments: { type: 'string' }, 'no-reference': { type: 'boolean', default: false } },
  strict: true,
});
const REPS = positiveInt('mgnet.bench', 'reps', flags.reps as string | undefined, 3);
const SEGMENTS = positiveInt('mgnet.bench', 'segments', flags.segments as string | undefined, 1000);
const B = 32;

function timed(fn: () => void): { wall: number; cpu: number } {
  fn();
  const w: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    w.push((performance.now() - t0) / 1000);
    const d = process.cpuUsage(c0);
    c.push((d.user + d.system) / 1e6);
  }
  return { wall: median(w), cpu: median(c) };
}

await initBackend('wasm');
const m: MgNet = createMgNet({ seed: 1 });
m.train();
const rng = new Rng('bench/mgnet');
const crops = uniformTensor(rng, [B, 24, 32, 32, 3]);
const target = normalTensor(rng, [B, 24, 36]);
const mask = drawPatchMask(rng, 16);
const level1 = timed(() => {
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(target, m.motionHead(m.student.call(crops))))) as tf.Scalar, m.motionParameters());
  tf.dispose([value, ...Object.values(grads)]);
});
const level2 = timed(() => {
  const tokens = tf.tidy(() => m.student.call(crops));
  const fu = tf.tidy(() => m.appearanceTarget(tokens));
  const { value, grads } = tf.variableGrads(() => {
    const fm = m.appearanceFeatures(crops, mask);
    return cosineDistillationLoss(tf.reshape(fm, [B * 12, -1]), tf.reshape(fu, [B * 12, -1])) as tf.Scalar;
  }, m.appearanceParameters());
  tf.dispose([tokens, fu, value, ...Object.values(grads)]);
});
m.eval();
const ops = { s: m.student.lstaOperator()!, k: m.maskEncoder.lstaOperator()! };
const score = timed(() => {
  const out = tf.tidy(() => {
    const e = m.student.call(crops, { lstaOperator: ops.s });
    return [m.motionHead(e), m.appearanceFeatures(crops, m.testMasks[0], ops.k), m.appearanceFeatures(crops, m.testMasks[1], ops.k)];
  });
  out.forEach((t) => t.dataSync());
  tf.dispose(out);
});
// Rendering and the teacher (STG-NF latent, tensors) per segment, on the tiny demo's test windows.
const ds = generateDemoDataset({ seed: 7, scale: 'tiny' });
const clips = ds.test.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));
const packed = mgnetSegments(clips, { segLen: 24, stride: 6 }).data;
const idx = Array.from({ length: B }, (_, i) => i);
const render = timed(() => void m.renderer.render(packed, idx));
const teacher = timed(() => {
  const z = tf.tidy(() => m.teacherLatent(m.teacherBatch(packed, idx)));
  z.dataSync();
  z.dispose();
});
tf.dispose([crops, target, ops.s.matrix, ops.s.bias, ops.k.matrix, ops.k.bias]);
m.dispose();

const steps = Math.ceil(SEGMENTS / B);
const ours = { level1, level2, score, render, teacher };
interface TorchModel { level1StepSeconds: number; level1StepCpuSeconds: number; level2StepSeconds: number; level2StepCpuSeconds: number; scoreStepSeconds: number; scoreStepCpuSeconds: number }
const ref = flags['no-reference'] ? null : runReference<{ model: TorchModel; threads: number }>('mgnet.bench', path.join(repoRoot, 'bench/torch/mgnet_blocks.py'), ['bench', '--model-batch', String(B), '--batch', '2', '--queries', '16', '--reps', String(REPS)]);
const fmt = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? '—' : v.toFixed(1));
const load = os.loadavg()[0]!.toFixed(1);
console.log(`MGNet, ${SEGMENTS} segments per epoch (${steps} steps of ${B}), median of ${REPS}; load average ${load}`);
console.log('| per epoch | ours wasm, wall s | ours, CPU s | PyTorch 1.13 (2 threads), wall s | PyTorch, CPU s |\n| --- | --- | --- | --- | --- |');
const row = (name: string, w: number, c: number, tw?: number | null, tc?: number | null) => console.log(`| ${name} | ${fmt(w)} | ${fmt(c)} | ${fmt(tw)} | ${fmt(tc)} |`);
row('render crops (ours only)', render.wall * steps, render.cpu * steps);
row('teacher latent (ours only, tensors)', teacher.wall * steps, teacher.cpu * steps);
row('level-1 steps (student + H_B fwd+bwd)', level1.wall * steps, level1.cpu * steps, ref && ref.model.level1StepSeconds * steps, ref && ref.model.level1StepCpuSeconds * steps);
row('level-2 steps (student fwd, mask encoder fwd+bwd)', level2.wall * steps, level2.cpu * steps, ref && ref.model.level2StepSeconds * steps, ref && ref.model.level2StepCpuSeconds * steps);
row('scoring (student + 2 masked passes)', score.wall * steps, score.cpu * steps, ref && ref.model.scoreStepSeconds * steps, ref && ref.model.scoreStepCpuSeconds * steps);
const summary = { segments: SEGMENTS, batch: B, reps: REPS, loadAverage: os.loadavg(), ours, torch: ref?.model ?? null };
writeReport('mgnet.json', summary);
