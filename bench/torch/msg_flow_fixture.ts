// Regenerates the PyTorch golden fixture of @skelflow/msg-flow (not a test):
//   node --import tsx bench/torch/msg_flow_fixture.ts
// Builds a small MSG-Flow from a seed, moves every parameter and buffer off its initial value
// (BatchNorm statistics, ActNorm and codebook marked initialised, EMA counts around the reset
// threshold, context projection, score statistics), exports the state and input segments as JSON
// and runs the PyTorch twin (bench/torch/msg_flow.py golden, /usr/bin/python3 with torch 1.13),
// which writes examples/msg-flow/test/fixtures/msg_flow_golden.json. The test
// examples/msg-flow/test/golden.test.ts reproduces it on cpu and wasm; CI needs no Python.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor } from '@skelflow/core';
import { MsgFlow } from '@skelflow/msg-flow';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(repoRoot, 'examples/msg-flow/test/fixtures/msg_flow_golden.json');
const config = {
  segLen: 8, joints: 18, vqWidth: 8, codeDim: 4, codebook: 8, downT: 1, vqDepth: 2, dilationGrowth: 3, depth: 2,
  mu: 0.99, commitment: 0.02, velocity: 0.1, dModel: 8, heads: 2, layers: 1, dropout: 0, hidden: 'predicting' as const,
  flowSteps: 2, R: 3, contextChannels: 2, lambda: 1, score: 'fused' as const, seed: 2026,
};

await initBackend('cpu');
const model = new MsgFlow(config);
const rng = new Rng('golden/msg-flow');
tf.tidy(() => {
  for (const [, v] of model.namedParameters()) v.assign(tf.add(v, normalTensor(rng, v.shape, 0, 0.2)));
  for (const [name, v] of model.namedBuffers()) {
    if (name.endsWith('runningMean')) v.assign(normalTensor(rng, v.shape, 0, 0.3));
    else if (name.endsWith('runningVar')) v.assign(tf.exp(normalTensor(rng, v.shape, 0, 0.3)));
    else if (name.endsWith('initialized')) v.assign(tf.onesLike(v));
  }
  const q = model.tokenizer.quantizer;
  q.embeddings.assign(normalTensor(rng, q.embeddings.shape, 0, 0.5));
  const size = tf.add(0.5, tf.mul(1.5, tf.tensor1d(Array.from({ length: config.codebook }, () => rng.uniform()))));
  q.clusterSize.assign(size);
  q.embedAvg.assign(tf.mul(q.embeddings, tf.reshape(size, [-1, 1])));
  model.contextMean.assign(normalTensor(rng, [config.dModel], 0, 0.3));
  model.contextBasis.assign(normalTensor(rng, [config.contextChannels, config.dModel], 0, 0.5));
  model.scoreStats.assign(tf.tensor1d([2.1, 0.4, 1.7, 0.3]));
});
const x = normalTensor(rng, [16, 2, config.segLen, 18], 0, 0.7);
const arr = (t: tf.Tensor) => ({ shape: [...t.shape], data: Array.from(t.dataSync()) });
const spec = {
  about: 'PyTorch golden of @skelflow/msg-flow; regenerate with: node --import tsx bench/torch/msg_flow_fixture.ts',
  config,
  sgdLr: 0.05,
  x: arr(x),
  parameters: model.namedParameters().map(([n]) => n),
  state: Object.fromEntries([...model.stateDict()].map(([n, v]) => [n, arr(v)])),
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-msgflow-'));
const inFile = path.join(tmp, 'spec.json');
fs.writeFileSync(inFile, JSON.stringify(spec));
fs.mkdirSync(path.dirname(out), { recursive: true });
const partial = `${out}.partial`;
const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'bench/torch/msg_flow.py'), 'golden', '--in', inFile, '--out', partial], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('msg_flow_fixture: the PyTorch twin failed');
  process.exit(1);
}
fs.renameSync(partial, out);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${path.relative(repoRoot, out)}`);
model.dispose();
