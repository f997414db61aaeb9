// Node-only helpers (file system). Kept out of the main entry so browser bundles never see node:fs.
export * from './read_files.js';
export * from './write_builder.js';
