// MSG-Flow's score ablation (not a test): S_sem only, S_det only and the fused S of the models a
// `skelflow benchmark` run saved, on its test set, without retraining (the two raw scores are
// computed once per model; each variant is the same standardisation the model applies).
//   node --import tsx bench/msgflow_ablation.ts --data <dataset> --bench <benchmark out dir> [--only msg-flow-seed1,…] [--out file.json]
// Prints AUC smoothed and raw, mean ± sample std over the seeds, per score; writes
// <bench>/msgflow_ablation.json.
import { initBackend } from '@skelflow/core';
import { msgFlowFamily, type MsgFlowScore } from '@skelflow/msg-flow';
import { evaluateFrames, scoresToFrames } from '@skelflow/pose';
import { readGtDir, readPoseDir } from '@skelflow/pose/node';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const { values } = parseArgs({ options: { data: { type: 'string' }, bench: { type: 'string' }, only: { type: 'string' }, out: { type: 'string' } }, strict: true });
if (!values.data || !values.bench) {
  console.error('usage: node --import tsx bench/msgflow_ablation.ts --data <dataset> --bench <benchmark out dir>');
  process.exit(2);
}
await initBackend('wasm');
const gt = await readGtDir(path.join(values.data, 'gt', 'test_frame_mask'), 'shanghaitech');
const known = new Set(gt.map((g) => g.name));
const clips = (await readPoseDir(path.join(values.data, 'pose', 'test'))).filter((c) => known.has(c.name));
const only = values.only ? new Set(values.only.split(',')) : null;
const dirs = fs.readdirSync(path.join(values.bench, 'models')).filter((d) => d.startsWith('msg-flow-seed') && (!only || only.has(d))).sort();
if (dirs.length === 0) {
  console.error(`no msg-flow-seed* models under ${path.join(values.bench, 'models')}`);
  process.exit(2);
}
const scores: MsgFlowScore[] = ['sem', 'det', 'fused'];
const results: Record<string, { smoothed: number[]; raw: number[] }> = Object.fromEntries(scores.map((s) => [s, { smoothed: [], raw: [] }]));
for (const dir of dirs) {
  const model = await msgFlowFamily.load(path.join(values.bench, 'models', dir));
  const segs = msgFlowFamily.evalSegments(clips, model.input);
  const parts = model.scoreParts(segs.data);
  for (const s of scores) {
    const anomaly = model.net.combine(parts, s);
    const normality = Float32Array.from(anomaly, (v) => -v);
    const frames = scoresToFrames(normality, segs.meta, gt.map((g) => ({ name: g.name, nFrames: g.nFrames })));
    const ev = evaluateFrames({ clips: gt.map((g, i) => ({ name: g.name, gtAbnormal: g.gtAbnormal, frameScores: frames.clips[i]!.scores })), smooth: true });
    results[s]!.smoothed.push(ev.aucSmoothed!);
    results[s]!.raw.push(ev.aucRaw);
  }
  console.log(`${dir}: ${scores.map((s) => `${s} ${results[s]!.smoothed.at(-1)!.toFixed(4)}/${results[s]!.raw.at(-1)!.toFixed(4)}`).join('  ')}`);
  model.dispose();
}
const ms = (v: number[]): string => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return `${m.toFixed(4)} ± ${sd.toFixed(4)}`;
};
console.log(`\n| score | AUC smoothed (mean ± std) | AUC raw (mean ± std) | seeds |\n| --- | --- | --- | --- |`);
for (const s of scores) console.log(`| ${s === 'sem' ? 'S_sem only' : s === 'det' ? 'S_det only' : 'fused S'} | ${ms(results[s]!.smoothed)} | ${ms(results[s]!.raw)} | ${dirs.length} |`);
fs.writeFileSync(values.out ?? path.join(values.bench, 'msgflow_ablation.json'), JSON.stringify({ models: dirs, results }, null, 2) + '\n');
