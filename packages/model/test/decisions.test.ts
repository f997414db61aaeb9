// NFlowAD's decision layer (model card §4.3, §4.7): the per-window → per-frame mapping and the
// joint / frame / sequence / clip decisions, on hand-computed cases.
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import {
  clipRule,
  decideClip,
  explainClips,
  layoutJointNames,
  topJoints,
  type ClipExplanation,
  type DecisionThresholds,
  type SegmentExplanation,
} from '@skelflow/model';
import { OPENPOSE18, type SegmentMeta } from '@skelflow/pose';

/** Segment metadata of windows `[clipIndex, person, start]` with length T. */
function meta(segLen: number, clipNames: string[], rows: [number, number, number][]): SegmentMeta {
  return {
    segLen,
    clipNames,
    clip: Uint32Array.from(rows.map((r) => r[0])),
    person: Int32Array.from(rows.map((r) => r[1])),
    startFrame: Int32Array.from(rows.map((r) => r[2])),
    endFrame: Int32Array.from(rows.map((r) => r[2] + segLen - 1)),
  };
}

/** An explanation whose joint j value is the frame value + 100·j. */
function explanation(frames: number[], V: number): SegmentExplanation {
  const joints = new Float64Array(frames.length * V);
  frames.forEach((v, i) => {
    for (let j = 0; j < V; j++) joints[i * V + j] = v + 100 * j;
  });
  return { frames: Float64Array.from(frames), joints };
}

/** One clip of one person covered by one window of exactly its length. */
function singleWindow(s: number[], V = 1): ClipExplanation {
  return explainClips(explanation(s, V), meta(s.length, ['c'], [[0, 0, 0]]), [{ name: 'c', nFrames: s.length }], V)[0]!;
}

const th = (frame: number, sequence: number, clipFraction = 0.1, joint = Infinity): DecisionThresholds => ({ joint, frame, sequence, clipFraction });

describe('explainClips: per-window frame scores → clip frames', () => {
  it('averages the stride-1 windows covering each frame, per person (hand case)', () => {
    // T = 3, person 1 has windows at 0, 1, 2, 3 over 6 frames; window s, position t has S = 10·s + t.
    // Frame 0: {0}; 1: {1, 10}; 2: {2, 11, 20}; 3: {12, 21, 30}; 4: {22, 31}; 5: {32}.
    const s = [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32];
    const [c] = explainClips(explanation(s, 2), meta(3, ['a'], [[0, 1, 0], [0, 1, 1], [0, 1, 2], [0, 1, 3]]), [{ name: 'a', nFrames: 6 }], 2);
    expect(Array.from(c!.frames)).toEqual([0, 5.5, 11, 21, 26.5, 32]);
    expect(Array.from(c!.joints)).toEqual([0, 100, 5.5, 105.5, 11, 111, 21, 121, 26.5, 126.5, 32, 132]);
    expect(c!.persons.map((p) => [p.person, p.nCovered])).toEqual([['1', 6]]);
    expect(Array.from(c!.personAt)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('takes per frame the person with the highest anomaly (lowest normality), and that person\'s joints', () => {
    // Person 1 as above; person 2 (one window at frame 2): 15, 5, 40 at frames 2, 3, 4.
    const s = [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 15, 5, 40];
    const rows: [number, number, number][] = [[0, 1, 0], [0, 1, 1], [0, 1, 2], [0, 1, 3], [0, 2, 2]];
    const [c] = explainClips(explanation(s, 2), meta(3, ['a'], rows), [{ name: 'a', nFrames: 7 }], 2);
    expect(Array.from(c!.frames)).toEqual([0, 5.5, 15, 21, 40, 32, NaN]);
    expect(Array.from(c!.personAt)).toEqual([0, 0, 1, 0, 1, 0, -1]);
    expect(Array.from(c!.joints.subarray(4, 6))).toEqual([15, 115]); // frame 2: person 2's row
    expect(Array.from(c!.joints.subarray(12, 14))).toEqual([NaN, NaN]); // frame 6: nobody
    expect(c!.persons.map((p) => p.person)).toEqual(['1', '2']);
    expect(Array.from(c!.persons[1]!.frames)).toEqual([NaN, NaN, 15, 5, 40, NaN, NaN]);
  });

  it('breaks a tie between people by the lower person id, whatever the segment order', () => {
    const rows: [number, number, number][] = [[0, 9, 0], [0, 3, 0]];
    const [c] = explainClips({ frames: Float64Array.of(1, 7, 1, 1), joints: Float64Array.of(1, 7, 1, 1) }, meta(2, ['a'], rows), [{ name: 'a', nFrames: 2 }], 1);
    expect(Array.from(c!.personAt)).toEqual([0, 1]); // persons sorted: 3, 9; frame 0 ties at 1
    expect(c!.persons.map((p) => p.person)).toEqual(['3', '9']);
    expect(Array.from(c!.frames)).toEqual([1, 7]);
  });

  it('keeps clips without segments (all NaN) and maps segments by clip name', () => {
    const out = explainClips(explanation([4, 5], 1), meta(2, ['x', 'y'], [[1, 0, 1]]), [{ name: 'y', nFrames: 3 }, { name: 'x', nFrames: 2 }], 1);
    expect(Array.from(out[0]!.frames)).toEqual([NaN, 4, 5]);
    expect(Array.from(out[1]!.frames)).toEqual([NaN, NaN]);
    expect(out[1]!.persons).toEqual([]);
  });

  it('refuses bad shapes, non-finite values, unknown clips and windows past the clip end', () => {
    const m = meta(2, ['a'], [[0, 4, 1]]);
    const clips = [{ name: 'a', nFrames: 3 }];
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(() => explainClips({ frames: new Float64Array(3), joints: new Float64Array(2) }, m, clips, 1))).toMatch(/frames has 3 values, expected N·T = 1·2/);
    expect(err(() => explainClips({ frames: new Float64Array(2), joints: new Float64Array(3) }, m, clips, 1))).toMatch(/joints has 3 values/);
    expect(err(() => explainClips({ frames: Float64Array.of(0, NaN), joints: new Float64Array(2) }, m, clips, 1))).toMatch(/clip a, person 4, frame 2/);
    expect(err(() => explainClips({ frames: new Float64Array(2), joints: Float64Array.of(Infinity, 0) }, m, clips, 1))).toMatch(/joint 0 is Infinity/);
    expect(err(() => explainClips(explanation([0, 0], 1), m, [{ name: 'b', nFrames: 3 }], 1))).toMatch(/clip "a", which is not among/);
    expect(err(() => explainClips(explanation([0, 0], 1), m, [{ name: 'a', nFrames: 2 }], 1))).toMatch(/reaches frame 2, but the clip has 2 frames/);
  });
});

describe('clip rule (Table 2 caption): max_t S_t > τ_frame ∨ mean_t S_t > τ_seq ∨ S_frac ≥ τ_frac', () => {
  const t = th(1, 0.5, 0.1);
  // The whole truth table of the rule on its three statistics (card §4.7 (8)).
  const rows: [boolean, boolean, boolean][] = [];
  for (const max of [false, true]) for (const mean of [false, true]) for (const frac of [false, true]) rows.push([max, mean, frac]);
  it.each(rows)('max > τ_frame %s, mean > τ_seq %s, S_frac ≥ τ_frac %s', (max, mean, frac) => {
    const stats = { max: max ? 1.01 : 1, mean: mean ? 0.51 : 0.5, fraction: frac ? 0.1 : 0.09 };
    const reasons = clipRule(stats, t);
    expect(reasons).toEqual([...(frac ? ['fraction'] : []), ...(max ? ['max'] : []), ...(mean ? ['mean'] : [])]);
    expect(reasons.length > 0).toBe(max || mean || frac);
  });

  // From frame scores only six rows are reachable: S_frac > 0 needs a frame above τ_frame, which is
  // then the max. Each of the six through decideClip, T = 20, τ_frame 1, τ_seq 0.5, τ_frac 0.1.
  const series = (high: number, rest: number) => Array.from({ length: 20 }, (_, i) => (i < high ? 2 : rest));
  it.each([
    ['none', series(0, 0), []],
    ['mean only', series(0, 0.8), ['mean']],
    ['max only (S_frac 5 %)', series(1, 0), ['max']],
    ['max and mean', series(1, 0.9), ['max', 'mean']],
    ['max and S_frac exactly 10 % (≥)', series(2, 0), ['fraction', 'max']],
    ['all three', series(2, 0.9), ['fraction', 'max', 'mean']],
  ] as const)('%s, from frame scores', (_, s, reasons) => {
    const d = decideClip(singleWindow([...s]), t, ['j']);
    expect(d.reasons).toEqual(reasons);
    expect(d.anomalous).toBe(reasons.length > 0);
  });

  it('card §4.7 (7): s = [0.1, 0.5, 0.2, 0.9, 0.3], τ_frame = 0.386 → S_frac = 2/5 = 40 %, anomalous', () => {
    const d = decideClip(singleWindow([0.1, 0.5, 0.2, 0.9, 0.3]), th(0.386, 0.5), ['j']);
    expect(d.flaggedFrames).toEqual([1, 3]);
    expect(d.frameFraction).toBe(0.4);
    expect(d.maxScore).toBe(0.9);
    expect(d.meanScore).toBeCloseTo(0.4, 15); // (0.1 + 0.5 + 0.2 + 0.9 + 0.3) / 5
    expect(d.anomalous).toBe(true);
    expect(d.reasons).toEqual(['fraction', 'max']); // mean 0.4 ≤ τ_seq 0.5
    expect(decideClip(singleWindow([0.1, 0.5, 0.2, 0.9, 0.3]), th(0.386, 0.386), ['j']).reasons).toEqual(['fraction', 'max', 'mean']);
  });

  it('Table 2 (τ_frame = 0.386) breaks its own caption rule; the rule is implemented as written', () => {
    // Card §4.3: "Box Turn with anomaly" (MoMask) has max s_t = 1.388 > 0.386 and S_frac = 0 % but is
    // marked NOT detected; "Freehang Drop" (1.236, 0 %) likewise. "Drunk Run Forward" has S_frac =
    // 4 % < 10 % and is marked detected, which an S_frac-only rule would not give. So the table's
    // "detected" column matches neither the OR rule nor the S_frac rule; we follow the caption.
    const rule = th(0.386, Infinity); // Table 2 gives no τ_seq and no means
    expect(clipRule({ max: 1.388, mean: 0, fraction: 0 }, rule)).toEqual(['max']); // table: N
    expect(clipRule({ max: 1.236, mean: 0, fraction: 0 }, rule)).toEqual(['max']); // table: N
    expect(clipRule({ max: 0.642, mean: 0, fraction: 0.04 }, rule)).toEqual(['max']); // table: Y
    expect(clipRule({ max: 0.291, mean: 0, fraction: 0 }, rule)).toEqual([]); // Meshcapade Falling Loop, table: N
  });
});

describe('decideClip: joint, frame, sequence and clip levels', () => {
  it('flags joints, frames and person tracks strictly above their thresholds and names the top-3 joints', () => {
    // Two people, T = 2, V = 4 (names a–d); person 0 over frames 0–1, person 1 over frames 1–2.
    const joints = Float64Array.of(
      0.1, 0.2, 0.3, 0.4, /* p0 f0 */ 0.9, 0.5, 0.9, 0.1, /* p0 f1 */
      0, 0, 0, 0, /* p1 f1 */ 0.7, 0.8, 0.6, 0.8, /* p1 f2 */
    );
    const frames = Float64Array.of(0.2, 1.5, 0.1, 2);
    const [c] = explainClips({ frames, joints }, meta(2, ['k'], [[0, 0, 0], [0, 1, 1]]), [{ name: 'k', nFrames: 3 }], 4);
    const d = decideClip(c!, { joint: 0.75, frame: 1, sequence: 0.9, clipFraction: 0.5 }, ['a', 'b', 'c', 'd']);
    expect(d.nScoredFrames).toBe(3);
    expect(d.flaggedFrames).toEqual([1, 2]); // S_t = 0.2, 1.5 (person 0), 2 (person 1)
    expect(d.frameFraction).toBeCloseTo(2 / 3, 15);
    expect(d.flaggedJoints).toEqual([{ frame: 1, joints: [0, 2] }, { frame: 2, joints: [1, 3] }]);
    expect(d.sequences).toEqual([
      { person: '0', nFrames: 2, meanScore: 0.85, maxScore: 1.5, anomalous: false }, // (0.2 + 1.5) / 2 = 0.85 ≤ 0.9
      { person: '1', nFrames: 2, meanScore: 1.05, maxScore: 2, anomalous: true }, // (0.1 + 2) / 2
    ]);
    expect(d.anomalous).toBe(true);
    expect(d.reasons).toEqual(['fraction', 'max', 'mean']); // mean (0.2 + 1.5 + 2) / 3 ≈ 1.23
    expect(d.topJoints).toEqual([
      { frame: 1, score: 1.5, person: '0', top: [{ joint: 'a', index: 0, score: 0.9 }, { joint: 'c', index: 2, score: 0.9 }, { joint: 'b', index: 1, score: 0.5 }] },
      { frame: 2, score: 2, person: '1', top: [{ joint: 'b', index: 1, score: 0.8 }, { joint: 'd', index: 3, score: 0.8 }, { joint: 'a', index: 0, score: 0.7 }] },
    ]);
  });

  it('a clip nobody is scored in is normal with no statistics', () => {
    const [c] = explainClips({ frames: new Float64Array(0), joints: new Float64Array(0) }, meta(2, [], []), [{ name: 'e', nFrames: 4 }], 2);
    const d = decideClip(c!, th(0, 0), ['a', 'b']);
    expect([d.nScoredFrames, d.frameFraction, d.maxScore, d.meanScore, d.anomalous]).toEqual([0, 0, null, null, false]);
  });

  it('refuses bad thresholds and names of the wrong length', () => {
    const c = singleWindow([1, 2]);
    expect(() => decideClip(c, th(NaN, 0), ['j'])).toThrow(/thresholds.frame must be a number, got NaN/);
    expect(() => decideClip(c, th(0, 0, 0), ['j'])).toThrow(/clipFraction must be in \(0, 1\]/);
    expect(() => decideClip(c, th(0, 0, 1.5), ['j'])).toThrow(InputError);
    expect(() => decideClip(c, th(0, 0), ['j', 'k'])).toThrow(/2 joint names for 1 joints/);
  });
});

describe('topJoints and layout names', () => {
  it('ranks by score, ties to the lower joint index, with the layout names', () => {
    const row = new Float64Array(18);
    row.set([0.5, 0.9, 0.9]);
    row[17] = 0.9;
    expect(topJoints(row, layoutJointNames('openpose18', 18))).toEqual([
      { joint: 'neck', index: 1, score: 0.9 },
      { joint: 'right_shoulder', index: 2, score: 0.9 },
      { joint: 'left_ear', index: 17, score: 0.9 },
    ]);
    expect(topJoints([3, 1], ['x', 'y'], 5).map((j) => j.joint)).toEqual(['x', 'y']);
  });

  it('names the built-in layouts, indexes unknown ones, refuses a joint count that does not match', () => {
    expect(layoutJointNames('openpose18', 18)).toEqual([...OPENPOSE18.jointNames]);
    expect(layoutJointNames('coco17', 17)[9]).toBe('left_wrist');
    expect(layoutJointNames('mixamo22', 3)).toEqual(['joint_0', 'joint_1', 'joint_2']);
    expect(() => layoutJointNames('coco17', 18)).toThrow(/layout coco17 has 17 joints, the model's input has 18/);
  });
});
