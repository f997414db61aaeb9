import { InputError } from '@skelflow/base';
import type { FrameClip, SegmentMeta } from '@skelflow/pose';
import type { SegmentExplanation } from './contract.js';

// Why here: the per-window → per-clip-frame mapping interprets the contract's SegmentExplanation
// (a model capability) with the segment metadata of @skelflow/pose; every front end (the CLI's
// eval report, benchmarks, an app) needs the same mapping, and it carries no tfjs. @skelflow/pose
// cannot hold it (it sits below the contract), the CLI would hide it from the other front ends.

/** One person's anomaly over one clip's frames, mapped from the windows covering each frame. */
export interface PersonExplanation {
  /** Person id, as the report names people (`String(meta.person)`). */
  person: string;
  /** `[F]`: mean S_t over the windows covering frame f; NaN where no window covers it. */
  frames: Float64Array;
  /** `[F, V]`: mean S_{j,t} likewise; NaN rows where no window covers the frame. */
  joints: Float64Array;
  /** Frames covered by at least one window of this person. */
  nCovered: number;
}

/** One clip's anomaly per frame: for each frame the most anomalous person, and every person's series. */
export interface ClipExplanation {
  /** Clip name. */
  name: string;
  /** Frames F in the clip. */
  nFrames: number;
  /** Joints per frame V. */
  nJoints: number;
  /** `[F]`: S_t of the most anomalous person at frame f (highest mapped S_t); NaN where no person is covered. */
  frames: Float64Array;
  /** `[F, V]`: that person's S_{j,t} at frame f; NaN rows where no person is covered. */
  joints: Float64Array;
  /** `[F]`: index into {@link persons} of the person chosen at frame f, −1 where none is covered. */
  personAt: Int32Array;
  /** Every person with a window in this clip, by increasing person id. */
  persons: PersonExplanation[];
}

/**
 * Maps per-window per-frame anomaly ({@link SegmentExplanation} of stride-1 windows) to the frames
 * of each clip, so that a clip gets one S_t and one joint row per frame:
 *
 * 1. Position t of a window starting at `meta.startFrame[s]` lands on frame `startFrame + t` — the
 *    convention of STG-NF's segment → frame protocol (`scoresToFrames`: "the frame 12 after its first
 *    detection regardless of gaps"), so both mappings agree on windows without gaps.
 * 2. Per person, a frame's S_t and S_{j,t} are the **mean over the windows covering it** (up to T
 *    with stride 1). NFlowAD's card §4.6 allows the window's centre frame or the average; the
 *    average uses every estimate of a frame, reaches the clip's first and last T/2 frames, and is
 *    what per-frame (rather than per-window) scores call for.
 * 3. Per frame, the person with the **highest** mapped S_t (the highest anomaly, i.e. the lowest
 *    normality, as the frame scores take the least normal person); ties go to the lower person id.
 *    The frame's joint row is that person's, so the joints named for a frame belong to the person
 *    whose anomaly the frame reports.
 *
 * @param explanation what the model's `explainSegments` returned for the segments of `meta`
 * @param meta the segments' metadata (`segmentTracks` / a family's `evalSegments`), `segLen` = T
 * @param clips the clips to map onto, with their lengths (e.g. the ground truth's)
 * @param nJoints V, the joints per frame of the model's input
 * @returns one {@link ClipExplanation} per clip, in `clips` order
 * @throws InputError if the arrays' lengths do not match `[N, T]` / `[N, T, V]`, a value is not
 *   finite (naming clip, person and frame), a segment's clip is not in `clips`, or a window reaches
 *   beyond its clip's last frame
 *
 * @example
 * ```ts
 * const segs = family.evalSegments(clips, model.input);
 * const mapped = explainClips(model.explainSegments!(segs.data), segs.meta, gtClips, model.input.joints);
 * mapped[0].frames; // S_t per frame of the first clip
 * ```
 */
export function explainClips(
  explanation: SegmentExplanation,
  meta: SegmentMeta,
  clips: readonly FrameClip[],
  nJoints: number,
): ClipExplanation[] {
  const source = 'explainClips';
  const N = meta.clip.length;
  const T = meta.segLen;
  const V = nJoints;
  if (!(Number.isInteger(V) && V > 0)) throw new InputError(`nJoints must be a positive integer, got ${V}`, { source });
  if (explanation.frames.length !== N * T) {
    throw new InputError(`explanation.frames has ${explanation.frames.length} values, expected N·T = ${N}·${T}`, { source });
  }
  if (explanation.joints.length !== N * T * V) {
    throw new InputError(`explanation.joints has ${explanation.joints.length} values, expected N·T·V = ${N}·${T}·${V}`, { source });
  }
  const clipIndex = new Map(clips.map((c, i) => [c.name, i]));
  // Per clip, per person: running sums and window counts per frame.
  type Acc = { frames: Float64Array; joints: Float64Array; count: Uint32Array };
  const acc: Map<number, Acc>[] = clips.map(() => new Map());
  for (let s = 0; s < N; s++) {
    const name = meta.clipNames[meta.clip[s]!]!;
    const ci = clipIndex.get(name);
    if (ci === undefined) throw new InputError(`segment ${s} belongs to clip ${JSON.stringify(name)}, which is not among the clips given`, { source });
    const F = clips[ci]!.nFrames;
    const person = meta.person[s]!;
    const start = meta.startFrame[s]!;
    if (start + T > F) {
      throw new InputError(`the window at frame ${start} reaches frame ${start + T - 1}, but the clip has ${F} frames`, {
        source,
        location: `clip ${name}, person ${person}`,
      });
    }
    let a = acc[ci]!.get(person);
    if (!a) {
      a = { frames: new Float64Array(F), joints: new Float64Array(F * V), count: new Uint32Array(F) };
      acc[ci]!.set(person, a);
    }
    for (let t = 0; t < T; t++) {
      const f = start + t;
      const v = explanation.frames[s * T + t]!;
      if (!Number.isFinite(v)) {
        throw new InputError(`S_t of segment ${s} at window frame ${t} is ${v}`, { source, location: `clip ${name}, person ${person}, frame ${f}` });
      }
      a.frames[f]! += v;
      a.count[f]!++;
      const src = (s * T + t) * V;
      for (let j = 0; j < V; j++) {
        const w = explanation.joints[src + j]!;
        if (!Number.isFinite(w)) {
          throw new InputError(`S_{j,t} of segment ${s} at window frame ${t}, joint ${j} is ${w}`, {
            source,
            location: `clip ${name}, person ${person}, frame ${f}`,
          });
        }
        a.joints[f * V + j]! += w;
      }
    }
  }
  return clips.map((c, ci) => {
    const F = c.nFrames;
    const persons: PersonExplanation[] = [...acc[ci]!.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([person, a]) => {
        let nCovered = 0;
        for (let f = 0; f < F; f++) {
          const n = a.count[f]!;
          if (n === 0) {
            a.frames[f] = NaN;
            a.joints.fill(NaN, f * V, (f + 1) * V);
            continue;
          }
          nCovered++;
          a.frames[f]! /= n;
          for (let j = 0; j < V; j++) a.joints[f * V + j]! /= n;
        }
        return { person: String(person), frames: a.frames, joints: a.joints, nCovered };
      });
    const frames = new Float64Array(F).fill(NaN);
    const joints = new Float64Array(F * V).fill(NaN);
    const personAt = new Int32Array(F).fill(-1);
    for (let f = 0; f < F; f++) {
      let best = -1;
      for (let p = 0; p < persons.length; p++) {
        const v = persons[p]!.frames[f]!;
        // Strictly greater: on a tie the earlier (lower id) person stays.
        if (!Number.isNaN(v) && (best < 0 || v > persons[best]!.frames[f]!)) best = p;
      }
      if (best < 0) continue;
      personAt[f] = best;
      frames[f] = persons[best]!.frames[f]!;
      joints.set(persons[best]!.joints.subarray(f * V, (f + 1) * V), f * V);
    }
    return { name: c.name, nFrames: F, nJoints: V, frames, joints, personAt, persons };
  });
}
