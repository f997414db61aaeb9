// Regenerates the PyTorch golden fixture of @skelflow/nflowad (not a test):
//   node --import tsx bench/torch/nflowad_model_fixture.ts
// Builds a small NFlowAD (3-D input, 5 joints, one decoder block, per-frame normalisation) from a
// seed, moves every parameter off its initial value (the couplings' zero output layers included),
// marks the ActNorms initialised and sets the score statistics, exports the state, input segments
// and a ρ = 0.3 joint mask as JSON and runs the PyTorch twin (bench/torch/nflowad_model.py golden,
// /usr/bin/python3 with torch 1.13), which writes examples/nflowad/test/fixtures/nflowad_golden.json.
// examples/nflowad/test/golden.test.ts reproduces it on cpu and wasm; CI needs no Python.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor } from '@skelflow/core';
import { ActNorm } from '@skelflow/flows';
import { jointMask } from '@skelflow/nn';
import { Nflowad } from '@skelflow/nflowad';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(repoRoot, 'examples/nflowad/test/fixtures/nflowad_golden.json');
const B = 4;

await initBackend('cpu');
const model = new Nflowad({ segLen: 6, joints: 5, channels: 3, layout: 'test5', dModel: 8, heads: 2, layers: 1, decoderLayers: 1, feedforward: 16, dropout: 0, flowSteps: 2, flowHidden: 16, normalise: 'frame', seed: 2026 });
const c = model.config;
const rng = new Rng('golden/nflowad');
tf.tidy(() => {
  for (const [, v] of model.namedParameters()) v.assign(tf.add(v, normalTensor(rng, v.shape, 0, 0.2)));
  model.scoreStats.assign(tf.tensor1d([0.8, 0.5, -11, 3]));
});
for (const [, m] of model.flow.transform.namedChildren()) if (m instanceof ActNorm) m.markInitialized();
// Off-centre poses with a different spread per frame, so the frame standardisation has work to do.
const x = tf.tidy(() => tf.add(tf.mul(normalTensor(rng, [B, c.channels, c.segLen, c.joints]), 1.7), 0.5));
const mask = tf.tensor3d(jointMask(new Rng('golden/nflowad/mask'), B, c.segLen, c.joints, 0.3), [B, c.segLen, c.joints]);
const arr = (t: tf.Tensor) => ({ shape: [...t.shape], data: Array.from(t.dataSync()) });
const names = model.namedParameters().map(([n]) => n);
const spec = {
  about: 'PyTorch golden of @skelflow/nflowad; regenerate with: node --import tsx bench/torch/nflowad_model_fixture.ts',
  config: c,
  adamLr: 0.01,
  x: arr(x),
  mask: arr(mask),
  maeParameters: names.filter((n) => n.startsWith('mae.')),
  flowParameters: names.filter((n) => n.startsWith('flow.')),
  state: Object.fromEntries([...model.stateDict()].map(([n, v]) => [n, arr(v)])),
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-nflowad-'));
const inFile = path.join(tmp, 'spec.json');
fs.writeFileSync(inFile, JSON.stringify(spec));
fs.mkdirSync(path.dirname(out), { recursive: true });
const partial = `${out}.partial`;
const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/torch/nflowad_model.py'), 'golden', '--in', inFile, '--out', partial], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('nflowad_model_fixture: the PyTorch twin failed');
  process.exit(1);
}
fs.renameSync(partial, out);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${path.relative(repoRoot, out)}`);
tf.dispose([x, mask]);
model.dispose();
