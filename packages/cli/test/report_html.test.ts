import { describe, expect, it } from 'vitest';
import type { ReportData } from '@skelflow/cli';
import { OPENPOSE18, type PoseClip } from '@skelflow/pose';
import { clipSvg, niceTicks, operatingPoint, reportHtml, rocSvg, sharedScale, skeletonSvg, valueScale } from '../src/report_html.js';
import { mostAnomalousSegments } from '../src/report_skeletons.js';

// The HTML report's structure (no screenshot here: scripts/screenshot.mjs renders it for a person
// to look at). Expected values are hand-computed.

function fakeReport(): { report: ReportData; gt: Map<string, number[]> } {
  const report: ReportData = {
    model: 'model',
    kind: 'stg-nf',
    segLen: 4,
    nSegments: 3,
    nFrames: 8,
    nAbnormalFrames: 3,
    auc: { smoothed: 0.9, raw: 0.8 },
    clips: [
      // A normal clip with a small range and an anomalous one reaching far lower.
      { name: 'a', nFrames: 4, frameScores: { raw: [-0.9, -1.0, -1.1, -1.2], smoothed: [-0.95, -1.0, -1.05, -1.1] }, segments: [{ person: '1', start: 0, score: -1.0 }] },
      {
        name: 'b',
        nFrames: 4,
        frameScores: { raw: [-1.0, -20, -70, -30], smoothed: [-2, -15, -40, -20] },
        segments: [
          { person: '2', start: 0, score: -60 },
          { person: '2', start: 1, score: -50 },
        ],
      },
    ],
  };
  return { report, gt: new Map([['a', [0, 0, 0, 0]], ['b', [0, 1, 1, 1]]]) };
}

describe('report charts', () => {
  it('niceTicks: round steps of 1, 2, 2.5 or 5 × 10^k inside the range', () => {
    expect(niceTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-23.9, -10.1, 7)).toEqual([-22.5, -20, -17.5, -15, -12.5]);
    expect(niceTicks(0, 150, 6)).toEqual([0, 50, 100, 150]);
  });

  it('operatingPoint: the threshold of the largest TPR − FPR, in normality units', () => {
    // normality 5, 4, 3, 2 with labels 0, 1, 0, 1 (anomaly score = −normality): thresholds −2 (TPR ½, FPR 0),
    // −3 (½, ½), −4 (1, ½), −5 (1, 1). J = ½ at normality 2 and at 4; the first (strictest) is kept.
    expect(operatingPoint([0, 1, 0, 1], [5, 4, 3, 2])).toEqual({ threshold: 2, tpr: 0.5, fpr: 0 });
    expect(operatingPoint([0, 0, 1, 1], [5, 4, 3, 2])).toEqual({ threshold: 3, tpr: 1, fpr: 0 });
  });

  it('the ROC has tick labels on both axes and the operating point', () => {
    const svg = rocSvg([0, 0, 1, 1], [5, 4, 3, 2], 1, { threshold: 3, tpr: 1, fpr: 0 });
    expect(svg.match(/class="xtick"[^>]*>([\d.]+)</g)!.map((m) => /([\d.]+)<$/.exec(m)![1])).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(svg.match(/class="ytick"/g)).toHaveLength(6);
    expect(svg).toMatch(/class="operating-point"/);
    expect(svg).toMatch(/false positive rate/);
  });

  it('a clip chart draws the threshold, the flagged frames and y ticks', () => {
    const svg = clipSvg('c', [0, -1, -2, -1], [0, -1, -2, -1], [0, 1, 1, 0], { scale: { lo: -3, hi: 1 }, threshold: -1.5 });
    expect(svg).toMatch(/class="threshold"/);
    expect(svg.match(/class="flagged"/g)).toHaveLength(1); // frame 2 only (−2 ≤ −1.5)
    expect(svg.match(/class="ytick"[^>]*>(-?[\d.]+)</g)!.map((m) => /(-?[\d.]+)<$/.exec(m)![1])).toEqual(['-3', '-2', '-1', '0', '1']);
    expect(svg).toMatch(/data-lo="-3" data-hi="1"/);
  });
});

describe('reportHtml', () => {
  it('one shared y-scale for every clip by default; each its own with perClipScale', () => {
    const { report, gt } = fakeReport();
    const scales = (html: string) => [...html.matchAll(/class="clip" data-lo="([^"]+)" data-hi="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const shared = scales(reportHtml(report, gt, { title: 't' }));
    expect(shared).toHaveLength(2);
    expect(shared[0]).toEqual(shared[1]);
    // The 1st percentile of the 8 smoothed frame scores is their minimum, −40; the highest score is
    // −0.9; 4 % margins: lo = −40 − 0.04 × 39.1, hi = −0.9 + 0.04 × 39.1. Raw −70 is below: clipped.
    expect(shared[0]![0]).toBeCloseTo(-40 - 0.04 * 39.1, 10);
    expect(shared[0]![1]).toBeCloseTo(-0.9 + 0.04 * 39.1, 10);
    expect(reportHtml(report, gt, { title: 't' })).toMatch(/1 score below -41\.6 is drawn on the bottom edge/);
    const ownHtml = reportHtml(report, gt, { title: 't', perClipScale: true });
    const own = scales(ownHtml);
    // Each clip's own range, widened to the threshold so its line is drawn in every chart.
    const { threshold } = operatingPoint([0, 0, 0, 0, 0, 1, 1, 1], [-0.95, -1.0, -1.05, -1.1, -2, -15, -40, -20]);
    const a = valueScale([-0.9, -1.0, -1.1, -1.2, -0.95, -1.0, -1.05, -1.1, threshold]);
    expect(own[0]).toEqual([a.lo, a.hi]);
    expect(own[0]![0]).toBeGreaterThan(-40); // the normal clip is no longer drawn on the anomalous one's scale
    expect(own[0]).not.toEqual(own[1]);
    expect(ownHtml.match(/class="threshold"/g)).toHaveLength(2);
    expect(reportHtml(report, gt, { title: 't', perClipScale: true })).toMatch(/each clip: its own y-scale/);
  });

  it('sharedScale: 1st percentile of the plotted scores, never above the threshold', () => {
    const flat = (v: number[]) => ({ name: 'c', nFrames: v.length, frameScores: { raw: v, smoothed: null }, segments: [] });
    // 0, −1, …, −99 and one −1000: the 1st percentile (index 1 of the 101 sorted) is −99; range −99…0
    // with 4 % margins; −1000 is clipped.
    const values = [...Array.from({ length: 100 }, (_, i) => -i), -1000];
    const s = sharedScale([flat(values)]);
    expect(s.lo).toBeCloseTo(-99 - 0.04 * 99, 10);
    expect(s.hi).toBeCloseTo(0.04 * 99, 10);
    expect(s.clipped).toBe(1);
    // A threshold below that percentile extends the scale to it.
    expect(sharedScale([flat(values)], -1000).clipped).toBe(0);
  });

  it('has a legend, the ROC with ticks and operating point, the threshold on each chart and the title escaped', () => {
    const { report, gt } = fakeReport();
    const html = reportHtml(report, gt, { title: 'a <b> & c' });
    expect(html).toContain('<title>a &lt;b&gt; &amp; c</title>');
    for (const label of ['smoothed score', 'raw score', 'ground-truth anomaly', 'threshold', 'flagged frames', 'one y-scale for all clips']) expect(html).toContain(label);
    expect(html).toMatch(/class="roc"/);
    expect(html).toMatch(/class="operating-point"/);
    expect(html.match(/class="threshold"/g)).toHaveLength(2);
    expect(html).toMatch(/operating point<\/td><td>frames ≤ /);
  });

  it('draws the most anomalous segments with the OpenPose-18 bones, as small multiples and animated', () => {
    const { report, gt } = fakeReport();
    const frame = (dx: number) => Array.from({ length: 18 }, (_, j) => [100 + dx + (j % 3) * 5, 50 + j * 10, 0.9]);
    const frames = [0, 1, 2, 3].map((t) => frame(t * 4));
    frames[2]![16]![2] = 0; // an undetected ear: its bone is left out in that frame
    const seg = { clip: 'b', person: '2', start: 0, score: -60, frames };
    const svg = skeletonSvg(seg);
    expect(svg.match(/class="panel"/g)).toHaveLength(4); // T = 4 < 8 panels
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
    // 17 bones = 17 moves per frame; the frame with the undetected ear draws 16 (one zero move).
    expect(paths[0]!.match(/L/g)).toHaveLength(OPENPOSE18.edges.length);
    expect(paths[2]!.match(/L/g)).toHaveLength(OPENPOSE18.edges.length - 1);
    expect(svg).toMatch(/<animate attributeName="d" dur="0\.13s" repeatCount="indefinite"/);
    const html = reportHtml(report, gt, { title: 't', skeletons: [seg] });
    expect(html).toMatch(/Most anomalous segments/);
    expect(html).toMatch(/clip <b>b<\/b>, person 2, frames 0–3, score <b>-60\.000<\/b>/);
  });
});

describe('mostAnomalousSegments', () => {
  it('picks the lowest scores, skips a window overlapping one already picked, converts COCO-17 to OpenPose-18', () => {
    const { report } = fakeReport();
    const kp = new Float32Array(5 * 51);
    for (let f = 0; f < 5; f++) for (let j = 0; j < 17; j++) kp.set([10 * j + f, 100 + j, 0.5 + j / 100], f * 51 + 3 * j);
    const clips: PoseClip[] = [
      { name: 'a', tracks: new Map([['1', { frames: [0, 1, 2, 3, 4], keypoints: kp, scores: new Float32Array(5) }]]) },
      // Person 2 is missing in frame 1: the pose of frame 0 repeats there.
      { name: 'b', tracks: new Map([['2', { frames: [0, 2, 3, 4], keypoints: kp.slice(0, 4 * 51), scores: new Float32Array(4) }]]) },
    ];
    const segs = mostAnomalousSegments(report, clips, 5);
    // b/2 at 0 (−60) first; b/2 at 1 overlaps it (|1 − 0| < segLen 4) and is skipped; then a/1.
    expect(segs.map((s) => [s.clip, s.person, s.start, s.score])).toEqual([
      ['b', '2', 0, -60],
      ['a', '1', 0, -1],
    ]);
    expect(segs[0]!.frames).toHaveLength(4);
    expect(segs[0]!.frames[1]).toEqual(segs[0]!.frames[0]);
    const f0 = segs[1]!.frames[0]!;
    expect(f0).toHaveLength(18);
    // OpenPose-18: joint 0 nose = COCO 0; joint 1 neck = mean of COCO shoulders 5 and 6; joint 2 right shoulder = COCO 6.
    expect(f0[0]![0]).toBeCloseTo(0, 5);
    expect(f0[1]![0]).toBeCloseTo((50 + 60) / 2, 5);
    expect(f0[1]![1]).toBeCloseTo((105 + 106) / 2, 5);
    expect(f0[2]![0]).toBeCloseTo(60, 5);
  });
});
