// The computation the browser test runs twice, in Node (vitest) and bundled in headless Chromium:
// STG-NF with seeded weights scoring fixed, seeded pose segments. Browser-clean imports only.
import { Rng } from '@skelflow/base';
import { initBackend, type BackendName, type BackendOptions } from '@skelflow/core';
import { createStgNf } from '@skelflow/stg-nf';

export interface FixtureScores {
  backend: string;
  /** The tensor path (tfjs ops on `backend`). */
  tfjs: number[];
  /** The fused float64 engine (calling thread only in a browser). */
  fused: number[];
}

/** 12 segments of 2 × 24 × 18 standard-normal coordinates from `Rng(7)`. */
export function fixedSegments(): Float32Array {
  const rng = new Rng(7);
  const x = new Float32Array(12 * 2 * 24 * 18);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}

export async function scoreFixture(backend: Exclude<BackendName, 'auto'>, options: BackendOptions = {}): Promise<FixtureScores> {
  const used = await initBackend(backend, options);
  const model = createStgNf({ segLen: 24, seed: 11 });
  try {
    const x = fixedSegments();
    const tfjs = Array.from(model.scoreSegments(x, { engine: 'tfjs' }));
    const fused = Array.from(model.scoreSegments(x, { engine: 'fused', threads: 0 }));
    return { backend: used, tfjs, fused };
  } finally {
    model.dispose();
  }
}
