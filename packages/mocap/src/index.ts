// Motion-capture readers (browser-safe): ASF/AMC and BVH parsing, forward kinematics, COCO-17
// mapping, resampling. File-system helpers live in ./read_files.ts (exported from ../node.ts).
export * from './types.js';
export * from './rotation.js';
export * from './asf.js';
export * from './amc.js';
export * from './bvh.js';
export * from './kinematics.js';
export * from './coco_from_mocap.js';
export * from './resample.js';
// Virtual camera, pose-estimator imitation, splicing and the manifest-driven dataset builder
// (browser-safe; the file writer is ./write_builder.ts, exported from ../node.ts).
export * from './camera.js';
export * from './splice.js';
export * from './manifest.js';
export * from './builder.js';
