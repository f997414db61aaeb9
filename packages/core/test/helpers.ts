import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from this file's location. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** `../shared` beside the repository, where the CC BY-NC test material lives (not in the repo). */
export const sharedDir = path.resolve(repoRoot, '../shared');
export const hasShared = fs.existsSync(path.join(sharedDir, 'data'));
if (!hasShared) console.warn(`[skelflow tests] ${sharedDir} not found: parity tests against the shared goldens are skipped`);

/** Backends every tensor suite runs on. */
export const BACKENDS = ['cpu', 'wasm'] as const;
