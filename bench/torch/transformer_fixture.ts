// Regenerates the PyTorch golden fixture of @skelflow/nn's Transformer blocks (not a test):
//   node --import tsx bench/torch/transformer_fixture.ts
// Builds a small AutoregressiveTokenModel and a MultiHeadAttention from seeds (parameters moved
// off their init so no bias is zero), exports their weights and inputs as JSON, and runs the
// PyTorch twin (bench/torch/transformer.py golden, /usr/bin/python3 with torch 1.13), which
// computes every output in float64 with PyTorch's own modules and writes
// packages/nn/test/fixtures/transformer_golden.json. packages/nn/test/transformer_golden.test.ts
// reproduces it on cpu and wasm; CI needs no Python.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor, type Module } from '@skelflow/core';
import { AutoregressiveTokenModel, MultiHeadAttention } from '@skelflow/nn';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(repoRoot, 'packages/nn/test/fixtures/transformer_golden.json');
const config = { numTokens: 13, maxLength: 6, dModel: 12, numHeads: 3, numLayers: 2, dimFeedforward: 24, dropout: 0 };

interface Arr {
  shape: number[];
  data: number[];
}
const arr = (t: tf.Tensor): Arr => ({ shape: [...t.shape], data: Array.from(t.dataSync()) });

function named(m: Module): Record<string, Arr> {
  return Object.fromEntries([...m.stateDict()].map(([n, v]) => [n, arr(v)]));
}

function perturb(m: Module, seed: string): void {
  const rng = new Rng(seed);
  for (const [, v] of m.namedParameters()) tf.tidy(() => v.assign(tf.add(v, normalTensor(rng, v.shape, 0, 0.2))));
}

await initBackend('cpu');
const model = new AutoregressiveTokenModel({ ...config, seed: 2026 });
perturb(model, 'golden/token-model');
const rng = new Rng('golden/tokens');
const tokens = Array.from({ length: 4 }, () => Array.from({ length: config.maxLength }, () => rng.int(config.numTokens)));
const mha = new MultiHeadAttention(12, 3, { seed: 2027 });
perturb(mha, 'golden/attention');
const query = normalTensor(rng, [2, 3, 12]);
const keyValue = normalTensor(rng, [2, 5, 12]);
const spec = {
  about: 'PyTorch golden of @skelflow/nn Transformer blocks; regenerate with: node --import tsx bench/torch/transformer_fixture.ts',
  config,
  tokens,
  tokenModel: named(model),
  sgdLr: 0.1,
  adamLr: 1e-3,
  attention: { dModel: 12, numHeads: 3, weights: named(mha), query: arr(query), keyValue: arr(keyValue), keyPaddingMask: [[0, 0, 1, 0, 1], [0, 0, 0, 0, 1]] },
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-transformer-'));
const inFile = path.join(tmp, 'weights.json');
fs.writeFileSync(inFile, JSON.stringify(spec));
fs.mkdirSync(path.dirname(out), { recursive: true });
const partial = `${out}.partial`;
const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/torch/transformer.py'), 'golden', '--in', inFile, '--out', partial], { stdio: 'inherit' });
fs.rmSync(tmp, { recursive: true, force: true });
if (r.status !== 0) {
  console.error(`transformer_fixture: the PyTorch twin failed (status ${r.status}); is python3-torch installed?`);
  process.exit(1);
}
fs.renameSync(partial, out); // atomic: a failed run leaves the committed fixture alone
console.log(`wrote ${path.relative(repoRoot, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KB)`);
