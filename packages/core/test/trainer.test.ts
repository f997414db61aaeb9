import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, TrainingDivergedError, TrainingInterruptedError, WeightsError, type TrainingState } from '@skelflow/base';
import { Module, trainLoop, type FlatTrainingEngine, type TrainLoopOptions } from '@skelflow/core';
import { forEachBackend } from '@skelflow/testing';

// core's shared training loop on a toy model small enough to write its gradient by hand: least
// squares y ≈ w·x + b with a random "dropout" of each sample's residual drawn from a module stream,
// a running-mean buffer, a trainer-owned stream (`extra`) adding noise to the targets. A run stopped
// mid-epoch and resumed from its checkpoint (JSON round trip) ends bit-identical; a checkpoint of the
// wrong stage, engine, or without a stream is refused; a huge parameter or buffer is named.

const N = 10;
const X = Float32Array.from({ length: N }, (_, i) => i / N - 0.5);
const Y = Float32Array.from(X, (x) => 3 * x + 1);

class Toy extends Module {
  readonly w = this.addParameter('w', tf.tensor1d([0.1]));
  readonly b = this.addParameter('b', tf.tensor1d([0]));
  readonly runningMean = this.addBuffer('runningMean', tf.tensor1d([0]));
  readonly mask = this.addRandomStream('mask', new Rng('mask'));
}

/** The per-sample keep weights and noisy targets of a batch (the random draws both engines share). */
function draws(m: Toy, noise: { rng: Rng }, idx: number[]) {
  const keep = idx.map(() => (m.mask.uniform() < 0.8 ? 1 : 0));
  const target = idx.map((i) => Y[i]! + 0.01 * noise.rng.normal());
  return { keep, target };
}

function options(m: Toy, noise: { rng: Rng }, over: Partial<TrainLoopOptions> = {}): TrainLoopOptions {
  return {
    source: 'toy',
    n: N,
    batchSize: 4,
    seed: 5,
    epochs: 3,
    lr: 0.05,
    lrDecay: 0.9,
    clipNorm: 10,
    params: m.parameters(),
    named: m.stateDict(),
    streams: m.namedRandomStreams(),
    extra: { save: () => ({ noise: noise.rng.state() }), restore: (s) => (noise.rng = new Rng('noise', s.noise as never)) },
    loss: (idx) => {
      const { keep, target } = draws(m, noise, idx);
      const x = tf.tensor1d(idx.map((i) => X[i]!));
      const r = tf.sub(tf.add(tf.mul(m.w, x), m.b), tf.tensor1d(target));
      m.runningMean.assign(tf.add(tf.mul(0.9, m.runningMean), tf.mul(0.1, tf.mean(x))));
      return tf.mean(tf.mul(tf.square(r), tf.tensor1d(keep))) as tf.Scalar;
    },
    ...over,
  };
}

/** The same model on a flat engine, with the hand-written gradient. */
function flatEngine(m: Toy, noise: { rng: Rng }): { engine: FlatTrainingEngine; lossAndGrad: (idx: number[]) => number } {
  const engine = {
    params: Float64Array.from([m.w.dataSync()[0]!, m.b.dataSync()[0]!]),
    buffers: Float64Array.from(m.runningMean.dataSync()),
    grads: new Float64Array(2),
    layout: { params: [{ variable: m.w, offset: 0, size: 1 }, { variable: m.b, offset: 1, size: 1 }], buffers: [{ variable: m.runningMean, offset: 0, size: 1 }] },
    push: () => {
      m.w.assign(tf.tensor1d([engine.params[0]!]));
      m.b.assign(tf.tensor1d([engine.params[1]!]));
      m.runningMean.assign(tf.tensor1d([engine.buffers[0]!]));
    },
  };
  const lossAndGrad = (idx: number[]) => {
    const { keep, target } = draws(m, noise, idx);
    let loss = 0;
    engine.grads.fill(0);
    let mx = 0;
    idx.forEach((i, k) => {
      const r = engine.params[0]! * X[i]! + engine.params[1]! - target[k]!;
      loss += keep[k]! * r * r;
      engine.grads[0] = engine.grads[0]! + (2 * keep[k]! * r * X[i]!) / idx.length;
      engine.grads[1] = engine.grads[1]! + (2 * keep[k]! * r) / idx.length;
      mx += X[i]!;
    });
    engine.buffers[0] = 0.9 * engine.buffers[0]! + (0.1 * mx) / idx.length;
    return loss / idx.length;
  };
  return { engine, lossAndGrad };
}

const roundTrip = (s: TrainingState): TrainingState => ({ ...JSON.parse(JSON.stringify({ ...s, arrays: undefined })), arrays: Object.fromEntries(Object.entries(s.arrays).map(([k, a]) => [k, a.slice()])) });
const weights = (m: Toy): [string, number[]][] => [...m.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())]);

async function run(fused: boolean, stopAfter?: number, resume?: { state: TrainingState; weights: [string, number[]][] }) {
  const m = new Toy();
  if (resume) for (const [k, v] of m.stateDict()) v.assign(tf.tensor(resume.weights.find(([n]) => n === k)![1], v.shape));
  const noise = { rng: new Rng('noise') };
  let batches = 0;
  let saved: { state: TrainingState; weights: [string, number[]][] } | null = null;
  const history = await trainLoop(
    options(m, noise, {
      ...(fused ? { fused: flatEngine(m, noise) } : {}),
      ...(resume ? { resume: resume.state } : {}),
      onBatch: () => void batches++,
      ...(stopAfter ? { shouldStop: () => (batches >= stopAfter ? 'SIGTERM' : null) } : {}),
      onCheckpoint: async (s) => void (saved = { state: roundTrip(s), weights: weights(m) }),
    }),
  ).catch((e: unknown) => {
    if (e instanceof TrainingInterruptedError) return null;
    throw e;
  });
  const out = { history, weights: weights(m), saved: saved as { state: TrainingState; weights: [string, number[]][] } | null };
  m.dispose();
  return out;
}

forEachBackend('trainLoop', () => {
  for (const fused of [false, true]) {
    it(`${fused ? 'flat engine' : 'tensors'}: stopped mid-epoch and resumed = uninterrupted (weights, buffers, history); the checkpoint carries streams and extra`, async () => {
      const ref = await run(fused);
      const stopped = await run(fused, 4); // epoch 2 (0-based 1), after its first batch
      expect(stopped.history).toBeNull();
      const st = stopped.saved!.state;
      expect(st).toMatchObject({ epoch: 1, batch: 1, engine: fused ? 'fused' : 'tfjs' });
      expect(Object.keys(st.streams!)).toEqual(['mask']);
      expect(st.extra!.noise).toBeDefined();
      const resumed = await run(fused, undefined, stopped.saved!);
      expect(resumed.weights).toEqual(ref.weights);
      expect(resumed.history).toEqual(ref.history);
      // Restarting the module stream gives other masks: the test can fail.
      const other = await run(fused, undefined, { ...stopped.saved!, state: { ...st, streams: { mask: new Rng('mask').state() } } });
      expect(other.weights).not.toEqual(ref.weights);
    });
  }

  it('refuses a checkpoint of another engine, another stage, or without a stream', async () => {
    const { saved } = await run(false, 4);
    const m = new Toy();
    const noise = { rng: new Rng('noise') };
    await expect(trainLoop(options(m, noise, { fused: flatEngine(m, noise), resume: saved!.state }))).rejects.toThrow(/written by the tfjs engine; resume with engine tfjs/);
    await expect(trainLoop(options(m, noise, { stage: 'b', resume: saved!.state }))).rejects.toThrow(WeightsError);
    await expect(trainLoop(options(m, noise, { resume: { ...saved!.state, streams: {} } }))).rejects.toThrow(/random stream 'mask'/);
    m.dispose();
  });

  it('a huge buffer after a step is named (tensor path) — the loss stays finite, rule 3 catches it', async () => {
    const m = new Toy();
    const noise = { rng: new Rng('noise') };
    const o = options(m, noise);
    // A statistic blown up during the first step (the loss does not read it, so it stays finite).
    const loss = (idx: number[]) => {
      m.runningMean.assign(tf.tensor1d([5e7]));
      return o.loss(idx);
    };
    const e = await trainLoop({ ...o, loss }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TrainingDivergedError);
    expect((e as Error).message).toMatch(/^training diverged at epoch 1, batch 1: runningMean\[0\] = \S+ \(not finite or above 1e\+6\)$/);
    m.dispose();
  });
});
