import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, parseCheckpointJson } from '@skelflow/core';
import { Rng, TrainingDivergedError, TrainingInterruptedError, WeightsError } from '@skelflow/base';
import type { TrainingState } from '@skelflow/model';
import { createStgNf, StgNf, stgNfFromCheckpoint, trainStgNf } from '@skelflow/stg-nf';
import { loadStgNf, saveStgNf } from '@skelflow/stg-nf/node';
import { hasShared, sharedDir } from '@skelflow/testing';

// Issue #14: no broken STG-NF is saved or loaded as a success, and training resumes bit for bit.

/** Smooth synthetic segments (per-joint sinusoids), `[n, 2, T, 18]`. */
function segments(n: number, T: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const per = 2 * T * 18;
  const out = new Float32Array(n * per);
  for (let s = 0; s < n; s++) {
    for (let v = 0; v < 18; v++) {
      const ph = rng.uniform() * 6.28;
      const ox = rng.normal() * 0.5;
      for (let t = 0; t < T; t++) {
        out[s * per + t * 18 + v] = ox + 0.4 * Math.sin(0.3 * t + ph) + 0.02 * rng.normal();
        out[s * per + T * 18 + t * 18 + v] = (v - 9) / 6 + 0.1 * Math.cos(0.3 * t + ph) + 0.02 * rng.normal();
      }
    }
  }
  return out;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-stgnf-trust-'));
const snapshot = (m: StgNf) => new Map([...m.stateDict()].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

describe('STG-NF: sound models only, exact resume (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('lr 10 diverges in its first epoch with a one-line message naming epoch and batch (was: saved with infinite BatchNorm variances)', async () => {
    const model = createStgNf({ segLen: 12, K: 2, seed: 1 });
    const err = await trainStgNf(model, segments(96, 12, 3), undefined, { epochs: 2, batchSize: 32, lr: 10, seed: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toMatch(/^training diverged at epoch 1, batch \d+: (loss .* exploded|loss is (NaN|Infinity)|.* \(not finite or above 1e\+6\))/);
    expect(err.message.split('\n')).toHaveLength(1);
    model.dispose();
  });

  for (const engine of ['fused', 'tfjs'] as const) {
    it(`${engine} engine: stopped mid-epoch and resumed from its checkpoint, the final weights equal the uninterrupted run's bit for bit`, async () => {
      const data = segments(80, 12, 7);
      const opts = { epochs: 2, batchSize: 16, lr: 1e-3, seed: 4, engine };
      const whole = createStgNf({ segLen: 12, K: 2, seed: 5 });
      const history = await trainStgNf(whole, data, undefined, opts);
      const want = snapshot(whole);

      // Stop after 7 batches (epoch 2, batch 3 of 5): the checkpoint is taken there.
      const first = createStgNf({ segLen: 12, K: 2, seed: 5 });
      let saved: { weights: Map<string, Float32Array>; state: TrainingState } | null = null;
      let batches = 0;
      const err = await trainStgNf(first, data, undefined, {
        ...opts,
        shouldStop: () => (++batches >= 7 ? 'SIGINT' : null),
        onCheckpoint: async (state) => {
          saved = { weights: snapshot(first), state: structuredClone(state) };
        },
      }).catch((e) => e);
      expect(err).toBeInstanceOf(TrainingInterruptedError);
      expect(saved!.state).toMatchObject({ epoch: 1, batch: 2, engine });

      // A fresh process would load the checkpoint's model; here: a new model with its weights.
      const resumed = createStgNf({ segLen: 12, K: 2, seed: 123 });
      resumed.loadStateDict(new Map([...saved!.weights].map(([k, v]) => [k, tf.tensor(v, resumed.stateDict().get(k)!.shape, resumed.stateDict().get(k)!.dtype)])));
      const again = await trainStgNf(resumed, data, undefined, { ...opts, resume: saved!.state });
      expect(again).toEqual(history);
      const got = snapshot(resumed);
      for (const [k, v] of want) expect(Array.from(got.get(k)!), k).toEqual(Array.from(v));
      for (const m of [whole, first, resumed]) m.dispose();
    });
  }
});

describe('STG-NF folders are checked against the architecture they declare', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  async function saved(): Promise<string> {
    const model = createStgNf({ segLen: 24, K: 2, seed: 3 });
    const dir = path.join(tmp(), 'm');
    await saveStgNf(dir, model);
    model.dispose();
    return dir;
  }
  const edit = (file: string, f: (j: any) => void) => {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    f(j);
    fs.writeFileSync(file, JSON.stringify(j));
  };

  it('a model.json whose segment length was edited from 24 to 12 is refused (was: loaded and scored differently)', async () => {
    const dir = await saved();
    edit(path.join(dir, 'model.json'), (j) => (j.config.model.segLen = 12));
    await expect(loadStgNf(dir)).rejects.toThrow(/model\.json: config\.model: model\.json and config\.json declare different models \(segLen: 12 vs 24\)/);
  });

  it('NaN in weights.bin is refused naming the file and the tensor (was: a NaN segment score)', async () => {
    const dir = await saved();
    const bin = path.join(dir, 'weights.bin');
    const b = fs.readFileSync(bin);
    b.writeFloatLE(NaN, 0);
    fs.writeFileSync(bin, b);
    await expect(loadStgNf(dir)).rejects.toThrow(/weights\.bin: flow\.transform\.0\.0\.bias: non-finite weight: flow\.transform\.0\.0\.bias\[0\] = NaN/);
  });

  it('a declared K larger than the weights (a missing last flow step) is refused', async () => {
    const dir = await saved();
    for (const f of ['model.json', 'config.json']) edit(path.join(dir, f), (j) => ((f === 'model.json' ? j.config : j).model.K = 3));
    await expect(loadStgNf(dir)).rejects.toThrow(/missing \[flow\.transform\.2\./);
  });

  it('a prior radius that is not the declared R is refused', async () => {
    const dir = await saved();
    for (const f of ['model.json', 'config.json']) edit(path.join(dir, f), (j) => ((f === 'model.json' ? j.config : j).model.R = 0));
    await expect(loadStgNf(dir)).rejects.toThrow(/weights\.bin: flow\.prior\.radius: prior radius 3 in the weights, the config declares R = 0/);
  });

  it("a weights path outside the model folder is refused before anything is read (was: followed to a system file)", async () => {
    const dir = await saved();
    edit(path.join(dir, 'model.json'), (j) => (j.weightsManifest[0].paths = ['../../../../../etc/passwd']));
    await expect(loadStgNf(dir)).rejects.toThrow(WeightsError);
    await expect(loadStgNf(dir)).rejects.toThrow(/is not a file name inside the model folder/);
  });
});

describe.skipIf(!hasShared)('released checkpoints are checked against their args', () => {
  const p = path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json');
  const load = () => parseCheckpointJson(fs.readFileSync(p, 'utf8'), p);
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('a checkpoint missing its last flow step is refused: args.K is honoured (was: loaded with K = 7)', () => {
    const c = load();
    for (const k of [...c.tensors.keys()]) if (k.startsWith('flow.layers.7.')) c.tensors.delete(k);
    expect(() => stgNfFromCheckpoint(c, p)).toThrow(/ShanghaiTech_85_9\.json: flow\.layers\.7: args\.K = 8 but flow step 7 has no weights/);
  });

  it('a conv weight in a permuted layout with the same element count is refused (was: loaded)', () => {
    const c = load();
    const key = 'flow.layers.0.block.0.tcn.2.weight';
    const t = c.tensors.get(key)!;
    expect(t.shape).toEqual([2, 2, 13, 1]);
    c.tensors.set(key, { ...t, shape: [2, 13, 2, 1] });
    expect(() => stgNfFromCheckpoint(c, p)).toThrow(/tcn\.2\.weight: shape \[2,13,2,1\] does not fit the model's \[2,2,13\]/);
  });

  it('R = 0 in the prior while args.R = 3 is refused (was: loaded with R = 0)', () => {
    const c = load();
    const t = c.tensors.get('prior_h_normal')!;
    c.tensors.set('prior_h_normal', { ...t, data: new Float32Array(t.data.length) });
    expect(() => stgNfFromCheckpoint(c, p)).toThrow(/prior_h_normal: the prior's mean is 0, args\.R = 3/);
  });

  it('args.seg_len that disagrees with the prior is refused', () => {
    const c = load();
    c.args.seg_len = 12;
    expect(() => stgNfFromCheckpoint(c, p)).toThrow(/prior_h_normal: args\.seg_len = 12 but the prior covers 24 frames/);
  });

  it('the released checkpoint itself still loads', () => {
    stgNfFromCheckpoint(load(), p).dispose();
  });
});
