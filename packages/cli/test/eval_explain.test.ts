// `skelflow eval` with a model that explains its scores (the `explainSegments` / `thresholds`
// capability NFlowAD implements): a FAKE family whose per-frame and per-joint anomaly is a known
// function of (clip, person, frame), so every number of the report is checked by hand.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '@skelflow/cli';
import { poseEvalSegments, type AnomalyModel, type ScoreOptions, type DecisionThresholds, type ModelFamily, type Recipe, type SegmentExplanation } from '@skelflow/model';
import { clipLevelMetrics } from '../src/report_explain.js';
import { frequentJoints } from '../src/report_heatmap.js';
import { registry } from '../src/registry.js';
import { capture, runOk } from './helpers.js';
import { npyBytes, tmpDir, walkerPerson } from './tiny_data.js';

const T = 4;
const V = 18;
const C = 2;
const FRAMES = 30;
const THRESHOLDS: DecisionThresholds = { joint: 1, frame: 1, sequence: 0.5, clipFraction: 0.1 };

/**
 * S_t of a person at a clip frame. Clip 01_0001: person 1 is abnormal (S = 2) in frames 10–19, else
 * 0.125; person 2 is 0.25 throughout. Clip 01_0002: person 1 is 0.25 with one spike of 1.5 at frame
 * 5. Dyadic values, so the mean over the windows covering a frame is exact.
 */
function frameAnomaly(clip: string, person: number, frame: number): number {
  if (clip === '01_0001') return person === 1 ? (frame >= 10 && frame < 20 ? 2 : 0.125) : 0.25;
  return frame === 5 ? 1.5 : 0.25;
}
/** S_{j,t}: j/128, except right_wrist (4) 3·S_t, left_wrist (7) 2·S_t, right_elbow (3) S_t (OpenPose-18 order). */
function jointAnomaly(s: number, j: number): number {
  return j === 4 ? 3 * s : j === 7 ? 2 * s : j === 3 ? s : j / 128;
}

// The fake family writes (clip index, person, start) into each segment's first three values, so the
// model — which only sees the data — knows where each window lies.
let clipNames: string[] = [];
class FakeExplainingModel implements AnomalyModel {
  readonly kind = 'fake-explain';
  readonly input = { layout: 'openpose18', dims: 2, channels: C, segLen: T, joints: V } as const;
  readonly thresholds = THRESHOLDS;
  private where(data: Float32Array, s: number) {
    const o = s * C * T * V;
    return { clip: clipNames[data[o]!]!, person: data[o + 1]!, start: data[o + 2]! };
  }
  scoreSegments(data: Float32Array): Float64Array {
    const n = data.length / (C * T * V);
    return Float64Array.from({ length: n }, (_, s) => {
      const w = this.where(data, s);
      return -frameAnomaly(w.clip, w.person, w.start + T / 2);
    });
  }
  explainSegments(data: Float32Array, options: ScoreOptions = {}): SegmentExplanation {
    const n = data.length / (C * T * V);
    options.onProgress?.(n, n);
    const frames = new Float64Array(n * T);
    const joints = new Float64Array(n * T * V);
    for (let s = 0; s < n; s++) {
      const w = this.where(data, s);
      for (let t = 0; t < T; t++) {
        const v = frameAnomaly(w.clip, w.person, w.start + t);
        frames[s * T + t] = v;
        for (let j = 0; j < V; j++) joints[(s * T + t) * V + j] = jointAnomaly(v, j);
      }
    }
    return { frames, joints };
  }
  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ kind: this.kind, formatVersion: 1 }));
  }
  dispose(): void {}
}

const recipe: Recipe = { segLen: T, trainStride: 1, flipHorizontal: false, epochs: 1, batchSize: 8, lr: 0, seed: 0 };
const fakeFamily: ModelFamily<FakeExplainingModel, Recipe> = {
  kind: 'fake-explain',
  summary: 'a model with known explanations, for tests',
  input: { layout: 'openpose18', dims: 2, channels: C, segLen: T, joints: V },
  recipe,
  flags: [],
  configure: () => recipe,
  create: () => new FakeExplainingModel(),
  trainingData: () => ({ segments: new Float32Array(0) }),
  train: async () => ({ model: new FakeExplainingModel(), history: [0], nSegments: 1 }),
  load: async () => new FakeExplainingModel(),
  evalSegments(clips, input) {
    const segs = poseEvalSegments(clips, input);
    clipNames = segs.meta.clipNames;
    segs.data.fill(0);
    for (let s = 0; s < segs.meta.clip.length; s++) {
      const o = s * C * T * V;
      segs.data.set([segs.meta.clip[s]!, segs.meta.person[s]!, segs.meta.startFrame[s]!], o);
    }
    return segs;
  },
};
registry.register(fakeFamily);

const root = tmpDir('skelflow-explain-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Two clips of 30 frames (windows cover frames 0–28): 01_0001 (people 1 and 2; frames 10–19 abnormal), 01_0002 (person 1; normal). */
function dataset(): { poses: string; gt: string; model: string } {
  const poses = path.join(root, 'pose');
  const gt = path.join(root, 'gt');
  const model = path.join(root, 'model');
  for (const d of [poses, gt, model]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(poses, '01_0001_alphapose_tracked_person.json'), JSON.stringify({ '1': walkerPerson(FRAMES, 10, 200, 20), '2': walkerPerson(FRAMES, Infinity, 500) }));
  fs.writeFileSync(path.join(poses, '01_0002_alphapose_tracked_person.json'), JSON.stringify({ '1': walkerPerson(FRAMES) }));
  fs.writeFileSync(path.join(gt, '01_0001.npy'), npyBytes(Array.from({ length: FRAMES }, (_, f) => (f >= 10 && f < 20 ? 1 : 0)), '|u1'));
  fs.writeFileSync(path.join(gt, '01_0002.npy'), npyBytes(new Array(FRAMES).fill(0), '|u1'));
  fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify({ kind: 'fake-explain', formatVersion: 1 }));
  return { poses, gt, model };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('skelflow eval with explainSegments (fake model, hand-checked)', () => {
  const d = dataset();
  const out = path.join(root, 'report.json');
  const html = path.join(root, 'report.html');

  it('reports joint names, the frames × joints matrix, thresholds, decisions, top-3 joints and clip-level metrics', async () => {
    const { out: stdout, err } = await runOk(['eval', '--model', d.model, '--poses', d.poses, '--gt', d.gt, '--out', out, '--html', html, '--backend', 'cpu']);
    expect(err).toMatch(/explaining/); // the second pass has its own progress
    // Clip 01_0001 is flagged and abnormal (TP), 01_0002 flagged by its spike and normal (FP).
    expect(stdout).toMatch(/clips: precision 0\.5000 recall 1\.0000 AUC 1\.0000 \(2 of 2 flagged\)/);
    const r = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(r.jointNames).toHaveLength(18);
    expect(r.jointNames.slice(0, 5)).toEqual(['nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist']);
    expect(r.thresholds).toEqual(THRESHOLDS);

    const [a, b] = r.clips;
    // 01_0001: frames 10–19 report person 1 (S = 2), the others person 2 (0.25 > 0.125). The last
    // frame has no window: STG-NF's segmentation starts windows at 0 … F − T − 1 (its
    // `range(0, num_frames - seg_len)`), so with F = 30, T = 4 frame 29 is never covered.
    const e = a.explanation;
    expect(e.frameScores).toEqual([...range(0, FRAMES - 1).map((f) => (f >= 10 && f < 20 ? 2 : 0.25)), null]);
    expect(e.person).toEqual([...range(0, FRAMES - 1).map((f) => (f >= 10 && f < 20 ? '1' : '2')), null]);
    expect(e.jointScores[29]).toBeNull();
    expect(e.jointScores).toHaveLength(FRAMES);
    expect(e.jointScores[12]).toHaveLength(18);
    expect(e.jointScores[12].slice(3, 8)).toEqual([2, 6, 5 / 128, 6 / 128, 4]); // S, 3S, j/128, j/128, 2S
    expect(e.jointScores[0].slice(3, 8)).toEqual([0.25, 0.75, 5 / 128, 6 / 128, 0.5]);
    const da = e.decisions;
    expect(da.flaggedFrames).toEqual(range(10, 20));
    expect(da.nScoredFrames).toBe(29);
    expect(da.frameFraction).toBeCloseTo(10 / 29, 15);
    expect(da.maxScore).toBe(2);
    expect(da.meanScore).toBeCloseTo((10 * 2 + 19 * 0.25) / 29, 15);
    expect(da.reasons).toEqual(['fraction', 'max', 'mean']);
    expect(da.anomalous).toBe(true);
    // Joint level (τ_joint 1): right_elbow (2), right_wrist (6), left_wrist (4) in frames 10–19 only.
    expect(da.flaggedJoints).toEqual(range(10, 20).map((frame) => ({ frame, joints: [3, 4, 7] })));
    // Sequence level: person 1 mean (10·2 + 19·0.125)/29 ≈ 0.772 > 0.5; person 2 mean 0.25.
    expect(da.sequences).toHaveLength(2);
    expect(da.sequences[0]).toMatchObject({ person: '1', nFrames: 29, maxScore: 2, anomalous: true });
    expect(da.sequences[0].meanScore).toBeCloseTo((10 * 2 + 19 * 0.125) / 29, 15);
    expect(da.sequences[1]).toEqual({ person: '2', nFrames: 29, meanScore: 0.25, maxScore: 0.25, anomalous: false });
    expect(da.topJoints).toHaveLength(10);
    expect(da.topJoints[0]).toEqual({
      frame: 10,
      score: 2,
      person: '1',
      top: [
        { joint: 'right_wrist', index: 4, score: 6 },
        { joint: 'left_wrist', index: 7, score: 4 },
        { joint: 'right_elbow', index: 3, score: 2 },
      ],
    });

    // 01_0002: one spike (1.5 > τ_frame at frame 5): S_frac 1/29 < 10 %, but the max rule fires.
    const db = b.explanation.decisions;
    expect(db.flaggedFrames).toEqual([5]);
    expect(db.reasons).toEqual(['max']);
    expect(db.meanScore).toBeCloseTo((28 * 0.25 + 1.5) / 29, 15);
    expect(db.topJoints[0].top.map((j: { joint: string }) => j.joint)).toEqual(['right_wrist', 'left_wrist', 'right_elbow']);
    expect(r.clipLevel).toEqual({
      rule: 'max_t S_t > frame ∨ mean_t S_t > sequence ∨ S_frac ≥ clipFraction',
      nClips: 2,
      nAnomalous: 1,
      nFlagged: 2,
      truePositives: 1,
      falsePositives: 1,
      falseNegatives: 0,
      precision: 0.5,
      recall: 1,
      auc: 1, // max_t S_t: 2 (abnormal clip) > 1.5 (normal clip)
    });
  });

  it('the HTML report draws one frames × joints heat map per clip with joint names, a legend and the flagged frames', () => {
    const page = fs.readFileSync(html, 'utf8');
    const maps = [...page.matchAll(/<svg class="heatmap"[^>]*data-clip="([^"]+)"/g)].map((m) => m[1]);
    expect(maps).toEqual(['01_0001', '01_0002']);
    const first = page.slice(page.indexOf('<svg class="heatmap"'), page.indexOf('</svg>', page.indexOf('<svg class="heatmap"')));
    for (const name of ['nose', 'right_wrist', 'left_ear']) expect(first).toContain(`>${name}</text>`);
    expect(first.match(/class="flagged-frame"/g)).toHaveLength(1); // frames 10–19: one run
    expect(page).toMatch(/class="heat-legend"/);
    // The cells: an 8-bit palette BMP, one pixel per (frame, joint), decoded here by hand. 01_0001's
    // matrix spans lo = 0 (nose, j/128 with j = 0) to hi = 6 (right_wrist, 3·2); level = ⌊32·v/6⌋
    // capped at 31; palette entry 32 is the grey of frame 29, which no window covers.
    const bmp = Buffer.from(/href="data:image\/bmp;base64,([^"]+)"/.exec(first)![1]!, 'base64');
    expect(bmp.toString('latin1', 0, 2)).toBe('BM');
    expect([bmp.readInt32LE(18), bmp.readInt32LE(22), bmp.readUInt16LE(28), bmp.readUInt32LE(46)]).toEqual([30, -18, 8, 33]);
    const offset = bmp.readUInt32LE(10);
    const px = (f: number, j: number) => bmp[offset + j * 32 + f]; // rows of 30 bytes padded to 32
    expect([px(12, 4), px(12, 7), px(12, 3), px(0, 4), px(0, 7), px(0, 0), px(0, 17), px(29, 4)]).toEqual([31, 21, 10, 4, 2, 0, 0, 32]);
    expect([...bmp.subarray(54 + 4 * 32, 54 + 4 * 33)]).toEqual([0xef, 0xec, 0xe9, 0]); // grey #e9ecef as B, G, R
    expect(page).toMatch(/right_wrist, left_wrist, right_elbow/);
    expect(page).toMatch(/clip-level precision 0\.500, recall 1\.000, AUC 1\.000/);
  });
});

describe('clipLevelMetrics', () => {
  const dec = (anomalous: boolean, maxScore: number | null) =>
    ({ anomalous, maxScore, nScoredFrames: 1, flaggedFrames: [], frameFraction: 0, meanScore: maxScore, flaggedJoints: [], sequences: [], reasons: [], topJoints: [] });
  it('counts TP/FP/FN, leaves out unscored clips, AUC of max_t S_t (hand case)', () => {
    // labels 1, 1, 0, 0, (1 unscored); flagged yes, no, yes, no; max 0.9, 0.2, 0.5, 0.1.
    const m = clipLevelMetrics([true, true, false, false, true], [dec(true, 0.9), dec(false, 0.2), dec(true, 0.5), dec(false, 0.1), dec(false, null)]);
    expect([m.nClips, m.nAnomalous, m.nFlagged, m.truePositives, m.falsePositives, m.falseNegatives]).toEqual([4, 2, 2, 1, 1, 1]);
    expect([m.precision, m.recall]).toEqual([0.5, 0.5]);
    // Pairs (pos, neg): (0.9, 0.5) ✓ (0.9, 0.1) ✓ (0.2, 0.5) ✗ (0.2, 0.1) ✓ → 3/4.
    expect(m.auc).toBe(0.75);
  });
  it('null where undefined: nothing flagged, no anomalous clip, one class', () => {
    const m = clipLevelMetrics([false, false], [dec(false, 0.1), dec(false, 0.2)]);
    expect([m.precision, m.recall, m.auc]).toEqual([null, null, null]);
  });
});

describe('skelflow eval with an explaining model that is broken', () => {
  it('a non-finite explanation is one line naming the model, clip, person and frame', async () => {
    const d = dataset();
    const broken = path.join(root, 'broken');
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'config.json'), JSON.stringify({ kind: 'fake-explain-broken', formatVersion: 1 }));
    class Broken extends FakeExplainingModel {
      override explainSegments(data: Float32Array): SegmentExplanation {
        const e = super.explainSegments(data);
        e.frames[7] = NaN; // segment 1, window frame 3
        return e;
      }
    }
    registry.register({ ...fakeFamily, kind: 'fake-explain-broken', load: async () => new Broken() } as unknown as ModelFamily);
    const c = capture();
    expect(await runCli(['eval', '--model', broken, '--poses', d.poses, '--gt', d.gt, '--out', path.join(root, 'broken.json'), '--backend', 'cpu'], c.io)).toBe(2);
    const err = c.err.join('');
    expect(err).toMatch(/broken: clip 01_0001, person 1, frame 4: explainSegments: S_t of segment 1 at window frame 3 is NaN/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

describe('skelflow benchmark with an explaining model', () => {
  it('its rows carry clip precision, recall and AUC (per run and over the seeds)', async () => {
    const d = dataset();
    const data = path.join(root, 'bench-data');
    fs.mkdirSync(path.join(data, 'pose'), { recursive: true });
    fs.mkdirSync(path.join(data, 'gt'), { recursive: true });
    fs.cpSync(d.poses, path.join(data, 'pose', 'train'), { recursive: true });
    fs.cpSync(d.poses, path.join(data, 'pose', 'test'), { recursive: true });
    fs.cpSync(d.gt, path.join(data, 'gt', 'test_frame_mask'), { recursive: true });
    const out = path.join(root, 'bench');
    const { out: stdout } = await runOk(['benchmark', '--data', data, '--models', 'fake-explain', '--seeds', '2', '--out', out, '--backend', 'cpu']);
    expect(stdout).toMatch(/\| fake-explain \| [^\n]* \| 2 \| 0\.500 ± 0\.000 \| 1\.000 ± 0\.000 \| 1\.000 ± 0\.000 \|/);
    const b = JSON.parse(fs.readFileSync(path.join(out, 'benchmark.json'), 'utf8'));
    expect(b.models[0].runs.map((r: { clipLevel: unknown }) => r.clipLevel)).toEqual([
      { precision: 0.5, recall: 1, auc: 1 },
      { precision: 0.5, recall: 1, auc: 1 },
    ]);
    expect(b.models[0].clipPrecision).toEqual({ mean: 0.5, std: 0, values: [0.5, 0.5] });
  });
});

describe('frequentJoints', () => {
  it('ranks joints by points 3/2/1 over the flagged frames, ties to the lower index', () => {
    const j = (joint: string, index: number) => ({ joint, index, score: 0 });
    const e = {
      frameScores: [], person: [], jointScores: [],
      decisions: {
        topJoints: [
          { frame: 0, score: 1, person: '1', top: [j('c', 2), j('a', 0), j('b', 1)] }, // c 3, a 2, b 1
          { frame: 1, score: 1, person: '1', top: [j('b', 1), j('a', 0), j('d', 3)] }, // b 3, a 2, d 1
          { frame: 2, score: 1, person: '1', top: [j('d', 3), j('c', 2), j('a', 0)] }, // d 3, c 2, a 1
        ],
      },
    };
    // a 5, c 5, b 4, d 4 → a (index 0) before c (2), then b (1).
    expect(frequentJoints(e as never)).toEqual(['a', 'c', 'b']);
  });
});
