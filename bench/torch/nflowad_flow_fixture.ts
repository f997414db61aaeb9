// Regenerates the PyTorch golden fixture of @skelflow/flows' ConditionalGlow (not a test):
//   node --import tsx bench/torch/nflowad_flow_fixture.ts
// Builds two small conditional Glows on vectors from a seed (LU mixing, reverse mixing), moves
// every parameter off its initial value (the couplings' zero output layers included) and marks the
// ActNorms initialised, exports the state with a batch of vectors h and contexts c as JSON and runs
// the PyTorch twin (bench/torch/nflowad.py golden, /usr/bin/python3 with torch 1.13), which writes
// packages/flows/test/fixtures/conditional_glow_golden.json. The test
// packages/flows/test/conditional_glow_golden.test.ts reproduces it on cpu and wasm; CI needs no Python.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor } from '@skelflow/core';
import { ActNorm, ConditionalGlow, type ConditionalGlowOptions } from '@skelflow/flows';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(repoRoot, 'packages/flows/test/fixtures/conditional_glow_golden.json');
const configs: Record<string, ConditionalGlowOptions> = {
  lu: { dim: 8, contextDim: 5, steps: 2, hidden: 16, hiddenLayers: 2, mixing: 'lu', seed: 2026 },
  reverse: { dim: 7, contextDim: 3, steps: 2, hidden: 12, hiddenLayers: 1, mixing: 'reverse', seed: 2027 },
};

await initBackend('cpu');
const arr = (t: tf.Tensor) => ({ shape: [...t.shape], data: Array.from(t.dataSync()) });
const cases: Record<string, unknown> = {};
for (const [name, config] of Object.entries(configs)) {
  const glow = new ConditionalGlow(config);
  const rng = new Rng(`golden/nflowad-flow/${name}`);
  tf.tidy(() => {
    for (const [, v] of glow.namedParameters()) v.assign(tf.add(v, normalTensor(rng, v.shape, 0, 0.2)));
  });
  for (const [, m] of glow.transform.namedChildren()) if (m instanceof ActNorm) m.markInitialized();
  // Off-centre, unequally scaled vectors, so the ActNorm initialisation has something to undo.
  const h = tf.tidy(() => tf.add(tf.mul(normalTensor(rng, [12, config.dim]), 1.5), 0.4));
  const context = normalTensor(rng, [12, config.contextDim]);
  cases[name] = {
    config: glow.config,
    h: arr(h),
    context: arr(context),
    parameters: glow.namedParameters().map(([n]) => n),
    state: Object.fromEntries([...glow.stateDict()].map(([n, v]) => [n, arr(v)])),
  };
  tf.dispose([h, context]);
  glow.dispose();
}
const spec = {
  about: 'PyTorch golden of @skelflow/flows ConditionalGlow (NFlowAD flow); regenerate with: node --import tsx bench/torch/nflowad_flow_fixture.ts',
  adamLr: 1e-3,
  cases,
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-nflowad-flow-'));
const inFile = path.join(tmp, 'spec.json');
fs.writeFileSync(inFile, JSON.stringify(spec));
fs.mkdirSync(path.dirname(out), { recursive: true });
const partial = `${out}.partial`;
const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/torch/nflowad.py'), 'golden', '--in', inFile, '--out', partial], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('nflowad_flow_fixture: the PyTorch twin failed');
  process.exit(1);
}
fs.renameSync(partial, out);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${path.relative(repoRoot, out)}`);
