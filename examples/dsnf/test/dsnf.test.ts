// DSNF as a model: at initialisation (g = 0) it scores exactly as STG-NF built from the same seed;
// with the zero gate the fused engine (STG-NF's fast path) takes it; every objective trains on both
// backends (finite, the gates leave 0 under AWAM); save → load gives the same scores; the family's
// flags reach the config.
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { InputError, Rng } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { createDsnf, dsnfFamily, trainDsnf } from '@skelflow/dsnf';
import { loadDsnf, saveDsnf } from '@skelflow/dsnf/node';
import { createStgNf } from '@skelflow/stg-nf';
import { forEachBackend } from '@skelflow/testing';

function segments(n: number, segLen: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const per = 2 * segLen * 18;
  const out = new Float32Array(n * per);
  for (let s = 0; s < n; s++) {
    const f = 0.2 + 0.1 * rng.uniform();
    for (let v = 0; v < 18; v++) {
      const ph = 2 * Math.PI * rng.uniform();
      for (let t = 0; t < segLen; t++) {
        out[s * per + t * 18 + v] = 0.4 * Math.sin(f * t + ph) + 0.05 * rng.normal();
        out[s * per + (segLen + t) * 18 + v] = (v - 9) / 6 + 0.1 * Math.cos(f * t + ph) + 0.05 * rng.normal();
      }
    }
  }
  return out;
}

forEachBackend('DSNF', (backend) => {
  it('at initialisation (g = 0) the NLL and z equal STG-NF’s from the same seed, bit for bit', () => {
    const dsnf = createDsnf({ segLen: 8, K: 3, seed: 4 });
    const stg = createStgNf({ segLen: 8, K: 3, seed: 4 });
    const x = normalTensor(new Rng(2), [5, 2, 8, 18]);
    expect(Array.from(dsnf.nll(x).dataSync())).toEqual(Array.from(stg.nll(x).dataSync())); // train mode (ActNorm init, batch statistics)
    dsnf.eval();
    stg.eval();
    expect(Array.from(dsnf.nll(x).dataSync())).toEqual(Array.from(stg.nll(x).dataSync()));
    expect(Array.from(dsnf.encode(x).dataSync())).toEqual(Array.from(stg.encode(x).dataSync()));
    expect(dsnf.gates()).toEqual([0, 0, 0]);
    tf.dispose(x);
    dsnf.dispose();
    stg.dispose();
  });

  it('zero gate: the fused engine takes it and agrees with tensors; learnable gate: tensors, with the reason', () => {
    const zero = createDsnf({ segLen: 8, K: 2, gate: 'zero', seed: 1 }).eval();
    const data = segments(6, 8, 3);
    const fused = zero.scoreSegments(data, { engine: 'fused', threads: 0 });
    const tens = zero.scoreSegments(data, { engine: 'tfjs' });
    fused.forEach((v, i) => expect(Math.abs(v - tens[i]!)).toBeLessThan(1e-4));
    const live = createDsnf({ segLen: 8, K: 2, seed: 1 });
    expect(live.fused()).toBeNull();
    expect(live.fusedUnavailableReason).toMatch(/hyperbolic/);
    expect(() => live.scoreSegments(data, { engine: 'fused' })).toThrow(InputError);
    zero.dispose();
    live.dispose();
  });

  it('every objective trains (finite), AWAM moves the gates, save → load scores the same', async () => {
    const data = segments(24, 8, 5);
    // cpu runs the tensor path's heaviest objective only (the cpu kernels are slow); wasm runs all three.
    for (const loss of backend === 'cpu' ? (['awam'] as const) : (['nll', 'mass', 'awam'] as const)) {
      const model = createDsnf({ segLen: 8, K: 2, seed: 7 });
      const history = await trainDsnf(model, data, undefined, { epochs: 1, batchSize: 12, lr: 5e-3, seed: 1, loss });
      expect(history.every(Number.isFinite)).toBe(true);
      expect(model.gates().some((g) => g !== 0)).toBe(true);
      if (loss === 'awam') {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsnf-'));
        await saveDsnf(path.join(dir, 'm'), model.eval());
        const again = await loadDsnf(path.join(dir, 'm'));
        expect(Array.from(again.scoreSegments(data.subarray(0, 4 * 288)))).toEqual(Array.from(model.scoreSegments(data.subarray(0, 4 * 288))));
        expect(again.curvatures()).toEqual(model.curvatures());
        again.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
      model.dispose();
    }
  });

  it('the objective: nll = mean NLL; AWAM weights ≥ 0 with mean ρ_E, ρ_H; BatchNorm statistics move once; no leaks', () => {
    const model = createDsnf({ segLen: 8, K: 2, seed: 3 });
    const x = normalTensor(new Rng(6), [6, 2, 8, 18]);
    model.conditioners.forEach((n) => n.gate!.assign(tf.scalar(0.3)));
    const plain = model.objective(x, undefined, new Rng(1), { loss: 'nll' });
    const meanNll = tf.tidy(() => tf.mean(model.nll(x)).dataSync()[0]!);
    // The second call sees updated running statistics in train mode, but train-mode NLL uses batch statistics.
    expect(plain.loss.dataSync()[0]).toBeCloseTo(meanNll, 5);
    plain.loss.dispose();
    const stats = () => model.namedBuffers().map(([, v]) => Array.from(v.dataSync()));
    const r0 = model.objective(x, undefined, new Rng(1), { loss: 'awam' });
    const before = stats();
    const r = model.objective(x, undefined, new Rng(2), { loss: 'awam' });
    const afterOne = stats();
    const clean = model.nll(x); // one more clean pass = what the objective should have done to the statistics
    clean.dispose();
    expect(afterOne).not.toEqual(before);
    r.weights.forEach((row) => row.forEach((w) => expect(w).toBeGreaterThanOrEqual(0)));
    expect(r.weights.reduce((p, row) => p + row[0]!, 0) / 6).toBeCloseTo(0.5, 6);
    expect(r.weights.reduce((p, row) => p + row[1]!, 0) / 6).toBeCloseTo(1.5, 6);
    r.mass.forEach((row) => row.forEach((m) => expect(Number.isFinite(m) && m > 0).toBe(true)));
    tf.dispose([r0.loss, r.loss]);
    const n0 = tf.memory().numTensors;
    model.objective(x, undefined, new Rng(3), { loss: 'awam' }).loss.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose(x);
    model.dispose();
  });

  it('family flags reach the config (ablations)', () => {
    expect(dsnfFamily.configure({ 'gate-scale': 20 }).gateScale).toBe(20);
    const c = dsnfFamily.configure({ gate: 'zero', loss: 'mass', 'rho-h': 1, weights: 'constant', 'hyperbolic-dim': 16, 'curvature-mode': 'fixed' });
    expect(c).toMatchObject({ gate: 'zero', loss: 'mass', rhoH: 1, weights: 'constant', hyperbolicDim: 16, curvatureMode: 'fixed', segLen: 24, K: 8 });
    const m = dsnfFamily.create({ ...c, segLen: 8, K: 2 });
    expect(m.net.config).toMatchObject({ gate: 'zero', hyperbolicDim: 16, learnCurvature: false });
    m.dispose();
  });
});
