/**
 * `@skelflow/mocap/node`: the Node-only helpers (file system), kept out of the main entry so
 * browser bundles never see `node:fs`.
 *
 * @packageDocumentation
 */
export { readAsfAmc, readBvh } from './read_files.js';
export {
  MOCAP_DATASET_MARKER,
  buildMocapDatasetFromFiles,
  loadManifestClips,
  mocapDatasetFiles,
  readMocapManifest,
  writeMocapDataset,
} from './write_builder.js';
export { CMU_02_03_MANIFEST, CMU_ARM_ATTRIBUTION_MANIFEST } from './shipped_manifest.js';
