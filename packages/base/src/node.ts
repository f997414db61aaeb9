// @skelflow/base/node: file-system helpers (node:fs), a separate entry so browser bundles never see them.
export { recoverFolder, replaceFolder, type ReplaceFolderOptions, resolveFolder, writeFileAtomic } from './atomic_folder.js';
