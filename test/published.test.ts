import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@skelflow/testing';
import { workspacePackages } from '../scripts/workspace.mjs';

// What we publish is dist/, not src/: these tests run the built packages under plain `node`
// (no bundler, no tsx), once as ES modules and once as CommonJS. `pnpm test` builds first.
const PACKAGES = workspacePackages().filter((p) => !p.private);
const dir = path.join(repoRoot, '.tmp', 'published');

const built = PACKAGES.every((p) => fs.existsSync(path.join(repoRoot, p.dir, 'dist', 'index.js')));

// Fused scoring of `model` on one worker thread against the tensor path: sets fusedDiff and workers.
const FUSED_SCORING = `
const segs = Float32Array.from(normalTensor(new Rng(3), [600 * 2 * 8 * 18]).dataSync());
const fusedScores = model.scoreSegments(segs, { engine: 'fused', threads: 1 });
const tensorScores = model.scoreSegments(segs, { engine: 'tfjs' });
let fusedDiff = 0;
for (let i = 0; i < 600; i++) fusedDiff = Math.max(fusedDiff, Math.abs(fusedScores[i] - tensorScores[i]));
const workers = model.fused().workerThreads;`;

function run(file: string, source: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, file);
  fs.writeFileSync(f, source);
  return execFileSync(process.execPath, [f], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
}

describe('the built packages under plain node', () => {
  it('are built (run `pnpm build` first)', () => {
    expect(built).toBe(true);
  });

  it.skipIf(!built)('import and run as ES modules', () => {
    const out = run(
      'esm.mjs',
      `
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { ActNorm, Chain } from '@skelflow/flows';
import { buildAdjacency } from '@skelflow/graph';
import { readPoseDir } from '@skelflow/pose/node';
import { VectorQuantizer } from '@skelflow/vqvae';
import { PoincareBall } from '@skelflow/hyperbolic';
import { rocAuc } from '@skelflow/metrics';
import { runCli } from '@skelflow/cli';
import { createStgNf } from '@skelflow/stg-nf';
const backend = await initBackend('wasm');
const model = createStgNf({ segLen: 8, seed: 1 });
const x = normalTensor(new Rng(2), [3, 2, 8, 18]);
const nll = model.nll(x).dataSync();
// The fused engine from the bundle, on a worker thread (dist/worker.js, which imports the bundled
// kernel modules the plan names: flows', graph's and stg-nf's).
${FUSED_SCORING}
model.dispose();
console.log(JSON.stringify({ backend, nll: Array.from(nll), fusedDiff, workers, auc: rocAuc([0, 1, 1, 0], [0.1, 0.8, 0.7, 0.3]),
  A: buildAdjacency('openpose18', { strategy: 'uniform', maxHop: 8 }).A[0][0][0],
  types: [typeof ActNorm, typeof Chain, typeof VectorQuantizer, typeof PoincareBall, typeof runCli, typeof readPoseDir] }));
`,
    );
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.backend).toBe('wasm');
    expect(r.nll).toHaveLength(3);
    expect(r.nll.every(Number.isFinite)).toBe(true);
    expect(r.fusedDiff).toBeLessThan(1e-4);
    expect(r.workers).toBe(1);
    expect(r.auc).toBe(1);
    expect(r.A).toBeCloseTo(1 / 18, 7);
    expect(r.types).toEqual(Array(6).fill('function'));
  });

  it.skipIf(!built)('require and run as CommonJS', () => {
    const out = run(
      'cjs.cjs',
      `
const { initBackend, normalTensor } = require('@skelflow/core');
const { Rng } = require('@skelflow/base');
const { createStgNf } = require('@skelflow/stg-nf');
const { rocAuc } = require('@skelflow/metrics');
const { ClassConditionalGaussianPrior } = require('@skelflow/flows');
initBackend('cpu').then((backend) => {
  const model = createStgNf({ segLen: 8, seed: 1 });
  const nll = model.nll(normalTensor(new Rng(2), [2, 2, 8, 18])).dataSync();
  // From the CommonJS bundles too, the worker imports the kernel modules (the .cjs files).
  ${FUSED_SCORING}
  model.dispose();
  console.log(JSON.stringify({ backend, nll: Array.from(nll), fusedDiff, workers, auc: rocAuc([0, 1], [0.2, 0.9]), prior: typeof ClassConditionalGaussianPrior }));
});
`,
    );
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.backend).toBe('cpu');
    expect(r.nll.every(Number.isFinite)).toBe(true);
    expect(r.fusedDiff).toBeLessThan(1e-4);
    expect(r.workers).toBe(1);
    expect(r.auc).toBe(1);
    expect(r.prior).toBe('function');
  });

  it.skipIf(!built)('the skelflow binary runs, and bad usage exits 2 with one line', () => {
    const bin = path.join(repoRoot, 'packages/cli/dist/bin.js');
    const help = spawnSync(process.execPath, [bin, 'eval', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: skelflow eval/);
    const bad = spawnSync(process.execPath, [bin, 'eval', '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
