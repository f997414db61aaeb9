/**
 * NFlowAD's attribution check (issue #15): on clips where one arm is rotated while the rest walks
 * on (`packages/mocap/manifests/cmu-arm-attribution.json`), do the flagged frames name that arm's
 * joints among their top 3?
 *
 * Reads `skelflow eval` reports of an explaining model (their per-clip `explanation`) and the
 * dataset's `gt/test_joint_labels/<clip>.json` sidecars (arm, frame range, the arm's joints by layout
 * name), and prints, per report and pooled: the flagged frames inside the rotation range and the
 * fraction whose top-3 joints include one of the arm's joints (shoulder, elbow, wrist) or one of the
 * moved joints (elbow, wrist); and, over every scored frame of the range whether flagged or not, the
 * fraction whose top 3 by S_{j,t} include an arm joint. Chance for 3 of 18 joints is 1 − C(15,3)/C(18,3) ≈ 0.44.
 *
 * ```sh
 * pnpm skelflow mocap-dataset --manifest packages/mocap/manifests/cmu-arm-attribution.json --mocap ../shared/data/cmu-mocap --out /tmp/nfl-arm-ds
 * pnpm skelflow eval --model <nflowad model> --poses /tmp/nfl-arm-ds/pose/test --gt /tmp/nfl-arm-ds/gt/test_frame_mask --out /tmp/arm-eval.json
 * node --import tsx bench/nflowad_attribution.ts --labels /tmp/nfl-arm-ds/gt/test_joint_labels /tmp/arm-eval.json [more reports…]
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { topJoints } from '@skelflow/model';

interface ArmLabels {
  arm: string;
  from: number;
  to: number;
  moved: Record<string, string[]>;
  armJoints: Record<string, string[]>;
}

interface ReportClip {
  name: string;
  explanation?: {
    jointScores: (number | null)[][];
    decisions?: { flaggedFrames: number[]; topJoints: { frame: number; top: { joint: string }[] }[] };
  };
}

interface Report {
  jointNames?: string[];
  clips: ReportClip[];
}

function fail(message: string): never {
  process.stderr.write(`nflowad_attribution: ${message}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({ options: { labels: { type: 'string' }, layout: { type: 'string', default: 'openpose18' } }, allowPositionals: true });
if (!values.labels || positionals.length === 0) fail('usage: --labels <gt/test_joint_labels dir> <eval report.json>…');
const layout = values.layout!;

const pooled = { flagged: 0, arm: 0, moved: 0, frames: 0, framesArm: 0 };
for (const file of positionals) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  const names = report.jointNames;
  if (!names) fail(`${file}: no jointNames — not the report of an explaining model`);
  const r = { flagged: 0, arm: 0, moved: 0, frames: 0, framesArm: 0, clips: 0 };
  for (const clip of report.clips) {
    const labelFile = path.join(values.labels!, `${clip.name}.json`);
    if (!fs.existsSync(labelFile)) continue;
    const labels = JSON.parse(fs.readFileSync(labelFile, 'utf8')) as ArmLabels;
    const arm = new Set(labels.armJoints[layout] ?? fail(`${labelFile}: no armJoints.${layout}`));
    const moved = new Set(labels.moved[layout] ?? []);
    const e = clip.explanation;
    if (!e?.decisions) fail(`${file}: clip ${clip.name} has no explanation decisions`);
    r.clips++;
    const top = new Map(e.decisions.topJoints.map((t) => [t.frame, t.top.map((j) => j.joint)]));
    for (const f of e.decisions.flaggedFrames) {
      if (f < labels.from || f >= labels.to) continue;
      const t = top.get(f) ?? [];
      r.flagged++;
      if (t.some((j) => arm.has(j))) r.arm++;
      if (t.some((j) => moved.has(j))) r.moved++;
    }
    for (let f = labels.from; f < labels.to; f++) {
      const row = e.jointScores[f];
      if (!row || row.some((v) => v === null)) continue;
      r.frames++;
      if (topJoints(row as number[], names, 3).some((j) => arm.has(j.joint))) r.framesArm++;
    }
  }
  const frac = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : 'n/a');
  console.log(
    `${file}: ${r.clips} arm clips; flagged frames in the rotation range ${r.flagged}, top 3 names an arm joint ${r.arm} (${frac(r.arm, r.flagged)}), a moved joint ${r.moved} (${frac(r.moved, r.flagged)}); every scored frame of the range: ${r.framesArm}/${r.frames} (${frac(r.framesArm, r.frames)})`,
  );
  for (const k of ['flagged', 'arm', 'moved', 'frames', 'framesArm'] as const) pooled[k] += r[k];
}
if (positionals.length > 1) {
  console.log(
    `pooled: flagged frames in range ${pooled.flagged}, arm in top 3 ${(pooled.arm / Math.max(pooled.flagged, 1)).toFixed(3)}, moved joint ${(pooled.moved / Math.max(pooled.flagged, 1)).toFixed(3)}; every frame of the range ${(pooled.framesArm / Math.max(pooled.frames, 1)).toFixed(3)}`,
  );
}
