import { buildMocapDatasetFromFiles, CMU_02_03_MANIFEST } from '@skelflow/mocap/node';
import { columns } from '../help.js';
import { displayPath } from '../paths.js';
import { ProgressBar } from '../progress.js';
import { parseFlags, type Io } from '../usage_error.js';

export const MOCAP_DATASET_USAGE = `Usage: skelflow mocap-dataset --mocap <dir> --out <dir> [--manifest <manifest.json>]

Builds a labelled pose-track anomaly dataset from motion capture (CMU ASF/AMC): the manifest lists
normal training clips (source frame ranges, camera views, seeds) and test clips spliced from
labelled segments (normal | abnormal) with continuous root position and heading. Every clip is
resampled to the manifest's fps (30), filmed by virtual pinhole cameras (856×480) and degraded like
a pose estimator + tracker (jitter, confidences, missed joints and frames, lost identities).
Writes the ShanghaiTech layout that 'skelflow train' / 'skelflow eval' / 'skelflow benchmark' read:

  <out>/pose/train/SS_CCCC_alphapose_tracked_person.json   (SS = camera, CCCC = manifest entry)
  <out>/pose/test/SS_CCCC_alphapose_tracked_person.json
  <out>/pose3d/train/SS_CCCC_tracked_person_3d.json         (3-D: the true joints in the camera's
  <out>/pose3d/test/SS_CCCC_tracked_person_3d.json           coordinates, metres, same person/frame keys)
  <out>/gt/test_frame_mask/SS_CCCC.npy                      (uint8, 1 = abnormal; 2-D and 3-D)
  <out>/gt/test_joint_labels/SS_CCCC.json                   (test entries with armRotation: the moved arm's
                                                             joints by layout name, frames, angle schedule)
  <out>/.skelflow-mocap-dataset                             (what was built, per clip)

${columns([
  ['--mocap <dir>', "folder the manifest's clip files are relative to (CMU layout: 02/02.asf, 02/02_01.amc)"],
  ['--out <dir>', 'output folder: new, empty, or written by this command before'],
  ['--manifest <file>', 'the manifest (format: docs/mocap.md); default: cmu-02-03, shipped in @skelflow/mocap;\nalso shipped: packages/mocap/manifests/cmu-arm-attribution.json (one arm rotated\nwhile the body walks on: the joint-attribution test of NFlowAD)'],
])}

The default manifest (CMU subjects 02 and 03: walks as normal; running, jumping, punching, bending,
swordplay, washing as abnormal) needs the motion files of the CMU Graphics Lab Motion Capture
Database, which is not redistributed here: download the ASF/AMC files of subjects 02 and 03 from
http://mocap.cs.cmu.edu (each subject's page, or the zip file of all ASF/AMC files its FAQ links),
then pass the folder that holds the subject folders 02/ and 03/ as --mocap. The terms of use and
the acknowledgement CMU asks for are on mocap.cs.cmu.edu.
`;

/** `skelflow mocap-dataset`. */
export async function mocapDatasetCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseFlags('mocap-dataset', argv, {
    manifest: { type: 'string' },
    mocap: { type: 'string' },
    out: { type: 'string' },
  }, ['mocap', 'out']);
  if (help) {
    io.stdout(MOCAP_DATASET_USAGE);
    return 0;
  }
  const t0 = Date.now();
  const bars = { read: new ProgressBar('reading mocap', 1, io.stderr), build: new ProgressBar('filming', 1, io.stderr) };
  const { dataset, written } = await buildMocapDatasetFromFiles({
    manifest: values.manifest ?? CMU_02_03_MANIFEST,
    mocap: values.mocap!,
    out: values.out!,
    onProgress: (stage, done, total) => bars[stage].setTotal(total).update(done),
  });
  bars.build.done();
  const m = dataset.meta;
  const pct = (a: number, b: number) => (b > 0 ? ((100 * a) / b).toFixed(1) : '0.0');
  io.stderr(
    `train: ${m.train.clips} clips, ${m.train.frames} frames (${pct(m.train.detectedFrames, m.train.frames)} % detected)\n` +
      `test:  ${m.test.clips} clips, ${m.test.frames} frames, ${m.test.abnormalFrames} abnormal (${pct(m.test.abnormalFrames, m.test.frames)} %), ${pct(m.test.detectedFrames, m.test.frames)} % detected\n`,
  );
  const n3 = written.files.filter((f) => f.startsWith('pose3d/')).length;
  io.stderr(`3-D:   ${n3} clips of 3-D tracks in pose3d/ (camera coordinates, metres), sharing the masks\n`);
  io.stdout(`wrote ${written.files.length} files (${(written.bytes / 1e6).toFixed(1)} MB) to ${displayPath(written.dir)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}
