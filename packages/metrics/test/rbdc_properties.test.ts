// RBDC / TBDC properties, and a comparison with the closed form of the fixture spec
// (step 6: sums of counts at each false positive) computed by a naive O(D * G) sweep
// written independently here.
import { describe, expect, it } from 'vitest';
import { boxIou, MetricsInputError, rbdc, rbdcTbdc, tbdc, type VideoRegions } from '@skelflow/metrics';
import { rng } from './helpers';

interface Scene {
  videos: Array<{ name: string; tracks: number[][]; detections: number[][] }>;
  numFrames: number;
}

function randomScene(seed: number, opts: { ties?: boolean; fractional?: boolean; fpPerFrame?: number } = {}): Scene {
  const r = rng(seed);
  const videos: Scene['videos'] = [];
  let numFrames = 0;
  const nv = 2 + Math.floor(r() * 4);
  for (let v = 0; v < nv; v++) {
    const frames = 20 + Math.floor(r() * 40);
    numFrames += frames;
    const tracks: number[][] = [];
    const detections: number[][] = [];
    const score = () => (opts.ties ? Math.round(r() * 10) / 10 : r());
    const coord = (x: number) => (opts.fractional ? Math.round(x * 100) / 100 : Math.round(x));
    const nt = v === nv - 1 ? 0 : 1 + Math.floor(r() * 3);
    for (let t = 0; t < nt; t++) {
      const start = Math.floor(r() * frames * 0.5);
      const len = 3 + Math.floor(r() * (frames - start - 3));
      let x = r() * 300;
      const y = r() * 200;
      const w = 15 + r() * 40;
      const h = 30 + r() * 60;
      for (let f = start; f < start + len; f++) {
        x += r() * 4 - 2;
        tracks.push([t, f, coord(x), coord(y), coord(x + w), coord(y + h)]);
        if (r() < 0.4) {
          const j = () => (r() - 0.5) * w * 0.8;
          detections.push([f, coord(x + j()), coord(y + j()), coord(x + w + j()), coord(y + h + j()), score()]);
        }
      }
    }
    const fps = Math.floor(frames * (opts.fpPerFrame ?? 0.5) * r() * 2);
    for (let k = 0; k < fps; k++) {
      const x = 400 + r() * 200;
      const y = r() * 200;
      detections.push([Math.floor(r() * frames), coord(x), coord(y), coord(x + 20), coord(y + 40), score()]);
    }
    // Shuffle the detection rows so that input order is not score order.
    detections.sort(() => r() - 0.5);
    videos.push({ name: `v${v}`, tracks, detections });
  }
  return { videos, numFrames };
}

/** Closed form of the spec (step 6), one detection at a time in stable score order. */
function closedForm(scene: Scene, alpha = 0.1, beta = 0.1) {
  const regions: Array<{ v: number; track: string; frame: number; box: number[] }> = [];
  const trackLen = new Map<string, number>();
  scene.videos.forEach((vid, v) => {
    const last = new Map<string, number>();
    for (const row of vid.tracks) {
      const key = `${v}/${row[0]}`;
      const fk = `${key}@${row[1]}`;
      if (last.has(fk)) {
        regions[last.get(fk)!].box = row.slice(2);
        continue;
      }
      last.set(fk, regions.length);
      regions.push({ v, track: key, frame: row[1], box: row.slice(2) });
      trackLen.set(key, (trackLen.get(key) ?? 0) + 1);
    }
  });
  const dets = scene.videos.flatMap((vid, v) => vid.detections.map((d) => ({ v, d })));
  const order = dets.map((_, i) => i).sort((a, b) => dets[b].d[5] - dets[a].d[5] || a - b);
  const matched = new Set<number>();
  const hits = new Map<string, number>();
  const N = scene.numFrames;
  let F = 0;
  let sumTp = 0;
  let sumDet = 0;
  const detectedCount = () => [...trackLen].filter(([k, L]) => (hits.get(k) ?? 0) / L >= beta).length;
  for (const i of order) {
    const { v, d } = dets[i];
    const H = regions
      .map((g, idx) => ({ g, idx }))
      .filter(({ g }) => g.v === v && g.frame === d[0] && boxIou(d.slice(1, 5), g.box) >= alpha);
    if (H.length === 0) {
      F++;
      if (F <= N) {
        sumTp += matched.size;
        sumDet += detectedCount();
      }
      continue;
    }
    for (const { g, idx } of H) {
      if (matched.has(idx)) continue;
      matched.add(idx);
      hits.set(g.track, (hits.get(g.track) ?? 0) + 1);
    }
  }
  const G = regions.length;
  const T = trackLen.size;
  const rest = Math.max(0, N - F);
  return { rbdc: (sumTp + rest * matched.size) / (N * G), tbdc: (sumDet + rest * detectedCount()) / (N * T) };
}

describe('closed form of the spec (independent naive implementation)', () => {
  for (const [seed, opts] of [
    [1, {}],
    [2, { fractional: true }],
    [3, { fpPerFrame: 3 }],
    [4, { fpPerFrame: 0.05 }],
    [5, { fractional: true, fpPerFrame: 2 }],
    [6, {}],
  ] as const) {
    it(`random scene ${seed} ${JSON.stringify(opts)}, ties: 'input-order'`, () => {
      const scene = randomScene(seed, opts);
      const want = closedForm(scene);
      const got = rbdcTbdc(scene.videos, scene.numFrames, { ties: 'input-order' });
      expect(Math.abs(got.rbdc - want.rbdc)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(got.tbdc - want.tbdc)).toBeLessThanOrEqual(1e-9);
      // Without ties both modes must agree.
      const avg = rbdcTbdc(scene.videos, scene.numFrames);
      expect(Math.abs(avg.rbdc - got.rbdc)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(avg.tbdc - got.tbdc)).toBeLessThanOrEqual(1e-12);
    });
  }
  it('other alpha and beta', () => {
    const scene = randomScene(7, { fractional: true });
    for (const [alpha, beta] of [
      [0.5, 0.1],
      [0.1, 0.5],
      [0.3, 1],
    ]) {
      const want = closedForm(scene, alpha, beta);
      const got = rbdcTbdc(scene.videos, scene.numFrames, { alpha, beta, ties: 'input-order' });
      expect(Math.abs(got.rbdc - want.rbdc)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(got.tbdc - want.tbdc)).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('properties', () => {
  it('perfect detections give RBDC = TBDC = 1', () => {
    for (const seed of [11, 12, 13]) {
      const scene = randomScene(seed);
      const r = rng(seed);
      const videos = scene.videos.map((v) => ({
        ...v,
        detections: v.tracks.map((t) => [t[1], t[2], t[3], t[4], t[5], r()]),
      }));
      const res = rbdcTbdc(videos, scene.numFrames);
      expect(res.rbdc).toBe(1);
      expect(res.tbdc).toBe(1);
    }
  });

  it('no detections give RBDC = TBDC = 0', () => {
    const scene = randomScene(14);
    const videos = scene.videos.map((v) => ({ name: v.name, tracks: v.tracks }));
    expect(rbdc(videos, scene.numFrames).rbdc).toBe(0);
    expect(tbdc(videos, scene.numFrames).tbdc).toBe(0);
  });

  it('only false positives give 0', () => {
    const scene = randomScene(15);
    const videos = scene.videos.map((v) => ({ ...v, detections: v.detections.map((d) => [d[0], 1000, 1000, 1010, 1010, d[5]]) }));
    const res = rbdcTbdc(videos, scene.numFrames);
    expect([res.rbdc, res.tbdc]).toEqual([0, 0]);
  });

  it("ties: 'average' does not depend on video or row order", () => {
    for (const seed of [21, 22, 23]) {
      const scene = randomScene(seed, { ties: true });
      const base = rbdcTbdc(scene.videos, scene.numFrames);
      const r = rng(seed + 100);
      for (let k = 0; k < 5; k++) {
        const shuffled = [...scene.videos]
          .sort(() => r() - 0.5)
          .map((v) => ({ ...v, detections: [...v.detections].sort(() => r() - 0.5) }));
        const res = rbdcTbdc(shuffled, scene.numFrames);
        expect(Math.abs(res.rbdc - base.rbdc)).toBeLessThanOrEqual(1e-12);
        expect(Math.abs(res.tbdc - base.tbdc)).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it("ties: 'average' lies between the best and worst tie orders", () => {
    const scene = randomScene(24, { ties: true });
    // Best: hits first inside each tie (sort by a tiny bonus); worst: false positives first.
    const withBonus = (sign: number) =>
      scene.videos.map((v) => ({
        ...v,
        detections: v.detections.map((d) => {
          const hit = v.tracks.some((t) => t[1] === d[0] && boxIou(d.slice(1, 5), t.slice(2)) >= 0.1);
          return [d[0], d[1], d[2], d[3], d[4], d[5] + sign * (hit ? 1e-6 : 0)];
        }),
      }));
    const best = rbdcTbdc(withBonus(1), scene.numFrames, { ties: 'input-order' });
    const worst = rbdcTbdc(withBonus(-1), scene.numFrames, { ties: 'input-order' });
    const avg = rbdcTbdc(scene.videos, scene.numFrames);
    expect(avg.rbdc).toBeLessThanOrEqual(best.rbdc + 1e-12);
    expect(avg.rbdc).toBeGreaterThanOrEqual(worst.rbdc - 1e-12);
    expect(best.rbdc).toBeGreaterThan(worst.rbdc);
  });

  it('is invariant to a monotone transform of the detection scores', () => {
    const scene = randomScene(25, { ties: true });
    const t = scene.videos.map((v) => ({ ...v, detections: v.detections.map((d) => [...d.slice(0, 5), Math.exp(3 * d[5]) - 2]) }));
    const a = rbdcTbdc(scene.videos, scene.numFrames);
    const b = rbdcTbdc(t, scene.numFrames);
    expect(b.rbdc).toBe(a.rbdc);
    expect(b.tbdc).toBe(a.tbdc);
  });

  it('a tie group crossing FPR = 1 is cut on its diagonal', () => {
    // 1 region, N = 2 frames; 4 detections with one score: 1 hit and 3 FPs.
    // The group goes from (0, 0) to (1.5, 1); cut at FPR 1 where the rate is 2/3.
    const videos: VideoRegions[] = [
      {
        tracks: [[0, 0, 0, 0, 9, 9]],
        detections: [
          [0, 50, 50, 59, 59, 0.5],
          [0, 0, 0, 9, 9, 0.5],
          [1, 50, 50, 59, 59, 0.5],
          [0, 70, 70, 79, 79, 0.5],
        ],
      },
    ];
    const r = rbdc(videos, 2);
    expect(Array.from(r.curve.fpr)).toEqual([0, 1]);
    expect(r.curve.rate[1]).toBeCloseTo(2 / 3, 15);
    expect(r.rbdc).toBeCloseTo(1 / 3, 15);
  });

  it('an extra top-ranked hit never lowers RBDC', () => {
    const scene = randomScene(26);
    const base = rbdc(scene.videos, scene.numFrames).rbdc;
    const v0 = scene.videos[0];
    const t = v0.tracks[v0.tracks.length - 1];
    const more = [{ ...v0, detections: [...v0.detections, [t[1], t[2], t[3], t[4], t[5], 2]] }, ...scene.videos.slice(1)];
    expect(rbdc(more, scene.numFrames).rbdc).toBeGreaterThanOrEqual(base);
  });

  it('beta = 1 needs every region of a track; alpha = 1 needs an exact box', () => {
    const track = [0, 1, 2, 3].map((f) => [0, f, 0, 0, 9, 9]);
    const three = [0, 1, 2].map((f) => [f, 0, 0, 9, 9, 0.9]);
    expect(tbdc([{ tracks: track, detections: three }], 10, { beta: 1 }).tbdc).toBe(0);
    expect(tbdc([{ tracks: track, detections: [...three, [3, 0, 0, 9, 9, 0.9]] }], 10, { beta: 1 }).tbdc).toBe(1);
    expect(rbdc([{ tracks: track, detections: [[0, 0, 0, 9, 8, 0.9]] }], 10, { alpha: 1 }).rbdc).toBe(0);
    expect(rbdc([{ tracks: track, detections: [[0, 0, 0, 9, 9, 0.9]] }], 10, { alpha: 1 }).rbdc).toBe(0.25);
  });

  it('boxIou uses inclusive pixels', () => {
    expect(boxIou([0, 0, 9, 9], [0, 0, 9, 0])).toBe(0.1);
    expect(boxIou([0, 0, 9, 9], [9, 9, 18, 18])).toBe(1 / 199);
    expect(boxIou([0, 0, 9, 9], [10, 0, 19, 9])).toBe(0);
  });
});

describe('errors', () => {
  const err = (fn: () => unknown): MetricsInputError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(MetricsInputError);
      return e as MetricsInputError;
    }
    throw new Error('expected a MetricsInputError');
  };
  const gt = [[0, 0, 0, 0, 9, 9]];

  it('numFrames must be a positive integer', () => {
    for (const n of [0, -1, 2.5, NaN]) expect(err(() => rbdc([{ tracks: gt }], n)).source).toBe('numFrames');
  });
  it('alpha, beta and ties are checked', () => {
    expect(err(() => rbdc([{ tracks: gt }], 5, { alpha: 0 })).message).toBe('options.alpha: must be in (0, 1], got 0');
    expect(err(() => tbdc([{ tracks: gt }], 5, { beta: 1.5 })).source).toBe('options.beta');
    expect(err(() => rbdc([{ tracks: gt }], 5, { ties: 'x' as never })).source).toBe('options.ties');
  });
  it('a malformed row names the video and row', () => {
    expect(err(() => rbdc([{ name: 'a.txt', tracks: [[0, 0, 0, 0, 9]] }], 5)).message).toBe(
      'videos[0] (a.txt).tracks row 0: expected 6 numbers, got 5',
    );
    expect(err(() => rbdc([{ tracks: gt, detections: [[0, 0, 0, 9, 9, 1], [1.5, 0, 0, 9, 9, 1]] }], 5)).message).toBe(
      'videos[0].detections row 1: frame must be an integer, got 1.5',
    );
    expect(err(() => rbdc([{ tracks: gt, detections: [[0, 0, 0, 9, 9, NaN]] }], 5)).message).toBe(
      'videos[0].detections row 0: score is NaN',
    );
    expect(err(() => rbdc([{ tracks: [[0, 0, 5, 0, 3, 9]] }], 5)).message).toMatch(/^videos\[0\]\.tracks row 0: box \[5, 0, 3, 9\] has no area/);
    expect(err(() => rbdc([{ tracks: [[0, 0, 0, Infinity, 3, 9]] }], 5)).location).toBe('row 0');
  });
  it('no ground truth is an error, not NaN', () => {
    expect(err(() => rbdcTbdc([{ detections: [[0, 0, 0, 9, 9, 1]] }, {}], 5)).source).toBe('tracks');
  });
});
