// MGNet from blocks: the packed input and its crops, the score fusion, the guidance (frozen
// teacher), the final-round-only BSMM update, the checkpoint/resume of the trained stages and the
// save/load round trip. The blocks' own hand cases (LSTA 1.5·e, masks, cosine loss, read weights,
// memory update and separateness) are in packages/nn/test/mgnet_blocks.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDemoDataset, poseTracksFromJson, renderTrackWindows, segmentTracks, type PoseClip } from '@skelflow/pose';
import { initBackend } from '@skelflow/core';
import { forEachBackend, stoppedAndResumed, uninterruptedRun, type ResumableTraining } from '@skelflow/testing';
import { CH, createMgNet, fuseScores, MGNET_CHANNELS, MgNetAnomalyModel, mgnetFamily, mgnetSegments, minMaxPerVideo, trainMgNet, type MgNet, type MgNetConfig, type TrainMgNetOptions } from '../src/index.js';
import '../src/node.js';

const SEG = 8;
const TINY: MgNetConfig = { segLen: SEG, teacher: { K: 2 }, crop: 16, dim: 8, heads: 2, headHidden: 8, appDim: 4, memoryItems: 3, seed: 5 };

let clips: PoseClip[];
let data: Float32Array;
beforeAll(async () => {
  await initBackend('wasm');
  const ds = generateDemoDataset({ seed: 3, scale: 'tiny' });
  clips = ds.train.slice(0, 2).map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));
  data = mgnetSegments(clips, { segLen: SEG, stride: 8 }).data;
});

const snap = (v: tf.Variable) => Array.from(v.dataSync());
const state = (m: { stateDict(): Map<string, tf.Variable> }) => [...m.stateDict()].map(([k, v]) => [k, snap(v)] as const);

describe('MGNet input', () => {
  it('packs the teacher segments, raw keypoints, scene code and video index of segmentTracks’ windows', () => {
    const segs = mgnetSegments(clips, { segLen: SEG, stride: 4 });
    const norm = segmentTracks(clips, { segLen: SEG, stride: 4 });
    const raw = segmentTracks(clips, { segLen: SEG, stride: 4, normalize: false, withConfidence: true });
    const S = norm.meta.clip.length;
    const n = SEG * 18;
    expect(segs.shape).toEqual([S, MGNET_CHANNELS, SEG, 18]);
    expect(Array.from(segs.meta.startFrame)).toEqual(Array.from(norm.meta.startFrame));
    for (const s of [0, S - 1]) {
      const seg = segs.data.subarray(s * MGNET_CHANNELS * n, (s + 1) * MGNET_CHANNELS * n);
      expect(Array.from(seg.subarray(0, 2 * n))).toEqual(Array.from(norm.data.subarray(s * 2 * n, (s + 1) * 2 * n)));
      expect(Array.from(seg.subarray(2 * n, 5 * n))).toEqual(Array.from(raw.data.subarray(s * 3 * n, (s + 1) * 3 * n)));
      const clip = norm.meta.clip[s]!;
      expect(new Set(seg.subarray(CH.scene * n, (CH.scene + 1) * n))).toEqual(new Set([Number(clips[clip]!.name.slice(0, 2))]));
      expect(new Set(seg.subarray(CH.video * n, (CH.video + 1) * n))).toEqual(new Set([clip]));
    }
  });

  it('renders the crops renderTrackWindows draws for the same windows (scene background included)', () => {
    const m = createMgNet({ ...TINY, crop: 32, renderSeed: 9 });
    const segs = mgnetSegments(clips, { segLen: SEG, stride: 4 });
    const windows = renderTrackWindows(clips, { segLen: SEG, stride: 4, seed: 9 });
    expect(windows.count).toBe(segs.meta.clip.length);
    for (const s of [0, 3, windows.count - 1]) {
      const ours = m.renderer.render(segs.data, [s]);
      const theirs = windows.render(s);
      let err = 0;
      for (let i = 0; i < ours.length; i++) err = Math.max(err, Math.abs(ours[i]! - theirs[i]!));
      expect(err).toBeLessThan(1e-5);
    }
    m.dispose();
  });
});

describe('MGNet score fusion', () => {
  it('min–max per video: hand case, and a constant video maps to 0', () => {
    const out = minMaxPerVideo([2, 4, 3, 7, 7, 7], [0, 0, 0, 1, 1, 1]);
    expect(Array.from(out)).toEqual([0, 1, 0.5, 0, 0, 0]);
  });

  it('S = mm(S_mo) + λ_app mm(S_app) + λ_mm mm(S_mm) per video, negated; levels drop their terms', () => {
    const s = { motion: Float64Array.from([1, 3]), appearance: Float64Array.from([5, 1]), matching: Float64Array.from([0, 2]), video: Float64Array.from([0, 0]) };
    expect(Array.from(fuseScores(s, { levels: '123', lambdaApp: 2, lambdaMm: 0.5 }))).toEqual([-(0 + 2 * 1 + 0), -(1 + 0 + 0.5)]);
    expect(Array.from(fuseScores(s, { levels: '12', lambdaApp: 2, lambdaMm: 0.5 }))).toEqual([-2, -1]);
    expect(Array.from(fuseScores(s, { levels: '1', lambdaApp: 2, lambdaMm: 0.5 }))).toEqual([-0, -1]);
  });
});

forEachBackend('MGNet model', () => {
  it('S_mm = 0 when C_b = C_s (identical matching items → both uniform); otherwise in (0, √2]; no leaked tensors', () => {
    const m = createMgNet(TINY);
    const n = m.count(data, 'test');
    const lb = m.student.tokens * m.config.memoryItems;
    const before = tf.memory().numTensors;
    tf.tidy(() => m.memR.items.assign(tf.tile(tf.reshape(tf.linspace(0.1, 1, lb + m.config.memoryItems), [1, -1]), [m.config.memoryItems, 1])));
    const equal = m.segmentScores(data);
    expect(Array.from(equal.matching)).toEqual(new Array(n).fill(0));
    tf.tidy(() => m.memR.items.assign(tf.eye(m.config.memoryItems, lb + m.config.memoryItems)));
    const other = m.segmentScores(data);
    for (const v of other.matching) expect(v > 0 && v <= Math.SQRT2).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('level 1 (guidance): the teacher’s parameters and buffers are unchanged by a training step, the student’s change', async () => {
    const m = createMgNet({ ...TINY, levels: '1' });
    const teacher = state(m.teacher);
    const student = snap(m.student.embed.weight);
    const history = await trainMgNet(m, data, { epochs: 1, batchSize: 8, seed: 1 });
    expect(history.motion).toHaveLength(1);
    expect(state(m.teacher)).toEqual(teacher);
    expect(snap(m.student.embed.weight)).not.toEqual(student);
    m.dispose();
  });

  it('BSMM: M^r unchanged before the final round; M^b and M^s unchanged by its update; M^r changed by it', async () => {
    const m = createMgNet(TINY);
    const seen: Record<string, { b: number[]; s: number[]; r: number[] }> = {};
    const take = (k: string) => (seen[k] = { b: snap(m.memB.items), s: snap(m.memS.items), r: snap(m.memR.items) });
    take('init');
    await trainMgNet(m, data, { epochs: 1, appEpochs: 2, batchSize: 8, seed: 1, onStage: (stage) => take(stage) });
    take('end');
    expect(Object.keys(seen)).toEqual(['init', 'motion', 'appearance', 'scene-memory', 'matching-memory', 'end']);
    for (const k of ['motion', 'appearance', 'scene-memory', 'matching-memory']) expect(seen[k]!.r, k).toEqual(seen.init!.r);
    expect(seen['scene-memory']!.b).not.toEqual(seen.init!.b); // M^b learnt in level 2
    expect(seen['matching-memory']!.s).not.toEqual(seen.init!.s); // M^s learnt in the scene round
    expect(seen.end!.b).toEqual(seen['matching-memory']!.b);
    expect(seen.end!.s).toEqual(seen['matching-memory']!.s);
    expect(seen.end!.r).not.toEqual(seen.init!.r);
    m.dispose();
  });
});

forEachBackend('MGNet training: checkpoint and resume', () => {
  it('stopped mid-epoch in level 2 and resumed from its checkpoint → every weight and memory bit-identical', async () => {
    const options: TrainMgNetOptions = { epochs: 1, appEpochs: 2, batchSize: 8, seed: 2 };
    // Stops after the third batch of level 2 (the appearance stage's batches only are counted).
    const training: ResumableTraining<MgNet, unknown> = {
      create: () => createMgNet(TINY),
      train: (m, { onBatch, ...hooks }) =>
        trainMgNet(m, data, { ...options, ...hooks, ...(onBatch ? { onProgress: (p) => { if (p.stage === 'appearance') onBatch(); } } : {}) }),
    };
    const ref = await uninterruptedRun(training);
    const r = await stoppedAndResumed(training, 3);
    expect(r.state.stage).toBe('appearance');
    expect(r.weights).toEqual(ref.weights);
  });
});

describe('mgnetFamily', () => {
  it('saves and loads every part (teacher and memories included) and scores identically; the teacher folder loads as STG-NF', async () => {
    // Training through the family (teacher first) runs in packages/cli/test/mgnet.test.ts.
    const net = createMgNet(TINY);
    tf.tidy(() => net.memR.items.assign(tf.add(net.memR.items, 0.5))); // a state the constructor does not make
    const model = new MgNetAnomalyModel(net);
    const one = clips.slice(0, 1);
    const test = mgnetFamily.evalSegments(one, model.input);
    const a = model.scoreSegments(test.data);
    for (const v of a) expect(v <= 0 && v >= -3).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mgnet-'));
    try {
      await model.save(path.join(dir, 'm'));
      const again = await mgnetFamily.load(path.join(dir, 'm'));
      expect(Array.from(again.scoreSegments(test.data))).toEqual(Array.from(a));
      expect(state(again.net)).toEqual(state(model.net));
      again.dispose();
      const { stgNfFamily } = await import('@skelflow/stg-nf');
      const teacher = await stgNfFamily.load(path.join(dir, 'm', 'teacher'));
      expect(state(teacher.net)).toEqual(state(model.net.teacher));
      teacher.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });
});
