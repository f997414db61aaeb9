// Regenerates the PyTorch golden fixture of @skelflow/nn's MGNet blocks (not a test):
//   node --import tsx bench/torch/mgnet_blocks_fixture.ts
// Builds a LargeKernelAttention3d(2), an Lsta and a memory from seeds (parameters moved off their
// init so the map is far from linear), exports their weights and inputs as JSON, and runs the
// PyTorch twin (bench/torch/mgnet_blocks.py golden, /usr/bin/python3 with torch 1.13: nn.Conv3d,
// nn.TripletMarginLoss, MNAD's update), which computes every output in float64 and writes
// packages/nn/test/fixtures/mgnet_blocks_golden.json. packages/nn/test/mgnet_golden.test.ts
// reproduces it on cpu and wasm; CI needs no Python.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor, type Module } from '@skelflow/core';
import { CubeVitEncoder, LargeKernelAttention3d, Lsta, drawPatchMask, l2NormalizeRows } from '@skelflow/nn';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(repoRoot, 'packages/nn/test/fixtures/mgnet_blocks_golden.json');

interface Arr {
  shape: number[];
  data: number[];
}
const arr = (t: tf.Tensor): Arr => ({ shape: [...t.shape], data: Array.from(t.dataSync()) });
const named = (m: Module): Record<string, Arr> => Object.fromEntries([...m.stateDict()].map(([n, v]) => [n, arr(v)]));

function perturb(m: Module, seed: string, std: number): void {
  const rng = new Rng(seed);
  for (const [, v] of m.namedParameters()) tf.tidy(() => v.assign(tf.add(v, normalTensor(rng, v.shape, 0, std))));
}

await initBackend('cpu');
const rng = new Rng('golden/mgnet-inputs');
const lka = new LargeKernelAttention3d(2, { seed: 2026 });
perturb(lka, 'golden/lka', 0.1);
const lsta = new Lsta({ seed: 2027 });
perturb(lsta, 'golden/lsta', 0.1);
// MGNet's token grid on 32 × 32 crops with 2 × 8 × 8 cubes of 24 frames: t = 12, h = w = 4.
const lkaX = normalTensor(rng, [2, 2, 6, 5, 4]);
const lstaX = normalTensor(rng, [2, 4, 12, 4, 4]);
const projection = normalTensor(rng, [2, 4, 12, 4, 4]);
const items = l2NormalizeRows(normalTensor(rng, [10, 8]));
const queries = normalTensor(rng, [12, 8]);
// The student encoder at MGNet's cube (2 × 8 × 8) on a small clip: [1, 8, 16, 16, 3] → grid 4 × 2 × 2.
const encoder = new CubeVitEncoder([8, 16, 16, 3], { dim: 8, heads: 2, layers: 2, dimFeedforward: 16, seed: 2028 });
perturb(encoder, 'golden/encoder', 0.05);
const encX = normalTensor(rng, [1, 8, 16, 16, 3]);
const encR = normalTensor(rng, [1, 16, 8]);
const encMask = drawPatchMask(new Rng('golden/encoder-mask'), 4);
const spec = {
  about: 'PyTorch golden of @skelflow/nn MGNet blocks; regenerate with: node --import tsx bench/torch/mgnet_blocks_fixture.ts',
  lka: { weights: named(lka), x: arr(lkaX) },
  lsta: { weights: named(lsta), x: arr(lstaX), projection: arr(projection) },
  memory: { items: arr(items), queries: arr(queries), margin: 1 },
  encoder: { channels: 3, cube: [2, 8, 8], dim: 8, heads: 2, layers: 2, ff: 16, weights: named(encoder), x: arr(encX), projection: arr(encR), mask: Array.from(encMask) },
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-mgnet-'));
const inFile = path.join(tmp, 'weights.json');
fs.writeFileSync(inFile, JSON.stringify(spec));
fs.mkdirSync(path.dirname(out), { recursive: true });
const partial = `${out}.partial`;
const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/torch/mgnet_blocks.py'), 'golden', '--in', inFile, '--out', partial], { stdio: 'inherit' });
fs.rmSync(tmp, { recursive: true, force: true });
if (r.status !== 0) {
  console.error(`mgnet_blocks_fixture: the PyTorch twin failed (status ${r.status}); is python3-torch installed?`);
  process.exit(1);
}
fs.renameSync(partial, out); // atomic: a failed run leaves the committed fixture alone
console.log(`wrote ${path.relative(repoRoot, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KB)`);
