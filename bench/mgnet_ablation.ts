// MGNet's level ablation on a dataset with scene-dependent anomalies (not a test).
//   node --import tsx bench/mgnet_ablation.ts data --out <dir> [--seed 7] [--train-clips 40] [--test-clips 12]
//       writes a synthetic dataset (ShanghaiTech layout) in which running is normal in scene 02 and
//       abnormal in every other scene (`sceneRules`), plus events.json (every labelled test event).
//   node --import tsx bench/mgnet_ablation.ts score --data <dir> --bench <skelflow benchmark --out> [--out file.json]
//       for every mgnet-seed* model the benchmark saved: the raw S_mo, S_app, S_mm of the test
//       segments once, then the scores of level 1 (S_mo), levels 1+2 and 1+2+3 (the same min–max
//       fusion the model applies) and its STG-NF teacher (models/<run>/teacher), frame AUC
//       (smoothed, STG-NF's protocol) overall and on the scene-dependent anomalies only
//       (frames of running events in scenes other than 02 vs the frames of those clips without any
//       event), and level 1 without the per-video min–max (−S_mo as it is). --only mgnet-seed1,…
//       restricts the models; without events.json (e.g. a CMU mocap dataset) the scene column is NaN.
// Levels 1 and 1+2 of one trained 1+2+3 model are the models `--levels 1` / `--levels 12` would train
// with the same seed: level 1 is trained first and frozen, level 2 never changes it, level 3 only
// adds memory rounds after them.
import { initBackend } from '@skelflow/core';
import { fuseScores, mgnetFamily } from '@skelflow/mgnet';
import '@skelflow/mgnet/node';
import { stgNfFamily } from '@skelflow/stg-nf';
import '@skelflow/stg-nf/node';
import { evaluateFrames, generateDemoDataset, scoresToFrames, segmentTracks } from '@skelflow/pose';
import { readGtDir, readPoseDir, writeDemoDataset } from '@skelflow/pose/node';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const [mode, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: { out: { type: 'string' }, only: { type: 'string' }, seed: { type: 'string' }, 'train-clips': { type: 'string' }, 'test-clips': { type: 'string' }, data: { type: 'string' }, bench: { type: 'string' } },
  strict: true,
});

if (mode === 'data') {
  if (!values.out) throw new Error('--out is required');
  const ds = generateDemoDataset({
    seed: Number(values.seed ?? 7),
    scale: 'demo',
    trainClips: Number(values['train-clips'] ?? 40),
    testClips: Number(values['test-clips'] ?? 12),
    sceneRules: [{ kind: 'running', normalScenes: [2] }],
  });
  writeDemoDataset(values.out, ds);
  fs.writeFileSync(path.join(values.out, 'events.json'), JSON.stringify(ds.test.map((c) => ({ name: c.name, nFrames: c.nFrames, events: c.events }))) + '\n');
  console.log(`wrote ${values.out}: ${ds.train.length} training clips, ${ds.test.length} test clips; test events ${JSON.stringify(ds.meta.stats.test.events)}`);
  process.exit(0);
}
if (mode !== 'score' || !values.data || !values.bench) {
  console.error('usage: bench/mgnet_ablation.ts data --out <dir> | score --data <dir> --bench <benchmark out>');
  process.exit(2);
}
await initBackend('wasm');
const gt = await readGtDir(path.join(values.data, 'gt', 'test_frame_mask'), 'shanghaitech');
const known = new Set(gt.map((g) => g.name));
const clips = (await readPoseDir(path.join(values.data, 'pose', 'test'))).filter((c) => known.has(c.name));
// events.json (written by `data`): the scene-dependent subset; other datasets (e.g. CMU mocap) have none.
const eventsFile = path.join(values.data, 'events.json');
const events = (fs.existsSync(eventsFile) ? JSON.parse(fs.readFileSync(eventsFile, 'utf8')) : []) as { name: string; nFrames: number; events: { kind: string; from: number; to: number }[] }[];
// Scene-dependent subset: clips of scenes ≠ 02 that hold a running event; positives = running
// frames, negatives = frames without any event; other frames are left out.
const subset = new Map<string, Int8Array>();
for (const c of events) {
  if (c.name.startsWith('02_') || !c.events.some((e) => e.kind === 'running')) continue;
  const lab = new Int8Array(c.nFrames);
  for (const e of c.events) for (let f = e.from; f <= Math.min(e.to, c.nFrames - 1); f++) lab[f] = e.kind === 'running' ? (lab[f] === -1 ? -1 : 1) : -1;
  subset.set(c.name, lab);
}
const auc = (normality: ArrayLike<number>, meta: Parameters<typeof scoresToFrames>[1]) => {
  const frames = scoresToFrames(Float32Array.from(normality), meta, gt.map((g) => ({ name: g.name, nFrames: g.nFrames })));
  const overall = evaluateFrames({ clips: gt.map((g, i) => ({ name: g.name, gtAbnormal: g.gtAbnormal, frameScores: frames.clips[i]!.scores })), smooth: true }).aucSmoothed!;
  // Scene-dependent: smoothed frame scores of the subset clips, frames labelled 1 (running) or 0 (no event).
  const sub: { name: string; gtAbnormal: Uint8Array; frameScores: Float32Array }[] = [];
  gt.forEach((g, i) => {
    const lab = subset.get(g.name);
    if (!lab) return;
    const keep = [...lab.keys()].filter((f) => lab[f] !== -1);
    sub.push({ name: g.name, gtAbnormal: Uint8Array.from(keep, (f) => lab[f]!), frameScores: Float32Array.from(keep, (f) => frames.clips[i]!.scores[f]!) });
  });
  // Smoothing on the kept frames only would join frames across removed events; rank raw per-frame scores instead.
  const scene = sub.length ? evaluateFrames({ clips: sub, smooth: false }).aucRaw : NaN;
  return { overall, scene };
};
const only = values.only ? new Set(values.only.split(',')) : null;
const dirs = fs.readdirSync(path.join(values.bench, 'models')).filter((d) => d.startsWith('mgnet-seed') && (!only || only.has(d))).sort();
const rows: Record<string, { overall: number[]; scene: number[] }> = {};
const add = (k: string, r: { overall: number; scene: number }) => {
  rows[k] ??= { overall: [], scene: [] };
  rows[k].overall.push(r.overall);
  rows[k].scene.push(r.scene);
};
for (const dir of dirs) {
  const model = await mgnetFamily.load(path.join(values.bench, 'models', dir));
  const segs = mgnetFamily.evalSegments(clips, model.input);
  const t0 = Date.now();
  const raw = model.net.segmentScores(segs.data, { batchSize: 256 });
  console.error(`${dir}: ${segs.meta.clip.length} segments scored in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const levels of ['1', '12', '123'] as const) add(`MGNet levels ${levels}`, auc(fuseScores(raw, { ...model.net.config, levels }), segs.meta));
  // Level 1 without the per-video min–max: −S_mo as it is.
  add('MGNet level 1, S_mo without min–max', auc(Float64Array.from(raw.motion, (v) => -v), segs.meta));
  model.dispose();
  const teacher = await stgNfFamily.load(path.join(values.bench, 'models', dir, 'teacher'));
  const tsegs = segmentTracks(clips, { segLen: teacher.input.segLen });
  add('STG-NF teacher', auc(teacher.scoreSegments(tsegs.data), tsegs.meta));
  teacher.dispose();
}
const ms = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return v.length > 1 ? `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)}` : (100 * m).toFixed(1);
};
console.log(`| scores (${dirs.length} seed${dirs.length > 1 ? 's' : ''}) | frame AUC, all test frames | frame AUC, scene-dependent running (${subset.size} clips) |\n| --- | --- | --- |`);
for (const [k, r] of Object.entries(rows)) console.log(`| ${k} | ${ms(r.overall)} | ${ms(r.scene)} |`);
if (values.out) fs.writeFileSync(values.out, JSON.stringify(rows, null, 2) + '\n');
