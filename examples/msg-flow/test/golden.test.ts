import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { MsgFlow, type MsgFlowConfig } from '@skelflow/msg-flow';
import { forEachBackend } from '@skelflow/testing';

// MSG-Flow against its PyTorch twin (bench/torch/msg_flow.py, float64, PyTorch's own conv1d,
// TransformerEncoder and batch_norm): tokens, S_sem, context, flow z / log-det / S_det, fused
// score, and one SGD step per stage. Regenerate with: node --import tsx bench/torch/msg_flow_fixture.ts

interface Arr {
  shape: number[];
  data: number[];
}
interface Fixture {
  config: MsgFlowConfig;
  sgdLr: number;
  x: Arr;
  parameters: string[];
  state: Record<string, Arr>;
  torch: {
    tokens: number[][];
    sem: number[];
    context: Arr;
    z: Arr;
    logdet: number[];
    det: number[];
    fused: number[];
    vqStep: { loss: number; parameters: Record<string, Arr>; quantizer: Record<string, Arr> };
    priorStep: { loss: number; parameters: Record<string, Arr> };
    flowStep: { loss: number; parameters: Record<string, Arr>; buffers: Record<string, Arr> };
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(fs.readFileSync(path.join(here, 'fixtures/msg_flow_golden.json'), 'utf8')) as Fixture;
const T = fx.torch;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`${what}[${i}]: got ${actual[i]}, PyTorch ${e} (tolerance ${tol})`);
  }
}

function build(): { model: MsgFlow; x: tf.Tensor } {
  const model = new MsgFlow(fx.config);
  const state = Object.fromEntries(Object.entries(fx.state).map(([n, a]) => [n, tf.tensor(a.data, a.shape, n.endsWith('numBatchesTracked') ? undefined : 'float32')]));
  model.loadStateDict(state, { source: 'msg_flow_golden.json' });
  tf.dispose(Object.values(state));
  model.eval();
  return { model, x: tf.tensor(fx.x.data, fx.x.shape) };
}

/** Applies one SGD step of `loss` to `params` and returns their values by name. */
function sgdStep(named: [string, tf.Variable][], loss: () => tf.Scalar, lr: number): { loss: number; after: Map<string, Float32Array> } {
  const vars = named.map(([, v]) => v);
  const { value, grads } = tf.variableGrads(loss, vars);
  const l = value.dataSync()[0]!;
  tf.tidy(() => named.forEach(([, v]) => v.assign(tf.sub(v, tf.mul(grads[v.name]!, lr)))));
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: l, after: new Map(named.map(([n, v]) => [n, v.dataSync() as Float32Array])) };
}

forEachBackend('MSG-Flow vs its PyTorch twin', () => {
  it('tokens, S_sem, context, flow z, log-det, S_det and the fused score (1e-4)', () => {
    const { model, x } = build();
    const fz = model.frozenStages(x);
    expect(fz.tokens.arraySync()).toEqual(T.tokens);
    close(fz.sem.dataSync(), T.sem, 1e-4, 'S_sem');
    close(fz.context.dataSync(), T.context.data, 1e-4, 'context');
    const f = model.flow.transform.forward(x, fz.context);
    close(f.y.dataSync(), T.z.data, 1e-4, 'z');
    close(f.logDet.dataSync(), T.logdet, 1e-4, 'log-det');
    const det = model.detailNll(x, fz.context);
    close(det.dataSync(), T.det, 1e-4, 'S_det');
    const data = x.dataSync() as Float32Array;
    for (const engine of ['tfjs', 'fused'] as const) {
      const parts = model.scoreParts(data, { engine, threads: 0 });
      close(parts.det, T.det, 1e-4, `S_det (${engine})`);
      close(model.combine(parts, 'fused'), T.fused, 1e-4, `fused S (${engine})`);
      close(model.scoreSegments(data, { engine, threads: 0 }), T.fused.map((v) => -v), 1e-4, `normality (${engine})`);
    }
    tf.dispose([x, fz.tokens, fz.sem, fz.context, f.y, f.logDet, det]);
    model.dispose();
  });

  it('one SGD step of the tokenizer (with its EMA codebook update) matches (1e-5)', () => {
    const { model, x } = build();
    model.tokenizer.train();
    const seq = model.sequences(x);
    const named = model.tokenizer.namedParameters().map(([n, v]) => [`tokenizer.${n}`, v] as [string, tf.Variable]);
    const { loss, after } = sgdStep(named, () => model.tokenizer.forward(seq).loss, fx.sgdLr);
    expect(Math.abs(loss - T.vqStep.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(T.vqStep.loss)));
    for (const [n, a] of Object.entries(T.vqStep.parameters)) close(after.get(n)!, a.data, 1e-5, n);
    const q = model.tokenizer.quantizer;
    close(q.embeddings.dataSync(), T.vqStep.quantizer.embeddings!.data, 1e-5, 'codebook after the EMA step');
    close(q.clusterSize.dataSync(), T.vqStep.quantizer.clusterSize!.data, 1e-5, 'EMA counts');
    close(q.embedAvg.dataSync(), T.vqStep.quantizer.embedAvg!.data, 1e-5, 'EMA sums');
    tf.dispose([x, seq]);
    model.dispose();
  });

  it('one SGD step of the token prior on the frozen tokens matches (1e-5)', () => {
    const { model, x } = build();
    const tokens = model.tokens(x);
    model.prior.train();
    // The twin's prior is PyTorch's nn.TransformerEncoder: its names are ours in snake_case.
    const snake = (n: string) => n.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    const named = model.prior.namedParameters().map(([n, v]) => [`prior.${snake(n)}`, v] as [string, tf.Variable]);
    expect(named.map(([n]) => n).sort()).toEqual(Object.keys(T.priorStep.parameters).sort());
    const { loss, after } = sgdStep(named, () => model.prior.loss(tokens), fx.sgdLr);
    expect(Math.abs(loss - T.priorStep.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(T.priorStep.loss)));
    for (const [n, a] of Object.entries(T.priorStep.parameters)) close(after.get(n)!, a.data, 1e-5, n);
    tf.dispose([x, tokens]);
    model.dispose();
  });

  it('one SGD step of the conditional flow (BatchNorm in train mode) matches (1e-5)', () => {
    const { model, x } = build();
    const fz = model.frozenStages(x);
    model.flow.train();
    const named = model.flow.namedParameters().map(([n, v]) => [`flow.${n}`, v] as [string, tf.Variable]);
    const { loss, after } = sgdStep(named, () => tf.mean(model.detailNll(x, fz.context)) as tf.Scalar, fx.sgdLr);
    expect(Math.abs(loss - T.flowStep.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(T.flowStep.loss)));
    for (const [n, a] of Object.entries(T.flowStep.parameters)) close(after.get(n)!, a.data, 1e-5, n);
    const buffers = new Map(model.flow.namedBuffers().map(([n, v]) => [`flow.${n}`, v]));
    for (const [n, a] of Object.entries(T.flowStep.buffers)) close(buffers.get(n)!.dataSync(), a.data, 1e-5, n);
    tf.dispose([x, fz.tokens, fz.sem, fz.context]);
    model.dispose();
  });
});
