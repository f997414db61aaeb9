/**
 * `@skelflow/pose/node`: the Node-only helpers (file system), kept out of the main entry so browser
 * bundles never see `node:fs`.
 *
 * @packageDocumentation
 */
export { readGtDir, readPoseDir } from './tracks/read_dir.js';
export { DEMO_MARKER, demoDatasetFiles, writeDemoDataset } from './synthetic/write_dataset.js';
export { poseDatasetFiles, writePoseDataset } from './io/write_layout.js';
export type { PoseDatasetContent } from './io/write_layout.js';
