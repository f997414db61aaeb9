import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Adam, trainStep } from '@skelflow/core';
import { forEachBackend } from '@skelflow/testing';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Nflowad, type NflowadConfig } from '../src/index.js';

// Goldens from the PyTorch twin (bench/torch/nflowad_model.py: PyTorch's own Linear and
// TransformerEncoder(norm_first, gelu), the conditional-Glow twin of bench/torch/nflowad.py, float64)
// on weights exported from this model: the normalised input, frame embeddings, h, reconstruction,
// context, flow z / log-det / log p, S_t, S_{j,t}, S_seq, and one Adam step per stage.
// Regenerate with `node --import tsx bench/torch/nflowad_model_fixture.ts`.

interface Arr {
  shape: number[];
  data: number[];
}
interface Golden {
  config: NflowadConfig;
  adamLr: number;
  x: Arr;
  mask: Arr;
  state: Record<string, Arr>;
  maeParameters: string[];
  flowParameters: string[];
  expected: Record<'normalised' | 'tokens' | 'h' | 'reconstruction' | 'jointErrors' | 'mse' | 'context' | 'z' | 'logDet' | 'logProb' | 'frames' | 'joints' | 'sequence', Arr> & {
    maeStep: { loss: number; after: Record<string, Arr> };
    flowStep: { loss: number; after: Record<string, Arr> };
  };
}

const golden = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/nflowad_golden.json', import.meta.url)), 'utf8')) as Golden;
const E = golden.expected;

function loaded(): Nflowad {
  const m = new Nflowad(golden.config);
  m.loadStateDict(new Map(Object.entries(golden.state).map(([n, a]) => [n, tf.tensor(a.data, a.shape)])), { source: 'nflowad_golden.json' });
  return m.eval();
}

/** max |a − b| / max(1, max |b|). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

forEachBackend('@skelflow/nflowad vs the PyTorch twin', () => {
  it('normalised input, embeddings, h, reconstruction, context, flow z / log-det / log p within 1e-4', () => {
    const m = loaded();
    const data = Float32Array.from(golden.x.data);
    const xn = m.normalise(data);
    expect(relErr(xn, E.normalised.data)).toBeLessThan(1e-5);
    const [b, c, t, v] = golden.x.shape as [number, number, number, number];
    tf.tidy(() => {
      const x = tf.tensor4d(xn, [b, c, t, v]);
      const tokens = m.mae.positions.call(m.mae.embed.call(m.mae.frameVectors(x)));
      expect(relErr(tokens.dataSync(), E.tokens.data)).toBeLessThan(1e-4);
      const { h, reconstruction } = m.mae.call(x);
      expect(relErr(h.dataSync(), E.h.data)).toBeLessThan(1e-4);
      expect(relErr(reconstruction.dataSync(), E.reconstruction.data)).toBeLessThan(1e-4);
      expect(relErr(m.context(h).dataSync(), E.context.data)).toBeLessThan(1e-4);
      const { rows, context } = m.flowRows(h);
      const { z, logDet } = m.flow.forward(rows, context);
      expect(relErr(z.dataSync(), E.z.data)).toBeLessThan(1e-4);
      expect(relErr(logDet.dataSync(), E.logDet.data)).toBeLessThan(1e-4);
      expect(relErr(m.frameLogProb(h).dataSync(), E.logProb.data)).toBeLessThan(1e-4);
    });
    m.dispose();
  });

  it('joint errors, MSE_t, S_t, S_{j,t} and S_seq within 1e-4; scoreSegments = −S_seq', () => {
    const m = loaded();
    const data = Float32Array.from(golden.x.data);
    const parts = m.frameParts(data);
    expect(relErr(parts.jointErrors, E.jointErrors.data)).toBeLessThan(1e-4);
    expect(relErr(parts.mse, E.mse.data)).toBeLessThan(1e-4);
    expect(relErr(parts.logProb, E.logProb.data)).toBeLessThan(1e-4);
    const ex = m.explainSegments(data);
    expect(relErr(ex.frames, E.frames.data)).toBeLessThan(1e-4);
    expect(relErr(ex.joints, E.joints.data)).toBeLessThan(1e-4);
    expect(relErr(m.scoreSegments(data), E.sequence.data.map((s) => -s))).toBeLessThan(1e-4);
    m.dispose();
  });

  it('one Adam step per stage: the masked autoencoder loss and the flow NLL, and every parameter after it, within 1e-5', () => {
    const m = loaded();
    const [b, c, t, v] = golden.x.shape as [number, number, number, number];
    const xn = m.normalise(Float32Array.from(golden.x.data));
    const x = tf.tensor4d(xn, [b, c, t, v]);
    const mask = tf.tensor(golden.mask.data, golden.mask.shape);
    const byName = new Map(m.namedParameters());
    const d = golden.config.dModel!;

    const maeParams = golden.maeParameters.map((n) => byName.get(n)!);
    m.mae.train();
    const opt1 = new Adam(maeParams, { lr: golden.adamLr });
    const s1 = trainStep(maeParams, () => m.mae.maskedLoss(x, mask), opt1);
    expect(Math.abs(s1.loss - E.maeStep.loss) / Math.max(1, Math.abs(E.maeStep.loss))).toBeLessThan(1e-5);
    for (const n of golden.maeParameters) {
      const ours = Array.from(byName.get(n)!.dataSync());
      const theirs = E.maeStep.after[n]!.data;
      // The key part of an attention's input bias has a zero gradient (softmax is invariant to a
      // constant added to every score of a query): PyTorch's is exactly 0, ours rounding noise, and
      // Adam divides noise by its own size (±lr). Only the query and value parts are compared.
      const keep = (_: number, i: number) => !n.endsWith('selfAttn.inProjBias') || i < d || i >= 2 * d;
      expect(relErr(ours.filter(keep), theirs.filter(keep)), n).toBeLessThan(1e-5);
    }
    opt1.dispose();

    // Stage 2 from the exported state again (the autoencoder as exported, frozen).
    const m2 = loaded();
    const byName2 = new Map(m2.namedParameters());
    const h = m2.mae.encode(x);
    const flowParams = golden.flowParameters.map((n) => byName2.get(n)!);
    m2.flow.train();
    const opt2 = new Adam(flowParams, { lr: golden.adamLr });
    const s2 = trainStep(flowParams, () => tf.neg(tf.mean(m2.frameLogProb(h))) as tf.Scalar, opt2);
    expect(Math.abs(s2.loss - E.flowStep.loss) / Math.max(1, Math.abs(E.flowStep.loss))).toBeLessThan(1e-5);
    for (const n of golden.flowParameters) expect(relErr(byName2.get(n)!.dataSync(), E.flowStep.after[n]!.data), n).toBeLessThan(1e-5);
    opt2.dispose();
    tf.dispose([x, mask, h]);
    m.dispose();
    m2.dispose();
  });
});
