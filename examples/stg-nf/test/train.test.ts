import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adamax, initBackend, parseCheckpointJson, trainStep, normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { createStgNf, stgNfFromCheckpoint, trainStgNf } from '@skelflow/stg-nf';
import { loadStgNf, saveStgNf } from '@skelflow/stg-nf/node';
import { BACKENDS, hasShared, sharedDir } from '@skelflow/testing';
import os from 'node:os';

/** Smooth synthetic "walks": per-joint sinusoids with random phase and amplitude, normalised. */
function syntheticSegments(n: number, segLen: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const per = 2 * segLen * 18;
  const out = new Float32Array(n * per);
  for (let s = 0; s < n; s++) {
    const freq = 0.2 + 0.1 * rng.uniform();
    for (let v = 0; v < 18; v++) {
      const ph = rng.uniform() * 2 * Math.PI;
      const amp = 0.3 + 0.2 * rng.uniform();
      const ox = rng.normal() * 0.5;
      const oy = (v - 9) / 6;
      for (let t = 0; t < segLen; t++) {
        out[s * per + t * 18 + v] = ox + amp * Math.sin(freq * t + ph) + 0.02 * rng.normal();
        out[s * per + segLen * 18 + t * 18 + v] = oy + 0.3 * amp * Math.cos(freq * t + ph) + 0.02 * rng.normal();
      }
    }
  }
  return out;
}

describe('STG-NF training on wasm', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('the loss goes down over a few epochs', async () => {
    const model = createStgNf({ segLen: 16, seed: 3 });
    const data = syntheticSegments(256, 16, 11);
    const history = await trainStgNf(model, data, undefined, { epochs: 6, batchSize: 64, lr: 5e-3, seed: 5 });
    console.log(`[train] wasm loss by epoch: ${history.map((l) => l.toFixed(3)).join(' → ')}`);
    expect(history.every(Number.isFinite)).toBe(true);
    expect(history[history.length - 1]!).toBeLessThan(history[0]! - 0.1);
    // Trained segments are more likely than shuffled-joint noise of the same scale.
    const noise = normalTensor(new Rng(9), [64, 2, 16, 18]);
    const normal = model.scoreSegments(data.subarray(0, 64 * 2 * 16 * 18));
    const odd = model.scoreSegments(noise.dataSync() as Float32Array);
    const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(normal)).toBeGreaterThan(mean(odd));
    noise.dispose();
    model.dispose();
  });

  it('supervised mode trains abnormal segments against the N(−R, I) component', async () => {
    const data = syntheticSegments(32, 16, 21);
    const labels = new Int8Array(32).fill(1).fill(-1, 16);
    // One batch, one epoch: the reported loss is the loss before the only update.
    const model = createStgNf({ segLen: 16, R: 3, seed: 8 });
    const [trained] = await trainStgNf(model, data, labels, { epochs: 1, batchSize: 32, seed: 3 });
    const ref = (withLabels: boolean) => {
      const fresh = createStgNf({ segLen: 16, R: 3, seed: 8 }).train();
      const x = tf.tensor4d(data, [32, 2, 16, 18]);
      const y = tf.tensor1d(Array.from(labels));
      const l = fresh.loss(x, withLabels ? y : undefined).dataSync()[0]!;
      tf.dispose([x, y]);
      fresh.dispose();
      return l;
    };
    const withLabels = ref(true);
    const withoutLabels = ref(false);
    expect(trained!).toBeCloseTo(withLabels, 5);
    expect(Math.abs(withLabels - withoutLabels)).toBeGreaterThan(0.1);
    model.dispose();
  });

  it('saves to a folder and loads back to identical scores', async () => {
    const model = createStgNf({ segLen: 16, seed: 6 });
    const data = syntheticSegments(64, 16, 3);
    await trainStgNf(model, data, undefined, { epochs: 1, batchSize: 32, seed: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stgnf-'));
    await saveStgNf(dir, model, { note: 'test' });
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.json', 'weights.bin']);
    await expect(saveStgNf(dir, model)).rejects.toThrow(/already holds a model/);
    const again = await loadStgNf(dir);
    expect(Array.from(again.scoreSegments(data))).toEqual(Array.from(model.scoreSegments(data)));
    expect(again.actNorms().every((a) => a.isInitialized)).toBe(true);
    model.dispose();
    again.dispose();
  });

  it('is deterministic given the seeds', async () => {
    const run = async () => {
      const model = createStgNf({ segLen: 16, seed: 4 });
      const h = await trainStgNf(model, syntheticSegments(64, 16, 1), undefined, { epochs: 1, batchSize: 32, seed: 2 });
      model.dispose();
      return h;
    };
    expect(await run()).toEqual(await run());
  });
});

describe.each(BACKENDS)('STG-NF memory on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  it('numTensors is unchanged after 100 scoring calls and 20 training steps', () => {
    // Small shapes: the count of live tensors, not the arithmetic, is under test.
    const model = createStgNf({ segLen: 8, seed: 1 });
    const data = syntheticSegments(4, 8, 2);
    model.scoreSegments(data); // warm-up: lazily created constants (none expected, but allowed)
    const start = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) model.scoreSegments(data);
    expect(tf.memory().numTensors).toBe(start);
    const params = model.parameters();
    const opt = new Adamax(params, { lr: 5e-4 });
    const x = tf.tensor4d(data, [4, 2, 8, 18]);
    model.train();
    trainStep(params, () => model.loss(x), opt, 100);
    const mid = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) trainStep(params, () => model.loss(x), opt, 100);
    expect(tf.memory().numTensors).toBe(mid);
    tf.dispose(x);
    opt.dispose();
    model.dispose();
  });
});

describe.skipIf(!hasShared)('STG-NF checkpoint loading', () => {
  it('rejects a checkpoint whose tensors do not fit, naming the file and tensor', () => {
    const p = path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json');
    const ckpt = parseCheckpointJson(fs.readFileSync(p, 'utf8'), p);
    const bad = ckpt.tensors.get('flow.layers.2.block.0.tcn.2.weight')!;
    ckpt.tensors.set('flow.layers.2.block.0.tcn.2.weight', { ...bad, shape: [2, 2, 3, 1], data: bad.data.subarray(0, 12) });
    expect(() => stgNfFromCheckpoint(ckpt, p)).toThrow(/ShanghaiTech_85_9\.json: flow\.layers\.2\.block\.0\.tcn\.2\.weight: has 12 values/);
  });
});
