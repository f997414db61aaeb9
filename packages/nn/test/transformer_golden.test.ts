import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Adam } from '@skelflow/core';
import { forEachBackend } from '@skelflow/testing';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AutoregressiveTokenModel, MultiHeadAttention } from '../src/index.js';

// Goldens from the PyTorch twin (bench/torch/transformer.py: PyTorch's own nn.MultiheadAttention,
// nn.TransformerEncoderLayer(norm_first, gelu) and nn.TransformerEncoder, float64), on weights
// exported from these blocks. Regenerate with `node --import tsx bench/torch/transformer_fixture.ts`.

interface Arr {
  shape: number[];
  data: number[];
}
interface Golden {
  config: { numTokens: number; maxLength: number; dModel: number; numHeads: number; numLayers: number; dimFeedforward: number; dropout: number };
  tokens: number[][];
  tokenModel: Record<string, Arr>;
  sgdLr: number;
  adamLr: number;
  attention: { dModel: number; numHeads: number; weights: Record<string, Arr>; query: Arr; keyValue: Arr; keyPaddingMask: number[][] };
  torch: {
    logits: Arr;
    nll: Arr;
    loss: number;
    hidden: Arr;
    attentionOutput: Arr;
    attentionWeights: Arr;
    gradients: Record<string, Arr>;
    sgdStep: { loss: number; parameters: Record<string, Arr> };
    adamStep: { loss: number; parameters: Record<string, Arr> };
  };
}

const golden = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/transformer_golden.json', import.meta.url)), 'utf8')) as Golden;
const snake = (n: string) => n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const tensorOf = (a: Arr) => tf.tensor(a.data, a.shape, 'float32');

function load(m: { loadStateDict(s: Record<string, tf.Tensor>): void }, weights: Record<string, Arr>): void {
  const state = Object.fromEntries(Object.entries(weights).map(([n, a]) => [n, tensorOf(a)]));
  m.loadStateDict(state);
  tf.dispose(Object.values(state));
}

function expectClose(actual: ArrayLike<number>, expected: Arr | number[], tol: number, what: string): void {
  const e = Array.isArray(expected) ? expected : expected.data;
  expect(actual.length, what).toBe(e.length);
  let err = 0;
  for (let i = 0; i < e.length; i++) err = Math.max(err, Math.abs(actual[i]! - e[i]!));
  expect(err, `${what}: max |Δ| = ${err.toExponential(2)}`).toBeLessThanOrEqual(tol);
}

function makeModel(): AutoregressiveTokenModel {
  const m = new AutoregressiveTokenModel({ ...golden.config, seed: 0 });
  load(m, golden.tokenModel);
  return m;
}

forEachBackend('@skelflow/nn Transformer vs the PyTorch twin', () => {
  it('token model: logits, per-token NLL, loss and hidden states (1e-4)', () => {
    const m = makeModel().eval();
    const t = tf.tensor2d(golden.tokens, undefined, 'int32');
    const logits = m.logits(t);
    const nll = m.nll(t);
    const loss = m.loss(t);
    const hidden = m.hidden(t);
    expect(logits.shape).toEqual(golden.torch.logits.shape);
    expectClose(logits.dataSync(), golden.torch.logits, 1e-4, 'logits');
    expectClose(nll.dataSync(), golden.torch.nll, 1e-4, 'nll');
    expectClose(loss.dataSync(), [golden.torch.loss], 1e-4, 'loss');
    expectClose(hidden.dataSync(), golden.torch.hidden, 1e-4, 'hidden');
    tf.dispose([t, logits, nll, loss, hidden]);
    m.dispose();
  });

  it('cross-attention with a key-padding mask: output and per-head weights (1e-4)', () => {
    const a = golden.attention;
    const mha = new MultiHeadAttention(a.dModel, a.numHeads, { seed: 0 });
    load(mha, a.weights);
    const q = tensorOf(a.query);
    const kv = tensorOf(a.keyValue);
    const pad = tf.tensor2d(a.keyPaddingMask);
    const { output, weights } = mha.attend(q, { keyValue: kv, keyPaddingMask: pad });
    expectClose(output.dataSync(), golden.torch.attentionOutput, 1e-4, 'attention output');
    expectClose(weights.dataSync(), golden.torch.attentionWeights, 1e-4, 'attention weights');
    tf.dispose([q, kv, pad, output, weights]);
    mha.dispose();
  });

  it('one SGD step and one Adam step of the mean NLL match PyTorch (gradients 1e-5, parameters 1e-5)', () => {
    for (const which of ['sgd', 'adam'] as const) {
      const m = makeModel().train(); // dropout 0: train mode is deterministic
      const t = tf.tensor2d(golden.tokens, undefined, 'int32');
      const params = m.namedParameters();
      const { value, grads } = tf.variableGrads(() => m.loss(t), params.map(([, v]) => v));
      const step = which === 'sgd' ? golden.torch.sgdStep : golden.torch.adamStep;
      expectClose(value.dataSync(), [step.loss], 1e-5, `${which} loss`);
      if (which === 'sgd') {
        for (const [n, v] of params) expectClose(grads[v.name]!.dataSync(), golden.torch.gradients[snake(n)]!, 1e-5, `∂L/∂${n}`);
        tf.tidy(() => params.forEach(([, v]) => v.assign(tf.sub(v, tf.mul(grads[v.name]!, golden.sgdLr)))));
      } else {
        const opt = new Adam(params.map(([, v]) => v), { lr: golden.adamLr });
        opt.step(params.map(([, v]) => grads[v.name]!));
        opt.dispose();
      }
      for (const [n, v] of params) {
        const expected = step.parameters[snake(n)]!;
        if (which === 'sgd') {
          expectClose(v.dataSync(), expected, 1e-5, `sgd: ${n} after one step`);
          continue;
        }
        // Adam's first step is lr·g/(|g| + ε): for a gradient that is exactly 0 in exact arithmetic —
        // the key bias (rows D…2D of inProjBias; softmax ignores a score added to every key) — both
        // frameworks step by lr times the sign of their own rounding noise. Those entries (|g| < 1e-7
        // in PyTorch's float64) may move by at most lr; every other entry matches to 1e-5.
        const g = golden.torch.gradients[snake(n)]!.data;
        const got = v.dataSync();
        const before = golden.tokenModel[n]!.data;
        const keep = g.map((x) => Math.abs(x) >= 1e-7);
        expectClose(got.filter((_, i) => keep[i]), expected.data.filter((_, i) => keep[i]), 1e-5, `adam: ${n} after one step`);
        for (let i = 0; i < g.length; i++) if (!keep[i]) expect(Math.abs(got[i]! - before[i]!)).toBeLessThanOrEqual(golden.adamLr * (1 + 1e-6));
      }
      tf.dispose([value, ...Object.values(grads), t]);
      m.dispose();
    }
  });
});
