import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { InputError, Rng } from '@skelflow/base';
import { COCO17, FRAME_HEIGHT, FRAME_WIDTH, demoDatasetStats, eventMask, generateDemoDataset, type ClipTracks, type DemoDataset } from '../src/index.js';
import { type ActorPlan, gaitAngles, sampleStyle, simulateActor } from '../src/synthetic/motion.js';
import { sampleScene } from '../src/synthetic/scene.js';
import { neutralAngles, poseLocal, sampleBody } from '../src/synthetic/skeleton.js';

// The generator is pure JavaScript on an `Rng` stream: no tfjs backend is involved.

const tiny = generateDemoDataset({ seed: 7, scale: 'tiny' });
// Test clips only, at demo scale: enough staged anomalies (≈ 40 events) for kinematic statistics.
const demoTest = generateDemoDataset({ seed: 7, scale: 'demo', trainClips: 0 });

type Det = { keypoints: number[]; scores: number };

/** Sorted detections of one person id as [frame, detection] pairs. */
function track(clip: ClipTracks, id: string): [number, Det][] {
  return Object.entries(clip.persons[id]!)
    .map(([k, d]) => [Number(k), d] as [number, Det])
    .sort((a, b) => a[0] - b[0]);
}

const mid = (k: number[], a: number, b: number): [number, number] => [(k[3 * a]! + k[3 * b]!) / 2, (k[3 * a + 1]! + k[3 * b + 1]!) / 2];
/** Hip centre → shoulder centre vector. */
function torso(k: number[]): [number, number] {
  const h = mid(k, 11, 12);
  const s = mid(k, 5, 6);
  return [s[0] - h[0], s[1] - h[1]];
}
/** Torso angle from vertical in degrees (0 = upright, 90 = horizontal). */
const torsoAngle = (k: number[]): number => {
  const [dx, dy] = torso(k);
  return (Math.atan2(Math.abs(dx), -dy) * 180) / Math.PI;
};
const torsoLen = (k: number[]): number => Math.hypot(...torso(k));
const dist = (k: number[], a: number, b: number): number => Math.hypot(k[3 * a]! - k[3 * b]!, k[3 * a + 1]! - k[3 * b + 1]!);
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const quantile = (v: number[], q: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const relStd = (v: number[]): number => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) / m;
};

/**
 * Median over consecutive frame pairs of the hip-centre speed, in torso lengths per frame (scale-free,
 * so near and far people compare). `from`/`to` restrict the frames.
 */
function rootSpeed(clip: ClipTracks, id: string, from = -Infinity, to = Infinity): number | undefined {
  const tr = track(clip, id).filter(([t]) => t >= from && t <= to);
  const v: number[] = [];
  for (let i = 1; i < tr.length; i++) {
    if (tr[i]![0] !== tr[i - 1]![0] + 1) continue;
    const a = mid(tr[i - 1]![1].keypoints, 11, 12);
    const b = mid(tr[i]![1].keypoints, 11, 12);
    v.push(Math.hypot(b[0] - a[0], b[1] - a[1]) / Math.max(torsoLen(tr[i]![1].keypoints), 1));
  }
  return v.length >= 8 ? median(v) : undefined;
}

function serialise(ds: DemoDataset): string {
  return JSON.stringify({ train: ds.train, test: ds.test, gt: ds.gt.map((g) => ({ name: g.name, mask: Array.from(g.mask) })), meta: ds.meta });
}

describe('synthetic demo dataset: determinism', () => {
  it('gives byte-identical output for the same seed and different output for another seed', () => {
    const again = generateDemoDataset({ seed: 7, scale: 'tiny' });
    expect(serialise(again)).toBe(serialise(tiny));
    const other = generateDemoDataset({ seed: 8, scale: 'tiny' });
    expect(serialise(other)).not.toBe(serialise(tiny));
    expect(JSON.stringify(other.train[0]!.persons)).not.toBe(JSON.stringify(tiny.train[0]!.persons));
  });

  it('keeps a clip unchanged when the number of clips changes', () => {
    const fewer = generateDemoDataset({ seed: 7, scale: 'tiny', trainClips: 2, testClips: 0 });
    expect(JSON.stringify(fewer.train[1])).toBe(JSON.stringify(tiny.train[1]));
    expect(fewer.test).toEqual([]);
  });

  it('rejects bad options', () => {
    expect(() => generateDemoDataset({ scale: 'tiny', trainClips: -1 })).toThrow(InputError);
    expect(() => generateDemoDataset({ scale: 'tiny', testClips: 1.5 })).toThrow(InputError);
    expect(() => generateDemoDataset({ scale: 'huge' as 'tiny' })).toThrow(InputError);
  });
});

describe('synthetic demo dataset: layout and shapes', () => {
  it('names clips SS_CCCC, one mask per test clip, clip lengths 150–400', () => {
    expect(tiny.train).toHaveLength(8);
    expect(tiny.test).toHaveLength(6);
    for (const split of [tiny.train, tiny.test]) {
      const names = split.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const c of split) {
        expect(c.name).toMatch(/^\d{2}_\d{4}$/);
        expect(c.nFrames).toBeGreaterThanOrEqual(150);
        expect(c.nFrames).toBeLessThanOrEqual(400);
      }
    }
    expect(tiny.gt.map((g) => g.name)).toEqual(tiny.test.map((c) => c.name));
    tiny.gt.forEach((g, i) => expect(g.mask.length).toBe(tiny.test[i]!.nFrames));
    expect(tiny.train.every((c) => c.events.length === 0)).toBe(true);
  });

  it('writes 51 finite numbers per detection, inside the 856×480 frame, with sane confidences', () => {
    // Problems are collected and compared once: an expect() per number would take seconds.
    const problems: string[] = [];
    let detections = 0;
    for (const clip of [...tiny.train, ...tiny.test]) {
      const ids = Object.keys(clip.persons);
      // Tracker ids are 1..N in order of appearance.
      expect(ids.map(Number).sort((a, b) => a - b)).toEqual(ids.map((_, i) => i + 1));
      for (const id of ids) {
        const frames = Object.keys(clip.persons[id]!);
        if (frames.length === 0) problems.push(`${clip.name}/${id}: empty`);
        const nums = frames.map(Number);
        if (nums.some((f, i) => i > 0 && f <= nums[i - 1]!)) problems.push(`${clip.name}/${id}: frames not ascending`);
        for (const f of frames) {
          const where = `${clip.name}/${id}/${f}`;
          const d = clip.persons[id]![f]!;
          detections++;
          if (!/^\d{4}$/.test(f) || Number(f) >= clip.nFrames) problems.push(`${where}: bad frame key`);
          if (d.keypoints.length !== 51) problems.push(`${where}: ${d.keypoints.length} numbers`);
          if (!(Number.isFinite(d.scores) && d.scores > 0 && d.scores < 1)) problems.push(`${where}: score ${d.scores}`);
          for (let j = 0; j < 17; j++) {
            const [x, y, c] = [d.keypoints[3 * j]!, d.keypoints[3 * j + 1]!, d.keypoints[3 * j + 2]!];
            if (!(x >= 0 && x <= FRAME_WIDTH - 1 && y >= 0 && y <= FRAME_HEIGHT - 1)) problems.push(`${where}: joint ${j} at ${x},${y}`);
            if (!(c >= 0.05 && c <= 1)) problems.push(`${where}: confidence ${c}`);
            if (Math.abs(x * 1000 - Math.round(x * 1000)) > 1e-6) problems.push(`${where}: ${x} has more than 3 decimals`);
          }
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(detections).toBe(tiny.meta.stats.train.detections + tiny.meta.stats.test.detections);
  });

  it('simulates the tracker: gaps, several people per frame, varied confidences', () => {
    let gaps = 0;
    let perFrame = 0;
    let frames = 0;
    for (const clip of [...demoTest.test]) {
      const count = new Uint16Array(clip.nFrames);
      for (const id of Object.keys(clip.persons)) {
        const t = track(clip, id).map(([f]) => f);
        for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > 1) gaps++;
        for (const f of t) count[f]!++;
      }
      perFrame += count.reduce((a, b) => a + b, 0);
      frames += clip.nFrames;
    }
    expect(gaps).toBeGreaterThan(20);
    expect(perFrame / frames).toBeGreaterThan(2);
    expect(perFrame / frames).toBeLessThan(7);
    // Confidences vary: occluded / small joints are less certain.
    const conf = tiny.train.flatMap((c) => Object.values(c.persons).flatMap((p) => Object.values(p).flatMap((d) => d.keypoints.filter((_, i) => i % 3 === 2))));
    expect(quantile(conf, 0.1)).toBeLessThan(0.6);
    expect(quantile(conf, 0.9)).toBeGreaterThan(0.85);
  });
});

describe('synthetic demo dataset: kinematics', () => {
  it('keeps 3-D bone lengths of the articulated model exactly constant over a gait cycle', () => {
    const rng = new Rng(3);
    const body = sampleBody(rng);
    const style = sampleStyle(rng);
    const a = neutralAngles();
    // The segments of COCO17.edges except the ear–shoulder links (the neck bends): limbs, girdles,
    // torso sides and the face (eye–eye included).
    const bones = COCO17.edges.filter(([i, j]) => !((i === 3 || i === 4) && (j === 5 || j === 6)));
    expect(bones.length).toBe(17);
    const lengths: number[][] = bones.map(() => []);
    for (let p = 0; p < 2 * Math.PI; p += 0.1) {
      for (const v of [0.5, 1.3, 4]) {
        gaitAngles(a, p, v, body, style);
        const x = poseLocal(body, a);
        bones.forEach(([i, j], b) => lengths[b]!.push(Math.hypot(x[3 * i]! - x[3 * j]!, x[3 * i + 1]! - x[3 * j + 1]!, x[3 * i + 2]! - x[3 * j + 2]!)));
      }
    }
    // Limb and face bones are rigid; the torso sides change only by trunk twist/lean (< 3 %).
    const torsoSide = ([i, j]: readonly [number, number]) => (i === 5 && j === 11) || (i === 6 && j === 12);
    expect(bones.filter(torsoSide).length).toBe(2);
    bones.forEach((e, b) => expect(relStd(lengths[b]!)).toBeLessThan(torsoSide(e) ? 0.03 : 1e-9));
  });

  it('keeps projected bone lengths of a walker seen from the side nearly constant (before tracker noise)', () => {
    const rng = new Rng(11);
    const cam = sampleScene(rng, 1);
    const Z = 0.5 * (cam.zNear + cam.zFar);
    const plan: ActorPlan = { role: 'walker', startFrame: 0, X: -3, Z, heading: 0, speed: 1.3, anomaly: null, pauseAt: -1, pauseFrames: 0, standFrames: 0 };
    const tr = simulateActor(plan, sampleBody(rng), sampleStyle(rng), cam, 96, rng);
    expect(tr.n).toBe(96);
    const len = (i: number, a: number, b: number) => Math.hypot(tr.uv[i * 34 + 2 * a]! - tr.uv[i * 34 + 2 * b]!, tr.uv[i * 34 + 2 * a + 1]! - tr.uv[i * 34 + 2 * b + 1]!);
    const frames = Array.from({ length: 96 }, (_, i) => i);
    // Side view: limbs swing in the image plane, so their 2-D length hardly changes.
    for (const [a, b] of [[5, 7], [7, 9], [11, 13], [13, 15], [12, 14], [14, 16], [6, 12], [5, 11]] as const) {
      expect(relStd(frames.map((i) => len(i, a, b))), `bone ${a}-${b}`).toBeLessThan(0.04);
    }
  });

  it('keeps projected bone lengths of walkers roughly constant over 1 s windows (with tracker noise)', () => {
    const torsoStd: number[] = [];
    const limbStd: number[] = [];
    for (const clip of tiny.train) {
      for (const id of Object.keys(clip.persons)) {
        const tr = track(clip, id);
        for (let s = 0; s + 24 <= tr.length; s += 24) {
          const w = tr.slice(s, s + 24);
          if (w[23]![0] - w[0]![0] !== 23) continue;
          const kps = w.map(([, d]) => d.keypoints);
          if (Math.min(...kps.map(torsoLen)) < 25) continue; // far people: jitter dominates
          torsoStd.push(relStd(kps.map(torsoLen)));
          limbStd.push(relStd(kps.map((k) => dist(k, 5, 7) + dist(k, 11, 13) + dist(k, 6, 8) + dist(k, 12, 14))));
        }
      }
    }
    expect(torsoStd.length).toBeGreaterThan(20);
    // Keypoint jitter of a few px on a ~30 px torso dominates; a shape change would be far larger.
    expect(median(torsoStd)).toBeLessThan(0.12);
    expect(median(limbStd)).toBeLessThan(0.12);
  });

  it('draws people lower in the frame (nearer) larger: perspective', () => {
    const corr: number[] = [];
    for (const clip of tiny.train) {
      const feet: number[] = [];
      const size: number[] = [];
      for (const p of Object.values(clip.persons)) for (const d of Object.values(p)) {
        const k = d.keypoints;
        if (k[47]! < 0.5 || k[50]! < 0.5 || k[17]! < 0.5 || k[20]! < 0.5) continue; // ankles/shoulders unsure or clipped
        feet.push((k[46]! + k[49]!) / 2);
        size.push(torsoLen(k));
      }
      if (feet.length < 50) continue;
      const mf = feet.reduce((a, b) => a + b, 0) / feet.length;
      const ms = size.reduce((a, b) => a + b, 0) / size.length;
      let sxy = 0, sxx = 0, syy = 0;
      feet.forEach((f, i) => {
        sxy += (f - mf) * (size[i]! - ms);
        sxx += (f - mf) ** 2;
        syy += (size[i]! - ms) ** 2;
      });
      corr.push(sxy / Math.sqrt(sxx * syy));
    }
    expect(corr.length).toBeGreaterThanOrEqual(5);
    expect(median(corr)).toBeGreaterThan(0.6);
  });

  it('turns a falling person’s torso towards horizontal, walkers stay upright', () => {
    const walk = tiny.train.flatMap((c) => Object.values(c.persons).flatMap((p) => Object.values(p).map((d) => torsoAngle(d.keypoints))));
    expect(median(walk)).toBeLessThan(15);
    let falls = 0;
    let tipped = 0;
    for (const clip of demoTest.test) {
      for (const e of clip.events.filter((ev) => ev.kind === 'falling')) {
        const tr = track(clip, e.person).filter(([t]) => t >= e.from && t <= e.to);
        if (tr.length < 30) continue;
        falls++;
        const start = median(tr.slice(0, 3).map(([, d]) => torsoAngle(d.keypoints)));
        const late = median(tr.slice(-10).map(([, d]) => torsoAngle(d.keypoints)));
        const peak = Math.max(...tr.map(([, d]) => torsoAngle(d.keypoints)));
        if (peak - start > 45 || late - start > 45) tipped++;
      }
    }
    expect(falls).toBeGreaterThanOrEqual(5);
    // Falls towards or away from the camera foreshorten rather than rotate the torso in 2-D.
    expect(tipped / falls).toBeGreaterThan(0.6);
  });

  it('makes runners and sprinters measurably faster than walkers, fighters’ wrists busier', () => {
    const walkers: number[] = [];
    for (const clip of tiny.train) for (const id of Object.keys(clip.persons)) {
      const v = rootSpeed(clip, id);
      if (v !== undefined) walkers.push(v);
    }
    const runners: number[] = [];
    const sprintGain: number[] = [];
    for (const clip of demoTest.test) {
      for (const e of clip.events) {
        if (e.kind === 'running') {
          const v = rootSpeed(clip, e.person, e.from, e.to);
          if (v !== undefined) runners.push(v);
        }
        if (e.kind === 'sprint') {
          const before = rootSpeed(clip, e.person, -Infinity, e.from);
          const after = rootSpeed(clip, e.person, e.from + 12, e.to);
          if (before !== undefined && after !== undefined) sprintGain.push(after / before);
        }
      }
    }
    expect(runners.length).toBeGreaterThanOrEqual(5);
    // Not 3× (4 m/s vs 1.3 m/s): runners heading into depth move less across the image.
    expect(median(runners)).toBeGreaterThan(1.7 * median(walkers));
    expect(runners.filter((v) => v > quantile(walkers, 0.9)).length / runners.length).toBeGreaterThan(0.7);
    expect(sprintGain.length).toBeGreaterThanOrEqual(3);
    expect(median(sprintGain)).toBeGreaterThan(1.8);

    // Fighting: wrists move fast relative to the hips (normalised by torso length).
    const wristSpeed = (clip: ClipTracks, id: string, from: number, to: number): number[] => {
      const tr = track(clip, id).filter(([t]) => t >= from && t <= to);
      const v: number[] = [];
      for (let i = 1; i < tr.length; i++) {
        if (tr[i]![0] !== tr[i - 1]![0] + 1) continue;
        const [a, b] = [tr[i - 1]![1].keypoints, tr[i]![1].keypoints];
        const ha = mid(a, 11, 12);
        const hb = mid(b, 11, 12);
        const rel = (k: number[], h: [number, number], j: number) => [k[3 * j]! - h[0], k[3 * j + 1]! - h[1]];
        const s = [9, 10].map((j) => Math.hypot(rel(b, hb, j)[0]! - rel(a, ha, j)[0]!, rel(b, hb, j)[1]! - rel(a, ha, j)[1]!));
        v.push(Math.max(...s) / Math.max(torsoLen(b), 1));
      }
      return v;
    };
    const fight = demoTest.test.flatMap((c) => c.events.filter((e) => e.kind === 'fighting').flatMap((e) => wristSpeed(c, e.person, e.from, e.to)));
    const calm = tiny.train.flatMap((c) => Object.keys(c.persons).flatMap((id) => wristSpeed(c, id, 0, c.nFrames)));
    expect(fight.length).toBeGreaterThan(100);
    expect(quantile(fight, 0.9)).toBeGreaterThan(1.5 * quantile(calm, 0.9));
    // Guards, punches and flailing lift the hands above the shoulders; walking never does.
    const raised = (clip: ClipTracks, id: string, from: number, to: number): boolean[] =>
      track(clip, id)
        .filter(([t]) => t >= from && t <= to)
        .map(([, d]) => Math.min(d.keypoints[28]!, d.keypoints[31]!) < Math.max(d.keypoints[16]!, d.keypoints[19]!));
    const share = (v: boolean[]) => v.filter(Boolean).length / v.length;
    const fightRaised = share(demoTest.test.flatMap((c) => c.events.filter((e) => e.kind === 'fighting').flatMap((e) => raised(c, e.person, e.from, e.to))));
    const calmRaised = share(tiny.train.flatMap((c) => Object.keys(c.persons).flatMap((id) => raised(c, id, 0, c.nFrames))));
    expect(fightRaised).toBeGreaterThan(3 * calmRaised);
  });
});

describe('synthetic demo dataset: ground truth', () => {
  it('marks exactly the frames covered by events, each naming a tracked person', () => {
    for (const ds of [tiny, demoTest]) {
      ds.test.forEach((clip, i) => {
        const mask = ds.gt[i]!.mask;
        const covered = new Uint8Array(clip.nFrames);
        for (const e of clip.events) {
          expect(e.from).toBeGreaterThanOrEqual(0);
          expect(e.to).toBeLessThan(clip.nFrames);
          expect(e.to).toBeGreaterThanOrEqual(e.from);
          expect(clip.persons[e.person]).toBeDefined();
          // The named person is detected during the event.
          expect(Object.keys(clip.persons[e.person]!).some((k) => +k >= e.from && +k <= e.to)).toBe(true);
          for (let t = e.from; t <= e.to; t++) covered[t] = 1;
        }
        expect(Array.from(mask)).toEqual(Array.from(covered));
        expect(Array.from(eventMask(clip))).toEqual(Array.from(mask));
      });
    }
  });

  it('stages every kind, keeps some test clips normal and 20–40 % of test frames abnormal', () => {
    const s = demoTest.meta.stats.test;
    for (const k of ['running', 'falling', 'fighting', 'sprint'] as const) expect(s.events[k]).toBeGreaterThanOrEqual(5);
    expect(demoTest.gt.filter((g) => g.mask.every((m) => m === 0)).length).toBeGreaterThanOrEqual(5);
    expect(s.abnormalFraction).toBeGreaterThan(0.2);
    expect(s.abnormalFraction).toBeLessThan(0.4);
    expect(tiny.meta.stats.test.abnormalFraction).toBeGreaterThan(0.1);
    expect(tiny.meta.stats.test.abnormalFraction).toBeLessThan(0.6);
  });

  it('counts segments like STG-NF', () => {
    const clip: ClipTracks = {
      name: '01_0001',
      nFrames: 100,
      events: [],
      persons: {
        // 40 consecutive detections: ceil((40-24)/6) = 3 windows, all continuous.
        '1': Object.fromEntries(Array.from({ length: 40 }, (_, t) => [String(t).padStart(4, '0'), { keypoints: [], scores: 1 }])),
        // 30 detections with a gap after the 10th: ceil(6/6) = 1 window, not continuous.
        '2': Object.fromEntries(Array.from({ length: 30 }, (_, t) => [String(t < 10 ? t : t + 5).padStart(4, '0'), { keypoints: [], scores: 1 }])),
      },
    };
    const st = demoDatasetStats({ train: [clip], test: [], gt: [] });
    expect(st.train.segmentsContinuous).toBe(3);
    expect(st.train.segmentsEstimate).toBe(Math.round(16 / 6 + 6 / 6));
    expect(st.train.detections).toBe(70);
  });
});

describe('scene-dependent anomalies (sceneRules)', () => {
  const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v))).digest('hex');
  it('without rules the datasets are bit-identical to the generator before the option (sha256 pins)', () => {
    // Pinned from the generator at main 498edf1, before sceneRules existed.
    expect(sha(tiny)).toBe('44b00be170f30dd188c418140a6555ad678dcd22d6832f4ea93969aef3480646');
    expect(sha(generateDemoDataset({ seed: 3, scale: 'tiny', sceneRules: [] }))).toBe('60104ffa008b0d598e8d4cb2a7bba76f55507c8bd697ac54d70066d943e17866');
    expect(sha(generateDemoDataset({ seed: 7, scale: 'demo', trainClips: 16, testClips: 16 }))).toBe(
      '4950148e07217a4aa4221061f9c231a7a3754ae56c0c7deeab2937a9f2004f65',
    );
  });

  it('running normal in scene 02: test masks drop exactly the running frames there, and nothing else changes', () => {
    const opts = { seed: 1, scale: 'tiny' as const, trainClips: 6, testClips: 12 };
    const base = generateDemoDataset(opts);
    const ruled = generateDemoDataset({ ...opts, sceneRules: [{ kind: 'running', normalScenes: [2] }] });
    expect(ruled.meta.sceneRules).toEqual([{ kind: 'running', normalScenes: [2] }]);
    let dropped = 0;
    let kept = 0;
    base.test.forEach((c, i) => {
      const r = ruled.test[i];
      expect(r.persons).toEqual(c.persons); // the same people, only the labels differ
      if (c.name.startsWith('02_')) {
        expect(r.events).toEqual(c.events.filter((e) => e.kind !== 'running'));
        // Expected mask by hand: the frames of the remaining events only.
        const want = new Uint8Array(c.nFrames);
        for (const e of c.events) if (e.kind !== 'running') want.fill(1, e.from, e.to + 1);
        expect(ruled.gt[i].mask).toEqual(want);
        dropped += c.events.filter((e) => e.kind === 'running').length;
      } else {
        expect(r.events).toEqual(c.events);
        expect(ruled.gt[i].mask).toEqual(base.gt[i].mask);
        kept += c.events.filter((e) => e.kind === 'running').length;
      }
    });
    expect(dropped).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    // Training clips of scene 02 may show running people (no labels); other scenes are unchanged.
    ruled.train.forEach((c, i) => {
      expect(c.events).toEqual([]);
      if (!c.name.startsWith('02_')) expect(c.persons).toEqual(base.train[i].persons);
    });
    expect(ruled.train.some((c, i) => c.name.startsWith('02_') && JSON.stringify(c.persons) !== JSON.stringify(base.train[i].persons))).toBe(true);
  });

  it('rejects bad rules with InputError', () => {
    for (const sceneRules of [[{ kind: 'flying', normalScenes: [1] }], [{ kind: 'running', normalScenes: [9] }], [{ kind: 'running', normalScenes: [] }]]) {
      expect(() => generateDemoDataset({ scale: 'tiny', sceneRules: sceneRules as never })).toThrow(InputError);
    }
  });
});
