import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect } from 'vitest';
import { initBackend } from '@skelflow/core';

/** Backends every tensor suite runs on (cpu: reference kernels; wasm: the Node default). */
export const BACKENDS = ['cpu', 'wasm'] as const;
/** One of {@link BACKENDS}. */
export type TestBackend = (typeof BACKENDS)[number];

/**
 * `describe.each(BACKENDS)` with the backend selected before the block's tests run: a block
 * `"<title> on cpu"`, then `"<title> on wasm"`. Fails (rather than silently testing cpu twice)
 * when `initBackend` falls back to cpu because wasm cannot start.
 *
 * @example
 * ```ts
 * forEachBackend('@skelflow/nn', (backend) => {
 *   it('adds', () => { ... });
 * });
 * ```
 */
export function forEachBackend(title: string, body: (backend: TestBackend) => void, backends: readonly TestBackend[] = BACKENDS): void {
  describe.each(backends)(`${title} on %s`, (backend) => {
    beforeAll(async () => {
      await initBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });
    body(backend);
  });
}

/** Runs `fn` on `backend` and switches back to the backend that was active (for cross-backend checks). */
export async function onBackend<T>(backend: TestBackend, fn: () => T): Promise<T> {
  const previous = tf.getBackend();
  await initBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  try {
    return fn();
  } finally {
    if (previous && previous !== backend) await initBackend(previous as TestBackend);
  }
}
