import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { initBackend, parseCheckpointJson } from '@skelflow/core';
import { parsePoseTrackJson, segmentTracks, coco17ToOpenPose18, type PersonTrack, type PoseTracks } from '@skelflow/pose';
import { StreamingScorer, type StreamingFrame, type StreamingScorerOptions } from '@skelflow/model';
import { createStgNf, stgNfFromCheckpoint, StgNfAnomalyModel, type StgNf } from '@skelflow/stg-nf';
import { BACKENDS, expectInputError, expectThrows, hasShared, sharedDir } from '@skelflow/testing';

// The generic StreamingScorer (@skelflow/model) on STG-NF against the batch pipeline
// (segmentTracks + scoreSegments, itself tested against the original STG-NF's segmentation and
// scores): same score for every window the batch path produces, null where it produces none,
// except the one documented difference: the original never uses a track's last possible window,
// the stream scores it.

const CLIP = '01_0014';
const poseFile = path.join(sharedDir, 'data/stgnf/e2e/pose/test', `${CLIP}_alphapose_tracked_person.json`);
const ckptPath = path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json');
const hasData = hasShared && fs.existsSync(poseFile) && fs.existsSync(ckptPath);
if (!hasData) console.warn(`[streaming.test] ${poseFile} or ${ckptPath} not found: streaming-vs-batch equivalence on real poses is skipped`);

const TOL = 1e-5;

/** The generic scorer on an STG-NF network, through the model contract. */
const streamOf = (model: StgNf, options?: StreamingScorerOptions) => new StreamingScorer(new StgNfAnomalyModel(model), options);

/** Scores of a batch segmentation keyed `person:startFrame`. */
function batchScores(model: StgNf, tracks: PoseTracks, segLen: number, maxMissing = 2): Map<string, number> {
  const segs = segmentTracks({ name: CLIP, tracks }, { segLen, stride: 1, maxMissing });
  const scores = model.scoreSegments(segs.data);
  const out = new Map<string, number>();
  for (let s = 0; s < scores.length; s++) out.set(`${segs.meta.person[s]}:${segs.meta.startFrame[s]}`, scores[s]!);
  return out;
}

/**
 * The same tracks with one dummy detection appended far after each track's end, so that the
 * original's `ceil((N − segLen)/stride)` also tries the last real window; the dummy itself is in
 * no window tried and, lying ≥ segLen frames after every window's first frame, never counts as present.
 */
function padTracks(tracks: PoseTracks): PoseTracks {
  const out: PoseTracks = new Map();
  for (const [k, t] of tracks) {
    const n = t.frames.length;
    const keypoints = new Float32Array((n + 1) * 51);
    keypoints.set(t.keypoints);
    keypoints.set(t.keypoints.subarray((n - 1) * 51, n * 51), n * 51);
    const scores = new Float32Array(n + 1);
    scores.set(t.scores);
    scores[n] = t.scores[n - 1]!;
    out.set(k, { frames: [...t.frames, t.frames[n - 1]! + 1000], keypoints, scores });
  }
  return out;
}

/** All detections of `tracks` in live order: by frame number, then person. */
function liveOrder(tracks: PoseTracks): { person: string; j: number; frame: number }[] {
  const ev: { person: string; j: number; frame: number }[] = [];
  for (const [person, t] of tracks) t.frames.forEach((frame, j) => ev.push({ person, j, frame }));
  ev.sort((a, b) => a.frame - b.frame || Number(a.person) - Number(b.person));
  return ev;
}

interface Comparison {
  matched: number;
  lastOnly: number;
  nulls: number;
  maxDiff: number;
}

/**
 * Streams `tracks` through `push` and checks every result against the batch path; returns counts.
 * `batch`: the original segmentation's scores; `padded`: the same with every track's last window.
 */
function compareWithBatch(scorer: StreamingScorer, tracks: PoseTracks, batch: Map<string, number>, padded: Map<string, number>): Comparison {
  const segLen = scorer.segLen;
  const c: Comparison = { matched: 0, lastOnly: 0, nulls: 0, maxDiff: 0 };
  for (const { person, j, frame } of liveOrder(tracks)) {
    const t = tracks.get(person)!;
    const r = scorer.push(Number(person), frame, t.keypoints.subarray(j * 51, (j + 1) * 51));
    if (j < segLen - 1) {
      expect(r, `person ${person}, frame ${frame}: fewer than segLen detections`).toBeNull();
      c.nulls++;
      continue;
    }
    const key = `${person}:${t.frames[j - segLen + 1]}`;
    const isLast = j === t.frames.length - 1;
    // The off-by-one: the batch path never produces the window ending at a track's last detection.
    if (isLast) expect(batch.has(key), `batch has the last window ${key}`).toBe(false);
    const want = isLast ? padded.get(key) : batch.get(key);
    if (want === undefined) {
      expect(r, `person ${person}, frame ${frame}: window not continuous, batch has none`).toBeNull();
      c.nulls++;
    } else {
      expect(r, `person ${person}, frame ${frame}`).not.toBeNull();
      const d = Math.abs(r! - want);
      c.maxDiff = Math.max(c.maxDiff, d);
      expect(d, `person ${person}, frame ${frame}: |streaming − batch|`).toBeLessThanOrEqual(TOL);
      if (isLast) c.lastOnly++;
      else c.matched++;
    }
  }
  return c;
}

/** Smooth synthetic COCO-17 tracks in pixels, with random gaps (some longer than maxMissing) and start frames. */
function syntheticTracks(nPeople: number, seed: number, gapRate = 0.12): PoseTracks {
  const rng = new Rng(seed);
  const tracks: PoseTracks = new Map();
  for (let p = 0; p < nPeople; p++) {
    const frames: number[] = [];
    let f = rng.int(20);
    const len = 10 + rng.int(50);
    while (frames.length < len) {
      frames.push(f);
      f += rng.uniform() < gapRate ? 2 + rng.int(rng.uniform() < 0.3 ? 30 : 3) : 1;
    }
    const cx = 100 + 600 * rng.uniform();
    const cy = 150 + 200 * rng.uniform();
    const ph = new Float64Array(17).map(() => rng.uniform() * 6.28);
    const keypoints = new Float32Array(frames.length * 51);
    frames.forEach((fr, j) => {
      for (let v = 0; v < 17; v++) {
        const o = j * 51 + v * 3;
        keypoints[o] = cx + 2 * fr + 20 * Math.sin(0.3 * fr + ph[v]!) + (v % 2 ? 15 : -15) + rng.normal();
        keypoints[o + 1] = cy + 12 * v + 5 * Math.cos(0.3 * fr + ph[v]!) + rng.normal();
        keypoints[o + 2] = 0.5 + 0.5 * rng.uniform();
      }
    });
    tracks.set(String(p + 1), { frames, keypoints, scores: new Float32Array(frames.length).fill(2) });
  }
  return tracks;
}

const kpOf = (t: PersonTrack, j: number) => t.keypoints.subarray(j * 51, (j + 1) * 51);

describe.each(BACKENDS)('StreamingScorer on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  describe.skipIf(!hasData)(`equivalence with the batch pipeline on ${CLIP} (ShanghaiTech_85_9, CC BY-NC, read from ../shared)`, () => {
    it('every batch segment gets its score from the push of its last frame; other pushes are null except each track’s last window', () => {
      const ckpt = parseCheckpointJson(fs.readFileSync(ckptPath, 'utf8'), ckptPath);
      const model = stgNfFromCheckpoint(ckpt, ckptPath);
      expect(model.config.segLen).toBe(24);
      const tracks = parsePoseTrackJson(fs.readFileSync(poseFile, 'utf8'), poseFile);
      const batch = batchScores(model, tracks, 24);
      const padded = batchScores(model, padTracks(tracks), 24);
      // The padded segmentation only adds windows ending at a track's last detection.
      for (const [k, v] of batch) expect(Math.abs(padded.get(k)! - v)).toBeLessThanOrEqual(TOL);

      const scorer = streamOf(model);
      const c = compareWithBatch(scorer, tracks, batch, padded);
      console.log(
        `[streaming] ${backend} ${CLIP}: ${c.matched} of ${batch.size} batch segments matched (max |Δ| ${c.maxDiff.toExponential(2)}), ` +
          `${c.lastOnly} last windows scored only by streaming, ${c.nulls} nulls`,
      );
      expect(c.matched).toBe(batch.size);
      expect(c.lastOnly).toBe(padded.size - batch.size);
      expect(c.lastOnly).toBeGreaterThan(0); // the difference is exercised, not hidden
      expect(scorer.activeTracks).toBe(tracks.size);
      model.dispose();
    });
  });

  it('matches segmentTracks on synthetic tracks with gaps for maxMissing 0, 2 and 5 (no ../shared needed)', () => {
    const model = createStgNf({ segLen: 8, seed: 5 });
    const tracks = syntheticTracks(6, 11);
    for (const maxMissing of [0, 2, 5]) {
      const batch = batchScores(model, tracks, 8, maxMissing);
      const padded = batchScores(model, padTracks(tracks), 8, maxMissing);
      const c = compareWithBatch(streamOf(model, { maxMissing }), tracks, batch, padded);
      expect(c.matched).toBe(batch.size);
      expect(c.lastOnly).toBe(padded.size - batch.size);
      expect(c.nulls).toBeGreaterThan(6 * 7); // gaps make some windows non-continuous
    }
    model.dispose();
  });

  it('pushMany over several tracks gives the same results as individual push calls', () => {
    const model = createStgNf({ segLen: 8, seed: 2 });
    const tracks = syntheticTracks(7, 3);
    // Mixed ID types: person 1 is the number 1, the others strings.
    const idOf = (p: string): string | number => (p === '1' ? 1 : `cam0/${p}`);
    const many = streamOf(model);
    const single = streamOf(model);
    const byFrame = new Map<number, StreamingFrame[]>();
    for (const { person, j, frame } of liveOrder(tracks)) {
      const list = byFrame.get(frame) ?? [];
      list.push({ trackId: idOf(person), frame, keypoints: kpOf(tracks.get(person)!, j) });
      byFrame.set(frame, list);
    }
    let scored = 0;
    let batched = 0;
    for (const frame of [...byFrame.keys()].sort((a, b) => a - b)) {
      const entries = byFrame.get(frame)!;
      const got = many.pushMany(entries);
      expect(got).toHaveLength(entries.length);
      const ready = got.filter((g) => g !== null).length;
      if (ready > 1) batched++;
      entries.forEach((e, i) => {
        const want = single.push(e.trackId, e.frame, e.keypoints);
        if (want === null) expect(got[i]).toBeNull();
        else {
          expect(got[i]).not.toBeNull();
          expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(TOL);
          scored++;
        }
      });
      // End tracks after their last detection, in both.
      for (const [p, t] of tracks) {
        if (t.frames[t.frames.length - 1] === frame) {
          many.end(idOf(p));
          single.end(idOf(p));
        }
      }
      expect(many.activeTracks).toBe(single.activeTracks);
    }
    expect(scored).toBeGreaterThan(50);
    expect(batched).toBeGreaterThan(5); // several windows really went through one model call
    expect(many.activeTracks).toBe(0);
    expect(many.pushMany([])).toEqual([]);
    model.dispose();
  });

  it("keypointFormat 'openpose18' takes the converted keypoints and gives the same scores", () => {
    const model = createStgNf({ segLen: 8, seed: 4 });
    const t = syntheticTracks(1, 9, 0).get('1')!;
    const op18 = coco17ToOpenPose18(t.keypoints);
    const coco = streamOf(model);
    const open = streamOf(model, { keypointFormat: 'openpose18' });
    let n = 0;
    t.frames.forEach((f, j) => {
      const a = coco.push('a', f, Array.from(kpOf(t, j))); // a plain array works too
      const b = open.push('a', f, op18.subarray(j * 54, (j + 1) * 54));
      expect(b).toBe(a);
      if (a !== null) n++;
    });
    expect(n).toBe(t.frames.length - 7);
    model.dispose();
  });

  it('bad input throws typed errors naming source and location, and changes nothing', () => {
    const model = createStgNf({ segLen: 4, seed: 1 });
    const t = syntheticTracks(1, 5, 0).get('1')!;
    const kp = kpOf(t, 0);
    const s = streamOf(model);
    expect(s.push(3, 118, kp)).toBeNull();
    expect(s.push(3, 120, kpOf(t, 1))).toBeNull();

    const check = (e: InputError, source: string, location: string | RegExp) => {
      expect(e.source).toBe(source);
      expect(e.location).toMatch(location);
    };
    // Wrong keypoint count.
    check(expectInputError(() => s.push(3, 121, kp.subarray(0, 50)), /expected 51 keypoint values/, /got 50/), 'StreamingScorer.push', 'track 3, frame 121');
    expectInputError(() => s.push(3, 121, new Float32Array(54)), /expected 51/, /got 54/);
    expectInputError(() => streamOf(model, { keypointFormat: 'openpose18' }).push(3, 0, kp), /expected 54 keypoint values/, /got 51/);
    // NaN / non-finite values, including a finite float64 that overflows float32.
    for (const [bad, msg] of [[NaN, /NaN/], [Infinity, /Infinity/], [-Infinity, /-Infinity/], [1e40, /overflows float32/]] as const) {
      const k = Array.from(kp);
      k[22] = bad;
      check(expectInputError(() => s.push(3, 121, k), /keypoint value 22 \(joint 7, y\)/, msg), 'StreamingScorer.push', 'track 3, frame 121');
    }
    // Non-increasing frame numbers.
    check(expectInputError(() => s.push(3, 120, kp), /strictly increasing/, /got 120 after 120/), 'StreamingScorer.push', 'track 3, frame 120');
    check(expectInputError(() => s.push(3, 7, kp), /got 7 after 120/), 'StreamingScorer.push', 'track 3, frame 7');
    // Non-integer, negative, non-finite frames.
    for (const f of [120.5, -1, NaN, Infinity]) {
      check(expectInputError(() => s.push(3, f, kp), /frame must be a non-negative integer/), 'StreamingScorer.push', `track 3, frame ${f}`);
    }
    // Not an array, bad track ID (from untyped callers).
    expectInputError(() => s.push(3, 121, null as unknown as number[]), /keypoints must be an array/);
    expectInputError(() => s.push({} as unknown as number, 121, kp), /trackId must be a string or a number/);

    // Nothing above changed the track: two more valid pushes complete the first window.
    expect(s.push(3, 121, kpOf(t, 2))).toBeNull();
    expect(s.push(3, 122, kpOf(t, 3))).toEqual(expect.any(Number));
    expect(s.activeTracks).toBe(1);

    // pushMany: a bad entry rejects the whole call (no entry applied), naming the entry.
    const e = expectInputError(
      () => s.pushMany([
        { trackId: 'new', frame: 0, keypoints: kp },
        { trackId: 3, frame: 123, keypoints: kp.subarray(1) },
      ]),
      /entry 1/,
      /expected 51/,
    );
    check(e, 'StreamingScorer.pushMany', 'track 3, frame 123');
    expect(s.activeTracks).toBe(1);
    check(
      expectInputError(() => s.pushMany([{ trackId: 3, frame: 123, keypoints: kp }, { trackId: 3, frame: 124, keypoints: kp }]), /appears twice/),
      'StreamingScorer.pushMany',
      'track 3, frame 124',
    );
    expectInputError(() => s.pushMany([{ trackId: 3, frame: 122, keypoints: kp }]), /got 122 after 122/, /entry 0/);
    expect(s.pushMany([{ trackId: 3, frame: 123, keypoints: kpOf(t, 4) }])[0]).toEqual(expect.any(Number));

    // A window whose y coordinates do not vary cannot be normalised (as in the batch path); the detection is kept.
    const flat = new Float32Array(51).map((_, i) => (i % 3 === 0 ? 100 + i : i % 3 === 1 ? 200 : 1));
    const z = streamOf(model);
    for (let f = 0; f < 3; f++) expect(z.push('p', f, flat)).toBeNull();
    check(expectInputError(() => z.push('p', 3, flat), /zero spread/), 'StreamingScorer.push', /^track p, frame 3 \(window from frame 0\)$/);
    expectInputError(() => z.push('p', 3, flat), /got 3 after 3/);

    // Options and model.
    expectInputError(() => streamOf(model, { maxMissing: -1 }), /maxMissing/);
    expectInputError(() => streamOf(model, { maxMissing: 1.5 }), /maxMissing/);
    expectInputError(() => streamOf(model, { vidRes: [0, 480] }), /vidRes/);
    expectInputError(() => streamOf(model, { keypointFormat: 'h36m' as 'coco17' }), /keypointFormat/);
    const three = createStgNf({ segLen: 4, channels: 3, seed: 1 });
    expectThrows(() => streamOf(three), ShapeError, /\[B, 2, T, 18\]/);
    three.dispose();

    // end(): forgets the track, an ID can start over.
    s.end(3);
    s.end('never seen');
    expect(s.activeTracks).toBe(0);
    expect(s.push(3, 0, kp)).toBeNull();
    model.dispose();
  });

  it('tf.memory().numTensors is unchanged across 200 pushes (and pushMany calls)', () => {
    const model = createStgNf({ segLen: 8, seed: 1 });
    const tracks = syntheticTracks(3, 8, 0);
    const s = streamOf(model);
    const t = [...tracks.values()];
    const warm = (j: number) => s.push('w', j, kpOf(t[0]!, j % 8));
    for (let j = 0; j < 8; j++) warm(j); // warm-up: the first model call may create lazily cached tensors
    const start = tf.memory().numTensors;
    let scored = 0;
    for (let i = 0; i < 200; i++) {
      const p = i % 3;
      const j = Math.floor(i / 3); // three tracks, consecutive frames
      if (s.push(`p${p}`, j, kpOf(t[p]!, j % t[p]!.frames.length)) !== null) scored++;
    }
    for (let j = 67; j < 87; j++) {
      s.pushMany(t.map((track, p) => ({ trackId: `p${p}`, frame: j, keypoints: kpOf(track, j % track.frames.length) })));
    }
    expect(scored).toBe(200 - 3 * 7);
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });
});
