// Generates the web app's bundled demo: one synthetic test clip (pose tracks + frame mask) and a
// small STG-NF trained on synthetic normal clips, all from our own generator (never from
// ../shared, whose data is CC BY-NC). Run from the repository root:
//   node --import tsx examples/web/scripts/make_demo.ts
// Deterministic given the seeds below; rewrites examples/web/public/demo/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@skelflow/core';
import { rocAuc } from '@skelflow/metrics';
import { evaluateFrames, generateDemoDataset, poseTracksFromJson, scoresToFrames, writeNpy, type PoseClip } from '@skelflow/pose';
import { encodeStgNf, stgNfFamily } from '@skelflow/stg-nf';

const SEED = 7;
const TRAIN_CLIPS = 60;
const EPOCHS = 10;
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'demo');

await initBackend('auto');
const ds = generateDemoDataset({ seed: SEED, scale: 'tiny', trainClips: TRAIN_CLIPS });
const toClip = (c: { name: string; persons: Parameters<typeof poseTracksFromJson>[0] }): PoseClip => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) });

const config = { ...stgNfFamily.configure({}), epochs: EPOCHS, seed: SEED };
const data = stgNfFamily.trainingData({ normal: { clips: ds.train.map(toClip), source: 'synthetic train' } }, config);
const t0 = Date.now();
const { model, history } = await stgNfFamily.train(config, data);
console.log(`trained on ${data.segments.length / (2 * config.segLen * 18)} segments, ${EPOCHS} epochs, ${((Date.now() - t0) / 1000).toFixed(1)} s; loss ${history.map((l) => l.toFixed(3)).join(' → ')}`);

// The demo clip: the first test clip with a fifth to a half of its frames abnormal (chosen by its
// ground truth, not by how well the model does on it).
const abnormal = (m: Uint8Array) => m.reduce((s, v) => s + v, 0) / m.length;
const i = ds.gt.findIndex((g) => abnormal(g.mask) >= 0.2 && abnormal(g.mask) <= 0.5);
const clip = ds.test[i]!;
const gt = ds.gt[i]!;
const segs = stgNfFamily.evalSegments([toClip(clip)], model.input);
const scores = model.scoreSegments(segs.data);
const frames = scoresToFrames(scores, segs.meta, [{ name: clip.name, nFrames: clip.nFrames }]);
const ev = evaluateFrames({ clips: [{ name: clip.name, gtAbnormal: gt.mask, frameScores: frames.clips[0]!.scores }] });
console.log(`demo clip ${clip.name}: ${clip.nFrames} frames, ${gt.mask.reduce((s, v) => s + v, 0)} abnormal, ${scores.length} segments; frame AUC raw ${ev.aucRaw.toFixed(4)}, smoothed ${ev.aucSmoothed?.toFixed(4)}; segment-free check ${rocAuc(gt.mask, frames.clips[0]!.scores.map((s) => -s)).toFixed(4)}`);

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'model'), { recursive: true });
// Keypoints rounded to 0.1 px (the synthetic estimator's noise is larger) keep the file small.
const rounded = JSON.parse(JSON.stringify(clip.persons, (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)));
fs.writeFileSync(path.join(out, `${clip.name}_alphapose_tracked_person.json`), JSON.stringify(rounded));
fs.writeFileSync(path.join(out, `${clip.name}.npy`), writeNpy(gt.mask, [gt.mask.length], '|u1'));
const files = await encodeStgNf(model.net, {
  training: { generator: '@skelflow/pose synthetic', seed: SEED, scale: 'tiny', trainClips: TRAIN_CLIPS, epochs: EPOCHS, history },
});
for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(out, 'model', name), content);
fs.writeFileSync(
  path.join(out, 'demo.json'),
  JSON.stringify({ clip: clip.name, poses: `${clip.name}_alphapose_tracked_person.json`, gt: `${clip.name}.npy`, model: 'model/', events: clip.events }, null, 2) + '\n',
);
model.dispose();
