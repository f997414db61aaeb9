import type { Rng } from '@skelflow/base';
import type { ActorTrack } from './motion.js';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../camera/pinhole.js';
import { COCO17_FLIP } from '../layouts/skeletons.js';
import { N_KEYPOINTS } from './skeleton.js';
import { Gaussian, clamp, round3 } from '../numeric.js';
import { frameKey, type PoseDetectionJson, type PoseTracksJson } from '../tracks/types.js';

/** Which person id an actor carries from which frame on (ID switches start a new span). */
export interface IdSpan {
  actor: number;
  id: string;
  /** First frame the id is used (its first detection). */
  start: number;
  /** Last frame with a detection under this id. */
  end: number;
}

/** Result of {@link simulateTracker}. */
export interface TrackerOutput {
  persons: PoseTracksJson;
  /** All id spans, sorted by id. */
  spans: IdSpan[];
  /** Per actor: first and last detected frame (−1 when never detected). */
  detected: { first: number; last: number }[];
}

// Body left/right pairs (shoulders … ankles), from the flip pairs: [5, 6], [7, 8], …, [15, 16].
const SWAP_PAIRS: ReadonlyArray<readonly [number, number]> = COCO17_FLIP.flatMap((r, l) => (l >= 5 && l < r ? [[l, r] as const] : []));

/**
 * Turns noise-free actor tracks into what a detector + pose estimator + tracker would produce.
 * Per frame an actor is detectable when ≥ 55 % of its keypoints are inside the frame and it is
 * at least 16 px large; detections are then dropped by occlusion behind nearer people (by box
 * overlap), by short misses of 1–3 frames (likelier for small people) and rarely by long misses
 * of 8–40 frames. After a miss the tracker may lose the identity (more likely after long or
 * occlusion-caused gaps), and very rarely switches id mid-track — the person continues under a
 * new id. Keypoints get temporally correlated jitter (a few px, more for occluded joints), rare
 * gross outliers, short left/right confusions in side views, noisy confidences (0.05–1, lower
 * for occluded, small and out-of-frame joints; joints outside the frame are clamped to its
 * border as AlphaPose does). Person ids are numbered 1, 2, … in order of first appearance.
 *
 * @param actors - noise-free tracks of all actors in the clip.
 * @param nFrames - clip length.
 * @param rng - the clip's tracker random stream.
 * @returns the person tracks, the id spans and per-actor detected range.
 * @example
 * ```ts
 * const { persons, spans } = simulateTracker(actors, 300, rng.fork());
 * ```
 */
export function simulateTracker(actors: ActorTrack[], nFrames: number, rng: Rng): TrackerOutput {
  const K = N_KEYPOINTS;
  const W1 = FRAME_WIDTH - 1;
  const H1 = FRAME_HEIGHT - 1;
  const g = new Gaussian(rng);
  // Boxes, in-frame fraction and size per actor frame.
  const boxes = actors.map((a) => {
    const box = new Float64Array(a.n * 4);
    const inFrac = new Float32Array(a.n);
    for (let i = 0; i < a.n; i++) {
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      let inside = 0;
      for (let j = 0; j < K; j++) {
        const u = a.uv[i * 2 * K + 2 * j];
        const v = a.uv[i * 2 * K + 2 * j + 1];
        x0 = Math.min(x0, u);
        x1 = Math.max(x1, u);
        y0 = Math.min(y0, v);
        y1 = Math.max(y1, v);
        if (u >= 0 && u < FRAME_WIDTH && v >= 0 && v < FRAME_HEIGHT) inside++;
      }
      box.set([x0, y0, x1, y1], 4 * i);
      inFrac[i] = inside / K;
    }
    return { box, inFrac };
  });
  const sizeOf = (a: number, i: number) => {
    const b = boxes[a].box;
    return Math.max(b[4 * i + 3] - b[4 * i + 1], 0.6 * (b[4 * i + 2] - b[4 * i]));
  };
  // How much of each actor's box is covered by a nearer actor's box, per frame.
  const cover = actors.map((a) => new Float32Array(a.n));
  for (let t = 0; t < nFrames; t++) {
    for (let a = 0; a < actors.length; a++) {
      const ia = t - actors[a].first;
      if (ia < 0 || ia >= actors[a].n) continue;
      for (let b = 0; b < actors.length; b++) {
        const ib = t - actors[b].first;
        if (b === a || ib < 0 || ib >= actors[b].n || actors[b].depth[ib] >= actors[a].depth[ia]) continue;
        const A = boxes[a].box;
        const B = boxes[b].box;
        const w = Math.min(A[4 * ia + 2], B[4 * ib + 2]) - Math.max(A[4 * ia], B[4 * ib]);
        const h = Math.min(A[4 * ia + 3], B[4 * ib + 3]) - Math.max(A[4 * ia + 1], B[4 * ib + 1]);
        if (w <= 0 || h <= 0) continue;
        const area = Math.max((A[4 * ia + 2] - A[4 * ia]) * (A[4 * ia + 3] - A[4 * ia + 1]), 1);
        cover[a][ia] = Math.max(cover[a][ia], (w * h) / area);
      }
    }
  }

  type Seg = { actor: number; start: number; end: number; frames: number[]; dets: PoseDetectionJson[] };
  const segs: Seg[] = [];
  const detected: { first: number; last: number }[] = [];
  const jit = new Float64Array(2 * K);
  const out = new Float64Array(3 * K);
  for (let a = 0; a < actors.length; a++) {
    const tr = actors[a];
    jit.fill(0);
    let gapLeft = 0;
    let lastDet = -1;
    let cur: Seg | null = null;
    let occludedSinceLast = false;
    let swapLeft = 0;
    let first = -1;
    for (let i = 0; i < tr.n; i++) {
      const t = tr.first + i;
      const size = sizeOf(a, i);
      const inFrac = boxes[a].inFrac[i];
      if (inFrac < 0.55 || size < 16) continue;
      if (gapLeft > 0) {
        gapLeft--;
        continue;
      }
      const small = clamp(1 - size / 60, 0, 1);
      const cv = cover[a][i];
      if (cv > 0.45 && rng.uniform() < 0.85 * clamp((cv - 0.45) / 0.4, 0, 1)) {
        occludedSinceLast = true;
        continue;
      }
      if (rng.uniform() < 0.008 + 0.04 * small) {
        gapLeft = rng.int(3);
        continue;
      }
      if (rng.uniform() < 0.0012) {
        gapLeft = 8 + rng.int(33);
        continue;
      }
      // Identity: new track, lost after a gap, or a spontaneous switch.
      const gap = lastDet < 0 ? Infinity : t - lastDet - 1;
      let newId = cur === null;
      if (!newId && gap > 0) {
        let p = gap <= 3 ? 0.03 : gap <= 10 ? 0.25 : 0.6;
        if (occludedSinceLast) p += 0.25;
        newId = rng.uniform() < p;
      } else if (!newId) newId = rng.uniform() < 0.0008;
      if (newId) {
        cur = { actor: a, start: t, end: t, frames: [], dets: [] };
        segs.push(cur);
      }
      occludedSinceLast = false;

      // Keypoint noise and confidences.
      const sigma = 0.5 + 0.012 * size;
      if (swapLeft > 0) swapLeft--;
      else if (rng.uniform() < 0.004 * tr.side[i]) swapLeft = 1 + rng.int(5);
      // A gross outlier hits one joint in ~3 % of detections.
      const outlier = rng.uniform() < 0.034 ? rng.int(K) : -1;
      const uvOff = i * 2 * K;
      for (let j = 0; j < K; j++) {
        const o = tr.occ[i * K + j];
        const s = 0.835 * sigma * (1 + 1.5 * o);
        const nx = g.next();
        const ny = g.next();
        const jx = 0.55 * jit[2 * j] + s * nx;
        const jy = 0.55 * jit[2 * j + 1] + s * ny;
        jit[2 * j] = jx;
        jit[2 * j + 1] = jy;
        let x = tr.uv[uvOff + 2 * j] + jx;
        let y = tr.uv[uvOff + 2 * j + 1] + jy;
        // Confidence noise tied to the position noise: a joint that jumps further is less certain.
        let c = 0.93 - 0.45 * o - 0.3 * small + 0.12 * (0.8 - Math.abs(nx) - Math.abs(ny) * 0.5 + 0.4);
        if (j === outlier) {
          x += 0.15 * size * g.next();
          y += 0.15 * size * g.next();
          c = 0.05 + 0.25 * rng.uniform();
        }
        if (x < 0 || x > W1 || y < 0 || y > H1) {
          x = x < 0 ? 0 : x > W1 ? W1 : x;
          y = y < 0 ? 0 : y > H1 ? H1 : y;
          c = Math.min(c, 0.05 + 0.2 * rng.uniform());
        }
        out[3 * j] = x;
        out[3 * j + 1] = y;
        out[3 * j + 2] = c < 0.05 ? 0.05 : c > 1 ? 1 : c;
      }
      if (swapLeft > 0) {
        for (const [l, r] of SWAP_PAIRS) {
          for (let d = 0; d < 2; d++) {
            const tmp = out[3 * l + d];
            out[3 * l + d] = out[3 * r + d];
            out[3 * r + d] = tmp;
          }
        }
      }
      const keypoints = new Array<number>(3 * K);
      for (let m = 0; m < 3 * K; m++) keypoints[m] = Math.round(out[m] * 1000) / 1000; // = round3
      const score = clamp(0.45 + 0.5 * Math.min(1, size / 110) - 0.5 * (1 - inFrac) - 0.3 * cv + 0.05 * g.next(), 0.05, 0.999);
      cur!.frames.push(t);
      cur!.dets.push({ keypoints, scores: round3(score) });
      cur!.end = t;
      lastDet = t;
      if (first < 0) first = t;
    }
    detected.push({ first, last: lastDet });
  }

  // Ids in order of first appearance, like a tracker's counter.
  segs.sort((p, q) => p.start - q.start || p.actor - q.actor);
  const persons: PoseTracksJson = {};
  const spans: IdSpan[] = [];
  segs.forEach((s, k) => {
    const id = String(k + 1);
    const track: Record<string, PoseDetectionJson> = {};
    for (let m = 0; m < s.frames.length; m++) track[frameKey(s.frames[m])] = s.dets[m];
    persons[id] = track;
    spans.push({ actor: s.actor, id, start: s.start, end: s.end });
  });
  return { persons, spans, detected };
}
