import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { evaluateFrames, scoresToFrames, smoothStgNf, type SegmentMeta } from '../src/index.js';
import { readGtDir } from '../src/node.js';
import { gaussianFilter1d, rocAuc } from '@skelflow/metrics';
import { expectInputError } from '@skelflow/testing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(repoRoot, '../shared/data/stgnf');
const e2eDir = path.join(dataDir, 'e2e');
const hasE2e = fs.existsSync(path.join(e2eDir, 'golden.json'));
const hasGt107 = fs.existsSync(path.join(dataDir, 'gt/shanghaitech_test_frame_mask'));
if (!hasE2e) console.warn(`[scoring.test] ${e2eDir} not found: frame-score / AUC parity with the STG-NF e2e golden is skipped`);
if (!hasGt107) console.warn(`[scoring.test] ${dataDir}/gt not found: the 107-clip ShanghaiTech variant is skipped`);


/** Segment metadata built directly from plain rows (no segmentation involved). */
function metaOf(rows: { clip: string; person: number; start: number }[], clipNames: string[], segLen = 24): SegmentMeta {
  return {
    segLen,
    clipNames,
    clip: Uint32Array.from(rows, (r) => clipNames.indexOf(r.clip)),
    person: Int32Array.from(rows, (r) => r.person),
    startFrame: Int32Array.from(rows, (r) => r.start),
    endFrame: Int32Array.from(rows, (r) => r.start + segLen - 1),
  };
}

describe('scoresToFrames', () => {
  it('writes at start + segLen/2, takes the min over people, fills with the global max/min finite', () => {
    const meta = metaOf(
      [
        { clip: 'a', person: 1, start: 0 }, // → frame 2
        { clip: 'a', person: 2, start: 0 }, // → frame 2 (min wins)
        { clip: 'a', person: 2, start: 3 }, // → frame 5
        { clip: 'b', person: 1, start: 1 }, // → frame 3
        { clip: 'b', person: 4, start: 0 }, // → frame 2, -inf → global min finite
      ],
      ['a', 'b'],
      5,
    );
    const r = scoresToFrames([-1, -3, -0.5, -7, -Infinity], meta, [
      { name: 'a', nFrames: 7 },
      { name: 'b', nFrames: 4 },
      { name: 'c', nFrames: 2 }, // GT but no poses: all filled
    ], { onNonFinite: 'fill' });
    const M = -0.5;
    expect(r.fillValue).toBe(M);
    expect(r.fillValueLow).toBe(-7);
    expect(Array.from(r.clips[0].scores)).toEqual([M, M, -3, M, M, -0.5, M]);
    expect(Array.from(r.clips[1].scores)).toEqual([M, M, -7, -7]);
    expect(Array.from(r.clips[2].scores)).toEqual([M, M]);
    expect(Array.from(r.clips[0].filled)).toEqual([1, 1, 0, 1, 1, 0, 1]);
    expect(Array.from(r.clips[1].filled)).toEqual([1, 1, 2, 0]);
  });

  it('an infinite segment score is an error naming clip, person and frame (the original fills it silently)', () => {
    const meta = metaOf([{ clip: 'a', person: 3, start: 1 }, { clip: 'a', person: 4, start: 0 }], ['a'], 4);
    expectInputError(() => scoresToFrames([-1, -Infinity], meta, [{ name: 'a', nFrames: 9 }]), /clip a, person 4, frame 0/, /score -Infinity/);
    expectInputError(() => scoresToFrames([Infinity, -1], meta, [{ name: 'a', nFrames: 9 }]), /clip a, person 3, frame 1/, /score Infinity/);
  });

  it('throws InputError for a frame beyond the mask end, naming clip/person/frame', () => {
    // start 253 is scored at frame 253 + 12 = 265, one past the end of a 265-frame mask.
    const meta = metaOf([{ clip: '01_0014', person: 7, start: 253 }], ['01_0014']);
    expectInputError(
      () => scoresToFrames([-1], meta, [{ name: '01_0014', nFrames: 265 }]),
      /clip 01_0014, person 7, frame 265/,
      /only 265 frames/,
    );
    expect(() => scoresToFrames([-1], meta, [{ name: '01_0014', nFrames: 266 }])).not.toThrow();
  });

  it('rejects segments of clips without GT (unless ignored), NaN scores and all-unscored data', () => {
    const meta = metaOf([{ clip: 'p', person: 1, start: 0 }, { clip: 'q', person: 2, start: 0 }], ['p', 'q']);
    expectInputError(() => scoresToFrames([-1, -2], meta, [{ name: 'p', nFrames: 30 }]), /clip q, person 2/, /no ground truth/);
    const r = scoresToFrames([-1, -2], meta, [{ name: 'p', nFrames: 30 }], { onUnknownClip: 'ignore' });
    expect(r.clips[0].scores[12]).toBe(-1);
    expectInputError(() => scoresToFrames([Number.NaN, -2], meta, [{ name: 'p', nFrames: 30 }, { name: 'q', nFrames: 30 }]), /clip p, person 1/, /NaN/);
    expectInputError(() => scoresToFrames([], metaOf([], []), [{ name: 'p', nFrames: 30 }]), /no frame of any clip has a finite score/);
    expectInputError(() => scoresToFrames([-1], meta, [{ name: 'p', nFrames: 30 }]), /1 scores for 2 segments/);
  });
});

describe('smoothing (values from SciPy 1.17.1 scipy.ndimage.gaussian_filter1d)', () => {
  const x = [0.3, -1.2, 2.5, 0.7, -0.4];
  it('reflects repeatedly when the input is shorter than the radius', () => {
    const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => expect(Math.abs(a[i] - v)).toBeLessThan(1e-14));
    close(gaussianFilter1d(x, 6), [0.37987337276311095, 0.37990377533683034, 0.379962322955759, 0.3801126427075842, 0.3801478862367155]);
    close(gaussianFilter1d(x, 2.5), [0.3244053120419759, 0.3512405473163836, 0.3869944421823658, 0.41304352282115875, 0.4243161756381155]);
    close(smoothStgNf(x), [0.3799999971917797, 0.3799999982644245, 0.3800000000000002, 0.3800000017355759, 0.38000000280822066]);
    close(smoothStgNf([1, -2]), [-0.5000000000000004, -0.5000000000000004]);
  });
  it('matches the six-fold cascade on a longer signal', () => {
    const z = Array.from({ length: 30 }, (_, i) => Math.sin(i * 0.7) + 0.1 * i);
    const exp = [0.828921137996528, 0.8358334919812973, 0.849603654611469, 0.8701222346770195, 0.8972244509109967, 0.9306894504596338, 0.9702396322578959, 1.0155401364346361, 1.0661986622135522, 1.121765763190671, 1.1817357454024595, 1.2455482666145972, 1.3125907110552002, 1.382201397242846, 1.4536736699483206, 1.5262609299004752, 1.5991826627538266, 1.67163153583036, 1.7427816297615903, 1.8117978551887275, 1.8778465667301616, 1.9401073252070071, 1.9977856762910902, 2.050126715134712, 2.096429101681049, 2.136059092343148, 2.1684640736652883, 2.193185034659058, 2.209867406253995, 2.2182697340114568];
    const s = smoothStgNf(z);
    exp.forEach((v, i) => expect(Math.abs(s[i] - v)).toBeLessThan(1e-13));
  });
});

describe('ROC AUC (@skelflow/metrics rocAuc, used by evaluateFrames)', () => {
  // Brute force over all (positive, negative) pairs, ties = ½: the definition sklearn's
  // trapezoidal ROC area equals.
  const brute = (l: number[], s: number[]) => {
    let u = 0;
    let np = 0;
    let nn = 0;
    for (let i = 0; i < l.length; i++) if (l[i] === 1) np++; else nn++;
    for (let i = 0; i < l.length; i++) for (let j = 0; j < l.length; j++) if (l[i] === 1 && l[j] === 0) u += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    return u / (np * nn);
  };
  it('counts ties as one half', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75); // sklearn docs example
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial * 7;
      const l = Array.from({ length: n }, () => (rnd() < 0.4 ? 1 : 0));
      const s = Array.from({ length: n }, () => Math.round(rnd() * 6) / 2 + (rnd() < 0.1 ? Infinity : 0)); // many ties
      expect(Math.abs(rocAuc(l, s) - brute(l, s))).toBeLessThan(1e-15);
    }
  });
  it('throws with one class only', () => {
    expectInputError(() => evaluateFrames({ clips: [{ name: 'c', gtAbnormal: Uint8Array.from([1, 1]), frameScores: Float64Array.from([0.2, 0.3]) }] }), /only one class/);
  });
});

describe('evaluateFrames', () => {
  it('uses normal as the positive class with the normality score', () => {
    // Abnormal frames have the low scores: perfect detection → AUC 1.
    const r = evaluateFrames({ clips: [{ name: 'a', gtAbnormal: [0, 1, 1, 0], frameScores: [5, -3, -2, 4] }], smooth: false });
    expect(r.aucRaw).toBe(1);
    expect(r.aucSmoothed).toBeUndefined();
    expect(r.nAbnormal).toBe(2);
  });
  it('throws InputError naming clip and frame', () => {
    expectInputError(() => evaluateFrames({ clips: [{ name: 'a', gtAbnormal: [0, 1], frameScores: [1] }] }), /clip a/, /2 frames/);
    expectInputError(() => evaluateFrames({ clips: [{ name: 'a', gtAbnormal: [0, 1], frameScores: [1, Infinity] }] }), /clip a, frame 1/, /fill/);
    expectInputError(() => evaluateFrames({ clips: [{ name: 'a', gtAbnormal: [0, 2], frameScores: [1, 2] }] }), /clip a, frame 1/);
  });
});

interface Golden {
  seg_len: number;
  n_segments: number;
  n_frames: number;
  fill_value: number;
  auc_raw: number;
  auc_smoothed: number;
  extras: { auc_raw_all_107_gt_clips: number; auc_smoothed_all_107_gt_clips: number; n_gt_clips_107: number };
  clips: {
    name: string;
    n_frames: number;
    segments: { person: number; start: number; score: number }[];
    filled_frame_runs: [number, number][];
    frame_scores_raw: number[];
    frame_scores_smoothed: number[];
  }[];
}

describe.skipIf(!hasE2e)('frame mapping, smoothing and AUC parity with the STG-NF e2e golden (CC BY-NC, read from ../shared)', () => {
  const load = () => JSON.parse(fs.readFileSync(path.join(e2eDir, 'golden.json'), 'utf8')) as Golden;
  const goldenInputs = (g: Golden) => {
    const rows = g.clips.flatMap((c) => c.segments.map((s) => ({ clip: c.name, person: s.person, start: s.start })));
    const scores = Float64Array.from(g.clips.flatMap((c) => c.segments.map((s) => s.score)));
    return { meta: metaOf(rows, g.clips.map((c) => c.name), g.seg_len), scores };
  };
  const runs = (filled: Uint8Array) => {
    const out: [number, number][] = [];
    for (let i = 0; i < filled.length; i++) {
      if (filled[i] && (i === 0 || !filled[i - 1])) out.push([i, i]);
      if (filled[i]) out[out.length - 1][1] = i + 1;
    }
    return out;
  };

  it('reproduces frame_scores_raw, fill_value, smoothed scores and both AUCs', async () => {
    const g = load();
    const gt = await readGtDir(path.join(e2eDir, 'gt/test_frame_mask'), 'shanghaitech');
    expect(gt.map((c) => [c.name, c.nFrames])).toEqual(g.clips.map((c) => [c.name, c.n_frames]));
    const { meta, scores } = goldenInputs(g);
    expect(scores.length).toBe(g.n_segments);
    const fs_ = scoresToFrames(scores, meta, gt);
    expect(Math.abs(fs_.fillValue - g.fill_value)).toBeLessThan(1e-12);
    fs_.clips.forEach((c, i) => {
      const gc = g.clips[i];
      expect(c.scores.length).toBe(gc.frame_scores_raw.length);
      let maxd = 0;
      c.scores.forEach((v, j) => (maxd = Math.max(maxd, Math.abs(v - gc.frame_scores_raw[j]))));
      expect(maxd).toBeLessThan(1e-6);
      expect(runs(c.filled)).toEqual(gc.filled_frame_runs);
    });
    fs_.clips.forEach((c, i) => {
      const sm = smoothStgNf(c.scores);
      let maxd = 0;
      sm.forEach((v, j) => (maxd = Math.max(maxd, Math.abs(v - g.clips[i].frame_scores_smoothed[j]))));
      expect(maxd).toBeLessThan(1e-6);
    });
    const ev = evaluateFrames({
      clips: gt.map((c, i) => ({ name: c.name, gtAbnormal: c.gtAbnormal, frameScores: fs_.clips[i].scores })),
      smooth: true,
    });
    expect(ev.nFrames).toBe(g.n_frames);
    expect(Math.abs(ev.aucRaw - g.auc_raw)).toBeLessThan(1e-9);
    expect(Math.abs(ev.aucSmoothed! - g.auc_smoothed)).toBeLessThan(1e-9);
    // evaluateFrames' own smoothing is the same per clip
    ev.perClip.forEach((c, i) => expect(Math.abs(c.smoothed![0] - g.clips[i].frame_scores_smoothed[0])).toBeLessThan(1e-6));
  });

  it.skipIf(!hasGt107)('107-clip variant: all real ShanghaiTech masks, clips without poses fully filled', async () => {
    const g = load();
    const gt = await readGtDir(path.join(dataDir, 'gt/shanghaitech_test_frame_mask'), 'shanghaitech');
    expect(gt.length).toBe(g.extras.n_gt_clips_107);
    const { meta, scores } = goldenInputs(g);
    const fs_ = scoresToFrames(scores, meta, gt);
    expect(Math.abs(fs_.fillValue - g.fill_value)).toBeLessThan(1e-12);
    const ev = evaluateFrames({
      clips: gt.map((c, i) => ({ name: c.name, gtAbnormal: c.gtAbnormal, frameScores: fs_.clips[i].scores })),
    });
    expect(ev.nFrames).toBe(40791);
    expect(ev.nAbnormal).toBe(17326);
    expect(Math.abs(ev.aucRaw - g.extras.auc_raw_all_107_gt_clips)).toBeLessThan(1e-9);
    // The smoothed 107-clip AUC is sensitive to single-ulp differences: the 99 pose-less clips
    // smooth to one constant (the fill value minus 4 ulps), tied with ~37k frames, and frame 39 of
    // 01_0016 lands exactly on that constant on the machine that made the golden but one ulp
    // below it with SciPy 1.17.1 / NumPy 2.4.6 here (which our smoothing reproduces bit for bit).
    // That single tie flip moves the AUC by 2.0e-5, so the full pipeline is checked at 5e-5 ...
    expect(Math.abs(ev.aucSmoothed! - g.extras.auc_smoothed_all_107_gt_clips)).toBeLessThan(5e-5);
    // ... and exactly once the 8 pose clips carry the golden's own smoothed scores: this isolates
    // what the variant tests (GT clips without poses count, filled and smoothed, ties counted ½).
    const goldenSmoothed = new Map(g.clips.map((c) => [c.name, c.frame_scores_smoothed]));
    const withGolden = evaluateFrames({
      clips: gt.map((c, i) => ({
        name: c.name,
        gtAbnormal: c.gtAbnormal,
        frameScores: goldenSmoothed.get(c.name) ?? smoothStgNf(fs_.clips[i].scores),
      })),
      smooth: false,
    });
    expect(Math.abs(withGolden.aucRaw - g.extras.auc_smoothed_all_107_gt_clips)).toBeLessThan(1e-9);
  });
});
