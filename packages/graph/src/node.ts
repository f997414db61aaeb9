// Node-only helpers (file system). Kept out of the main entry so browser bundles never see node:fs.
export * from './pose/read_dir.js';
export * from './synthetic/write_dataset.js';
export * from './mocap/read_files.js';
export * from './mocap/write_builder.js';
export * from './io/write_layout.js';
