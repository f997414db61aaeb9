import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, Rng } from '@skelflow/base';
import { initBackend, normalTensor } from '@skelflow/core';
import { ActNorm, AffineCoupling, Chain, ReverseChannels, type BijectorModule } from '@skelflow/flows';
import { StgcnBlock } from '@skelflow/graph';
import { buildConditionalStgNf, fitScoreStats, MsgFlow, msgFlowFamily, trainFlow, trainPrior, trainTokenizer, type MsgFlowConfig } from '@skelflow/msg-flow';
import { loadMsgFlow, saveMsgFlow } from '@skelflow/msg-flow/node';
import { createStgNf } from '@skelflow/stg-nf';
import { forEachBackend, logAbsDetJs, perSampleJacobians } from '@skelflow/testing';
import { walks } from './walks.js';

// MSG-Flow's model-card properties (model-cards §2.7, items 7–9) and its model contract, on cpu and wasm.

const TINY: MsgFlowConfig = { segLen: 8, vqWidth: 8, codeDim: 4, codebook: 8, vqDepth: 1, dModel: 8, heads: 2, layers: 1, flowSteps: 2, contextChannels: 2, seed: 3 };
const FAST = { batchSize: 16, vqEpochs: 1, priorEpochs: 1, flowEpochs: 1, seed: 1 };

const snapshot = (m: { namedParameters(): [string, tf.Variable][]; namedBuffers(): [string, tf.Variable][] }) =>
  new Map([...m.namedParameters(), ...m.namedBuffers()].map(([n, v]) => [n, Array.from(v.dataSync())]));

/** A small conditional flow over [2, T = 4, V = 3] with a uniform graph, randomised context weights and BatchNorm statistics. */
function smallConditionalFlow(cc: number): Chain {
  const rng = new Rng(21);
  const adjacency = [Array.from({ length: 3 }, () => [1 / 3, 1 / 3, 1 / 3])];
  const steps: BijectorModule[] = [];
  for (let k = 0; k < 2; k++) {
    const net = new StgcnBlock(1, 2, adjacency, { temporalKernel: 3, residual: k === 0 ? 'none' : 'conv', contextChannels: cc, rng: rng.fork() });
    tf.tidy(() => {
      for (const w of [net.ctxGcn, net.ctxRes]) if (w) w.assign(normalTensor(rng, w.shape, 0, 0.7));
      for (const bn of [net.tcnBn1, net.tcnBn2, net.resBn]) {
        if (!bn) continue;
        bn.runningMean.assign(normalTensor(rng, bn.runningMean.shape, 0, 0.3));
        bn.runningVar.assign(tf.exp(normalTensor(rng, bn.runningVar.shape, 0, 0.3)));
      }
    });
    steps.push(new Chain([new ActNorm(2), new ReverseChannels(), new AffineCoupling(net, { split: 1 })]));
  }
  const chain = new Chain(steps);
  chain.eval();
  return chain;
}

forEachBackend('MSG-Flow', () => {
  it('conditional flow: f⁻¹(f(x; c); c) = x, log-det = log|det J| of the autodiff Jacobian, and c changes z', () => {
    const flow = smallConditionalFlow(2);
    const rng = new Rng(22);
    const x = normalTensor(rng, [2, 2, 4, 3]);
    const c = normalTensor(rng, [2, 2, 4, 1]);
    const c2 = normalTensor(rng, [2, 2, 4, 1]);
    const f = flow.forward(x, c);
    const back = flow.inverse(f.y, c);
    expect(tf.max(tf.abs(tf.sub(back.x, x))).dataSync()[0]).toBeLessThan(1e-5);
    const jac = perSampleJacobians((xx) => flow.forward(xx, c).y, x);
    const ld = Array.from(f.logDet.dataSync());
    jac.forEach((j, s) => expect(Math.abs(logAbsDetJs(j) - ld[s]!)).toBeLessThan(1e-3));
    const g = flow.forward(x, c2);
    expect(tf.max(tf.abs(tf.sub(g.y, f.y))).dataSync()[0]).toBeGreaterThan(1e-3);
    const back2 = flow.inverse(g.y, c2);
    expect(tf.max(tf.abs(tf.sub(back2.x, x))).dataSync()[0]).toBeLessThan(1e-5);
    expect(() => flow.forward(x)).toThrow(/context/);
    tf.dispose([x, c, c2, f.y, f.logDet, back.x, back.logDet, g.y, g.logDet, back2.x, back2.logDet]);
    flow.dispose();
  });

  it("an untrained context reproduces STG-NF's z and log-det for the same seed (any context)", () => {
    const stg = createStgNf({ segLen: 8, K: 3, seed: 5 });
    const flow = buildConditionalStgNf({ segLen: 8, joints: 18, flowSteps: 3, R: 3, contextChannels: 4 }, new Rng(5));
    const rng = new Rng(6);
    const x = normalTensor(rng, [3, 2, 8, 18]);
    const c = normalTensor(rng, [3, 4, 8, 1], 0, 3);
    // Same batch statistics in both (train mode), then eval mode with the updated running statistics.
    for (const mode of ['train', 'eval'] as const) {
      stg.train(mode === 'train');
      flow.train(mode === 'train');
      const a = stg.flow.transform.forward(x);
      const b = flow.transform.forward(x, c);
      expect(Array.from(b.y.dataSync())).toEqual(Array.from(a.y.dataSync()));
      expect(Array.from(b.logDet.dataSync())).toEqual(Array.from(a.logDet.dataSync()));
      tf.dispose([a.y, a.logDet, b.y, b.logDet]);
    }
    tf.dispose([x, c]);
    stg.dispose();
    flow.dispose();
  });

  it('stage isolation: training the flow leaves the tokenizer and the prior (codebook included) bit-identical; training segments score mean 0, std 1', async () => {
    const data = walks(32, 8, 7);
    const model = new MsgFlow(TINY);
    const vq = await trainTokenizer(model, data, FAST);
    expect(vq).toHaveLength(1);
    expect(vq[0]!.activeCodes).toBeGreaterThan(0);
    await trainPrior(model, data, FAST);
    const tok = snapshot(model.tokenizer);
    const pri = snapshot(model.prior);
    const flowBefore = snapshot(model.flow);
    const history = await trainFlow(model, data, FAST);
    expect(history).toHaveLength(1);
    expect(snapshot(model.tokenizer)).toEqual(tok);
    expect(snapshot(model.prior)).toEqual(pri);
    expect(snapshot(model.flow)).not.toEqual(flowBefore);
    // The context projections were trained (they start at zero).
    const ctx = model.flow.namedParameters().filter(([n]) => n.endsWith('ctxGcn'));
    expect(ctx.length).toBe(2);
    expect(ctx.some(([, v]) => tf.max(tf.abs(v)).dataSync()[0]! > 0)).toBe(true);
    fitScoreStats(model, data);
    const parts = model.scoreParts(data);
    for (const which of ['sem', 'det'] as const) {
      const z = model.combine(parts, which);
      const m = z.reduce((a, b) => a + b, 0) / z.length;
      const sd = Math.sqrt(z.reduce((a, b) => a + (b - m) ** 2, 0) / z.length);
      expect(Math.abs(m)).toBeLessThan(1e-5); // statistics are stored in float32
      expect(Math.abs(sd - 1)).toBeLessThan(1e-5);
    }
    const fusedS = model.combine(parts, 'fused');
    fusedS.forEach((s, i) => expect(s).toBeCloseTo(model.combine(parts, 'sem')[i]! + model.combine(parts, 'det')[i]!, 10));
    // The fused engine and the tensor path give the same flow NLL.
    const t = model.scoreParts(data, { engine: 'tfjs' });
    t.det.forEach((v, i) => expect(Math.abs(v - parts.det[i]!)).toBeLessThan(1e-4));
    expect(Array.from(t.sem)).toEqual(Array.from(parts.sem));
    const before = tf.memory().numTensors;
    model.scoreSegments(data);
    model.scoreSegments(data, { engine: 'tfjs', score: 'sem' });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('MSG-Flow family and persistence', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('trains through the family, saves with kind and formatVersion, loads to identical scores, refuses other kinds', async () => {
    const config = msgFlowFamily.configure({ 'seg-len': 8, codebook: 8, 'code-dim': 4, 'vq-width': 8, 'vq-depth': 1, 'd-model': 8, heads: 2, layers: 1, K: 2, 'context-channels': 2, 'vq-epochs': 1, 'prior-epochs': 1, epochs: 1, batch: 16, score: 'det' });
    expect(config.score).toBe('det');
    const data = walks(24, 8, 9);
    const { model, history, nSegments } = await msgFlowFamily.train(config, { segments: data });
    expect(nSegments).toBe(24);
    expect(history).toHaveLength(1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msgflow-'));
    try {
      await model.save(dir);
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      expect(cfg.kind).toBe('msg-flow');
      expect(cfg.formatVersion).toBe(1);
      // The collapse check of every tokenizer epoch travels with the model.
      expect(cfg.training.tokenizer[0].activeCodes).toBeGreaterThan(0);
      expect(cfg.training.tokenizer[0].perplexity).toBeLessThanOrEqual(cfg.training.tokenizer[0].activeCodes + 1e-9);
      await expect(model.save(dir)).rejects.toThrow(InputError);
      const again = await msgFlowFamily.load(dir);
      expect(Array.from(again.scoreSegments(data))).toEqual(Array.from(model.scoreSegments(data)));
      const parts = model.scoreParts(data);
      expect(Array.from(model.scoreSegments(data))).toEqual(Array.from(model.net.combine(parts, 'det')).map((v) => Math.fround(-v)));
      again.dispose();
      fs.writeFileSync(path.join(dir, 'model.json'), fs.readFileSync(path.join(dir, 'model.json'), 'utf8').replace('"msg-flow"', '"stg-nf"'));
      await expect(loadMsgFlow(dir)).rejects.toThrow(InputError);
      await expect(saveMsgFlow(dir, model.net)).rejects.toThrow(InputError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });
});
