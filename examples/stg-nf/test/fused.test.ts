import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FusedAdamax, clipGradNormInPlace, initBackend, parseCheckpointJson } from '@skelflow/core';
import { InputError, Rng, SkelflowError } from '@skelflow/base';
import { FusedFlow, type FusedPlanContext } from '@skelflow/fused';
import { ActNorm, Chain, ClassConditionalGaussianPrior, InvertibleConv1x1, NormalizingFlow } from '@skelflow/flows';
import { StgcnBlock, buildAdjacency } from '@skelflow/graph';
import { createStgNf, stgNfFromCheckpoint, stgNfNameFromTorch, trainStgNf } from '@skelflow/stg-nf';
import { BACKENDS, expectThrows, hasShared, sharedDir, BRANCH_VARIANTS as VARIANTS, uniformStgcnFlow, type UniformStgcnVariant } from '@skelflow/testing';

// The fused typed-array engine (issue #6's fast path) against two independent references: the
// original PyTorch STG-NF's goldens, and tfjs autodiff through our tensor layers on
// configurations STG-NF does not use (every other kernel branch).

const CHECKPOINTS = ['ShanghaiTech_85_9', 'UBnormal_unsupervised_71_8', 'UBnormal_supervised_79_2'] as const;
/** Float64 PyTorch 1.13 gradient norm on the golden batch (see parity.test.ts): the golden's own float32 error is 3.2e-3. */
const FLOAT64_GRAD_NORM: Partial<Record<(typeof CHECKPOINTS)[number], number>> = { UBnormal_unsupervised_71_8: 11.615709878697517 };

interface Golden {
  input: { shape: number[]; data: number[] };
  z: { shape: number[]; data: number[] };
  nll_bits_per_dim: number[];
  train_step: { batch_rows: [number, number]; loss_before_step: number; grad_norm: number; state_after_step: Record<string, { shape: number[]; data: number[] }> };
}

describe.skipIf(!hasShared).each(CHECKPOINTS)('fused engine vs the original STG-NF: %s', (name) => {
  const ckptPath = path.join(sharedDir, 'data/stgnf/checkpoints', `${name}.json`);
  const golden = hasShared ? (JSON.parse(fs.readFileSync(path.join(sharedDir, 'data/stgnf/golden', `${name}.json`), 'utf8')) as Golden) : null!;
  const ckpt = hasShared ? parseCheckpointJson(fs.readFileSync(ckptPath, 'utf8'), ckptPath) : null!;

  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('eval: NLL within 1e-4 bits/dim and z within 1e-4·max(1, |z|) (one thread and two)', () => {
    const model = stgNfFromCheckpoint(ckpt, ckptPath);
    const fused = model.fused()!;
    expect(fused).toBeInstanceOf(FusedFlow);
    const x = Float32Array.from(golden.input.data);
    const nll = fused.nllBitsPerDim(x, { threads: 0 });
    let nllErr = 0;
    nll.forEach((v, i) => (nllErr = Math.max(nllErr, Math.abs(v - golden.nll_bits_per_dim[i]!))));
    const z = fused.encode(x);
    let zErr = 0;
    z.forEach((v, i) => (zErr = Math.max(zErr, Math.abs(v - golden.z.data[i]!) / Math.max(1, Math.abs(golden.z.data[i]!)))));
    console.log(`[fused] ${name}: max |ΔNLL| = ${nllErr.toExponential(2)}, max |Δz|/max(1,|z|) = ${zErr.toExponential(2)}`);
    expect(nllErr).toBeLessThan(1e-4);
    expect(zErr).toBeLessThan(1e-4);
    // A worker thread runs the same code on its share: identical numbers.
    const nll2 = fused.nllBitsPerDim(x, { threads: 1, minPerThread: 1 });
    expect(fused.workerThreads).toBe(1);
    expect(Array.from(nll2)).toEqual(Array.from(nll));
    model.dispose();
  });

  it('one training step: loss, gradient norm and every tensor after the step', () => {
    const model = stgNfFromCheckpoint(ckpt, ckptPath).train();
    const fused = model.fused()!;
    const [from, to] = golden.train_step.batch_rows;
    const per = golden.input.shape.slice(1).reduce((a, b) => a * b, 1);
    const x = Float32Array.from(golden.input.data.slice(from * per, to * per));
    const loss = fused.lossAndGrad(x);
    const grads = Float64Array.from(fused.grads);
    const norm = clipGradNormInPlace(fused.grads, 100);
    new FusedAdamax(fused.params.length, { lr: 5e-4 }).step(fused.params, fused.grads);
    fused.push();
    const ts = golden.train_step;
    const normRef = FLOAT64_GRAD_NORM[name] ?? ts.grad_norm;
    console.log(`[fused] ${name} train step: loss ${loss} vs ${ts.loss_before_step}, grad norm ${norm} vs ${normRef}`);
    expect(Math.abs(loss - ts.loss_before_step) / ts.loss_before_step).toBeLessThan(1e-5);
    expect(Math.abs(norm - normRef) / normRef).toBeLessThan(1e-4);
    const gradOf = new Map(fused.layout.params.map((p) => [`flow.${p.name}`, grads.subarray(p.offset, p.offset + p.size)]));
    const before = new Map([...ckpt.tensors].map(([k, v]) => [k, v.data]));
    const state = model.stateDict();
    let worst = 0;
    let noise = 0;
    let compared = 0;
    for (const [torchName, t] of Object.entries(ts.state_after_step)) {
      const ours = stgNfNameFromTorch(torchName);
      if (ours === null) continue;
      const v = state.get(ours)!.dataSync();
      const g = gradOf.get(ours);
      const b0 = before.get(torchName)!;
      for (let i = 0; i < t.data.length; i++) {
        // Noise-level gradients (see parity.test.ts): both updates stay within lr.
        if (g && Math.abs(g[i]!) < 1e-7 * norm) {
          expect(Math.abs(v[i]! - b0[i]!)).toBeLessThanOrEqual(5e-4 * 1.0001);
          noise++;
        } else {
          worst = Math.max(worst, Math.abs(v[i]! - t.data[i]!));
        }
      }
      compared++;
    }
    console.log(`[fused] ${name} after step: ${compared} tensors, max |Δ| = ${worst.toExponential(2)}; ${noise} noise-level elements`);
    expect(compared).toBe(Object.keys(ts.state_after_step).length - 3);
    expect(noise).toBeLessThan(100);
    expect(worst).toBeLessThan(1e-5);
    model.dispose();
  });
});

// Flows over [C, T, V] whose steps take every other kernel branch (shared with graph's contract test).
const T = 8;
const V = 5;

const buildFlow = (v: UniformStgcnVariant, seed: number): NormalizingFlow => uniformStgcnFlow(v, seed, T, V);

describe.each(BACKENDS)('fused engine vs tfjs autodiff on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  describe.each(VARIANTS)('$name', (v) => {
    const B = 6;
    const event = v.channels * T * V;
    const rng = new Rng(17);
    const xData = Float32Array.from({ length: B * event }, () => rng.normal());
    const tensorX = () => tf.tensor4d(xData, [B, v.channels, T, V]);
    const labels = v.prior === 'gmm' ? Float32Array.from([1, -1, 1, 1, -1, 1]) : undefined;

    it('train step: ActNorm initialisation, loss, every gradient and every running statistic', () => {
      const x = tensorX();
      const flow = buildFlow(v, 5).train();
      const twin = buildFlow(v, 5).train();
      const fused = FusedFlow.tryCreate(twin, [v.channels, T, V]);
      expect(fused).toBeInstanceOf(FusedFlow);
      const f = fused as FusedFlow;
      const loss = f.lossAndGrad(xData, labels);
      const params = flow.parameters();
      const { value, grads } = tf.variableGrads(() => tf.mean(flow.nllBitsPerDim(x, labels ? { labels: tf.tensor1d(labels) } : {})) as tf.Scalar, params);
      const ref = value.dataSync()[0]!;
      expect(Math.abs(loss - ref)).toBeLessThan(2e-5 * Math.max(1, Math.abs(ref)));
      const byName = new Map(flow.namedParameters());
      let gNorm = 0;
      for (const p of f.layout.params) for (const g of grads[byName.get(p.name)!.name]!.dataSync()) gNorm += g * g;
      gNorm = Math.sqrt(gNorm);
      expect(gNorm).toBeGreaterThan(1e-3);
      // The tensor path's own float32 error bounds the comparison, relative to the whole gradient.
      for (const p of f.layout.params) {
        const g = grads[byName.get(p.name)!.name]!.dataSync();
        for (let i = 0; i < p.size; i++) expect(Math.abs(f.grads[p.offset + i]! - g[i]!), `${p.name}[${i}]`).toBeLessThan(2e-4 * gNorm);
      }
      // Buffers after the train-mode forward: ActNorm flags, BatchNorm running statistics.
      f.push();
      const ours = new Map(twin.namedBuffers().map(([n, b]) => [n, b.dataSync()]));
      for (const [n, b] of flow.namedBuffers()) {
        const a = b.dataSync();
        const o = ours.get(n)!;
        for (let i = 0; i < a.length; i++) expect(Math.abs(o[i]! - a[i]!), `${n}[${i}]`).toBeLessThan(1e-5 * Math.max(1, Math.abs(a[i]!)));
      }
      for (const [n, p] of flow.namedParameters()) {
        // ActNorm's data-dependent initialisation ran in both.
        if (/\.0\.(bias|logs)$/.test(n)) {
          const o = twin.namedParameters().find(([m]) => m === n)![1].dataSync();
          p.dataSync().forEach((val, i) => expect(Math.abs(o[i]! - val)).toBeLessThan(1e-5 * Math.max(1, Math.abs(val))));
        }
      }
      tf.dispose([x, value, ...Object.values(grads)]);
      flow.dispose();
      twin.dispose();
      f.dispose();
    });

    it('eval: log p of both engines (one sample at a time and layer by layer) agree', () => {
      const x = tensorX();
      const flow = buildFlow(v, 9);
      // A train-mode pass first, so running statistics and ActNorm are not at their defaults.
      flow.train();
      tf.dispose(flow.logProb(x, labels ? { labels: tf.ones([B]) } : {}));
      flow.eval();
      const f = FusedFlow.tryCreate(flow, [v.channels, T, V]) as FusedFlow;
      const ref = flow.logProb(x).dataSync();
      const lp = f.logProb(xData, { threads: 0 });
      for (let i = 0; i < B; i++) expect(Math.abs(lp[i]! - ref[i]!)).toBeLessThan(2e-5 * event);
      // The per-sample eval kernel and the batch (training-layout) forward are the same function.
      const z = f.encode(xData);
      const zRef = flow.transform.forward(x).y.dataSync();
      for (let i = 0; i < z.length; i++) expect(Math.abs(z[i]! - zRef[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(zRef[i]!)));
      x.dispose();
      flow.dispose();
      f.dispose();
    });
  });
});

describe('fused engine in the STG-NF model', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('scoreSegments: fused and tensor engines agree, and no tensors are left behind', () => {
    const model = createStgNf({ segLen: 16, seed: 4 });
    const per = 2 * 16 * 18;
    const r3 = new Rng(3);
    const data = Float32Array.from({ length: 40 * per }, () => r3.normal());
    const a = model.scoreSegments(data, { engine: 'tfjs' });
    const b = model.scoreSegments(data, { engine: 'fused', threads: 1 });
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) model.scoreSegments(data.subarray(0, (i % 7 + 1) * per));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('follows weights assigned on the tensor side (pull re-reads what changed)', () => {
    const model = createStgNf({ segLen: 16, seed: 8 });
    const per = 2 * 16 * 18;
    const r = new Rng(12);
    const data = Float32Array.from({ length: 8 * per }, () => r.normal());
    const before = model.scoreSegments(data, { engine: 'fused', threads: 0 });
    const logs = model.actNorms()[3]!.logs;
    tf.tidy(() => logs.assign(tf.add(logs, 0.3)));
    const after = model.scoreSegments(data, { engine: 'fused', threads: 0 });
    const ref = model.scoreSegments(data, { engine: 'tfjs' });
    for (let i = 0; i < 8; i++) {
      expect(Math.abs(after[i]! - before[i]!)).toBeGreaterThan(1e-3);
      expect(Math.abs(after[i]! - ref[i]!)).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it('fused training stops with a typed error on a non-finite loss, before any update', async () => {
    const model = createStgNf({ segLen: 16, seed: 2 });
    const per = 2 * 16 * 18;
    const data = new Float32Array(4 * per).fill(0.5);
    data[per + 7] = NaN;
    const weight = () => Array.from(new Map(model.namedParameters()).get('flow.transform.0.2.net.gcn.weight')!.dataSync());
    const before = weight();
    await expect(trainStgNf(model, data, undefined, { epochs: 1, batchSize: 4, engine: 'fused' })).rejects.toThrow(SkelflowError);
    await expect(trainStgNf(model, data, undefined, { epochs: 1, batchSize: 4, engine: 'fused' })).rejects.toThrow(/loss is NaN/);
    // No optimiser step was applied (ActNorm's data-dependent initialisation runs first, as on tensors).
    expect(weight()).toEqual(before);
    model.dispose();
  });

  it('a flow without fused kernels says why, and engine "fused" is then an input error', () => {
    const flow = new NormalizingFlow(new Chain([new ActNorm(2), new InvertibleConv1x1(2, 1)]), new ClassConditionalGaussianPrior([2, 4, 3]));
    const r = FusedFlow.tryCreate(flow, [2, 4, 3]);
    expect(r).not.toBeInstanceOf(FusedFlow);
    expect((r as { reason: string }).reason).toMatch(/InvertibleConv1x1 has no fused kernel/);
    flow.dispose();
    const model = createStgNf({ segLen: 16, permutation: 'invconv', seed: 1 });
    expect(model.fused()).toBeNull();
    expectThrows(() => model.scoreSegments(new Float32Array(2 * 16 * 18), { engine: 'fused' }), InputError, 'no fused engine', 'InvertibleConv1x1');
    // 'auto' falls back to tensors.
    expect(model.scoreSegments(new Float32Array(2 * 16 * 18)).length).toBe(1);
    model.dispose();
  });

  it('the adjacency decides: a non-uniform graph has no fused kernel', () => {
    const g = buildAdjacency('openpose18', { strategy: 'spatial', maxHop: 1 });
    const block = new StgcnBlock(1, 2, g, { temporalKernel: 3 });
    const ctx: FusedPlanContext = {
      param: () => 0,
      buffer: () => 0,
      eventShape: [1, 16, 18],
      contextSize: 0,
      describe: () => [],
      fail: (reason) => {
        throw new Error(reason);
      },
    };
    expect(block.fusedPlan(ctx)).toBeNull();
    block.dispose();
  });
});
