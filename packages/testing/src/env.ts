import { expect } from 'vitest';
import { InputError } from '@skelflow/base';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root, from this file's location. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** `../shared` beside the repository, where the CC BY-NC test material lives (not in the repo). */
export const sharedDir = path.resolve(repoRoot, '../shared');
export const hasShared = fs.existsSync(path.join(sharedDir, 'data'));
if (!hasShared) console.warn(`[skelflow tests] ${sharedDir} not found: parity tests against the shared goldens are skipped`);

/** Runs `fn`, asserts it throws an instance of `type` whose message matches every part, returns it. */
export function expectThrows<E extends Error>(fn: () => unknown, type: new (...a: never[]) => E, ...parts: (string | RegExp)[]): E {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  for (const p of parts) expect((err as Error).message).toMatch(p);
  return err as E;
}

/** {@link expectThrows} for `InputError`, the error of bad user input. */
export function expectInputError(fn: () => unknown, ...parts: (string | RegExp)[]): InputError {
  return expectThrows(fn, InputError, ...parts);
}

/** Loads `../shared/data/metrics/<file>` (scikit-learn and reference RBDC/TBDC cases), or returns undefined with a visible warning when absent. */
export function loadSharedFixture<T>(file: string): T | undefined {
  const p = path.join(sharedDir, 'data', 'metrics', file);
  if (!fs.existsSync(p)) {
    console.warn(`skipping: ../shared/data/metrics/${file} not found (looked in ${path.dirname(p)})`);
    return undefined;
  }
  return JSON.parse(fs.readFileSync(p, 'utf8')) as T;
}
