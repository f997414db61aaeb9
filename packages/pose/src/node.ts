// Node-only helpers (file system). Kept out of the main entry so browser bundles never see node:fs.
export * from './tracks/read_dir.js';
export * from './synthetic/write_dataset.js';
export * from './io/write_layout.js';
