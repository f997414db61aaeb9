/**
 * Deterministic, seeded procedural generator of COCO-17 pose tracks — the embedded demo dataset
 * of `@skelflow` (ShanghaiTech/STG-NF layout). Browser-safe: the file writer lives in
 * `./write_dataset.ts` (Node only) and is deliberately not re-exported here.
 *
 * @module
 */
export {
  generateDemoDataset,
  demoDatasetStats,
  eventMask,
  type AnomalyEvent,
  type ClipTracks,
  type DemoDataset,
  type DemoDatasetMeta,
  type DemoDatasetOptions,
  type DemoDatasetStats,
  type DemoScale,
  type SplitStats,
} from './dataset.js';
export { ANOMALY_KINDS, type AnomalyKind } from './motion.js';
export { DEMO_FPS, FRAME_HEIGHT, FRAME_WIDTH } from './scene.js';
export { COCO17_BONES, COCO17_FLIP, COCO17_KEYPOINTS } from './skeleton.js';
export { frameKey, type PersonTracks, type PoseDetection } from './tracker.js';
// Numeric helpers the mocap camera shares with the generator's camera (one noise model).
export { Gaussian, clamp, round3 } from './util.js';
