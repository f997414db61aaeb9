import { coco17ToOpenPose18, type PoseClip } from '@skelflow/pose';
import type { ReportData, SegmentSkeleton } from './report_html.js';

/**
 * The `count` lowest-scoring segments of a report with their poses (OpenPose-18, as the model saw
 * them before normalisation), for the report's skeleton view. At most one segment per person
 * window: a segment overlapping one already picked for the same clip and person is skipped. A frame
 * the person was not detected in repeats the last detected pose.
 */
export function mostAnomalousSegments(report: ReportData, clips: readonly PoseClip[], count = 6): SegmentSkeleton[] {
  const byName = new Map(clips.map((c) => [c.name, c]));
  const all = report.clips.flatMap((c) => c.segments.map((s) => ({ clip: c.name, ...s })));
  all.sort((a, b) => a.score - b.score);
  const picked: SegmentSkeleton[] = [];
  for (const s of all) {
    if (picked.length >= count) break;
    if (!Number.isFinite(s.score)) continue;
    if (picked.some((p) => p.clip === s.clip && p.person === s.person && Math.abs(p.start - s.start) < report.segLen)) continue;
    const track = byName.get(s.clip)?.tracks.get(s.person);
    if (!track || track.frames.length === 0) continue;
    const frames: number[][][] = [];
    let k = 0;
    for (let t = s.start; t < s.start + report.segLen; t++) {
      while (k + 1 < track.frames.length && track.frames[k + 1]! <= t) k++;
      const op = coco17ToOpenPose18(track.keypoints.subarray(k * 51, (k + 1) * 51));
      frames.push(Array.from({ length: 18 }, (_, j) => [op[3 * j]!, op[3 * j + 1]!, op[3 * j + 2]!]));
    }
    picked.push({ clip: s.clip, person: s.person, start: s.start, score: s.score, frames });
  }
  return picked;
}
