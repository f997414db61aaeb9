// NFlowAD's two stages run core's shared loop: a run stopped mid-epoch in either stage (the masked
// autoencoder, the conditional Glow) and resumed from its checkpoint — the weights as the
// checkpoint's weights file holds them, the state through JSON — ends with every weight, both
// stages' histories and the calibration equal, bit for bit, to the uninterrupted run's. The joint
// masks and the dropout masks come from streams the checkpoint must carry. A step that makes a flow
// parameter huge stops with TrainingDivergedError naming the tensor.
import { expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { expectDivergenceNamingTensor, forEachBackend, stoppedAndResumed, uninterruptedRun, type ResumableTraining } from '@skelflow/testing';
import { Nflowad, trainNflowad, type NflowadConfig, type NflowadHistory, type TrainNflowadOptions } from '../src/index.js';

const TINY: Partial<NflowadConfig> = { segLen: 6, joints: 5, dModel: 8, heads: 2, layers: 1, flowSteps: 2, flowHidden: 8, dropout: 0.2, seed: 3 };
// 24 segments in batches of 8: three batches per epoch, two epochs per stage.
const OPTIONS: TrainNflowadOptions = { batchSize: 8, maeEpochs: 2, flowEpochs: 2, seed: 1, maeLr: 3e-3, flowLr: 3e-3 };

function segments(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * 2 * 6 * 5);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

const DATA = segments(24, 7);
const VALIDATION = segments(6, 8);

const TRAINING: ResumableTraining<Nflowad, NflowadHistory> = {
  create: () => new Nflowad(TINY),
  train: (m, { onBatch, ...hooks }) => trainNflowad(m, DATA, { ...OPTIONS, validation: VALIDATION, ...hooks, ...(onBatch ? { onProgress: onBatch } : {}) }),
};

forEachBackend('NFlowAD training: checkpoint, resume per stage, divergence', (backend) => {
  it('stopped mid-epoch in the autoencoder (masks, dropout) and in the flow, then resumed → every weight, history and threshold bit-identical', async () => {
    const ref = await uninterruptedRun(TRAINING);
    const stops = backend === 'cpu' ? ([[4, 'mae']] as const) : ([[4, 'mae'], [10, 'flow']] as const);
    for (const [stopAfter, stage] of stops) {
      const r = await stoppedAndResumed(TRAINING, stopAfter);
      expect(r.state, stage).toMatchObject({ stage, epoch: 1, batch: 1 });
      expect(r.weights, stage).toEqual(ref.weights);
      expect(r.result, stage).toEqual(ref.result);
    }
    if (backend === 'wasm') {
      // The test can fail: restarting the autoencoder's streams (joint masks, dropout) changes the result.
      const r = await stoppedAndResumed(TRAINING, 4, (s) => {
        s.streams = Object.fromEntries(Object.keys(s.streams ?? {}).map((k) => [k, new Rng(k).state()]));
      });
      expect(Object.keys(r.state.streams ?? {})).toContain('mae-mask');
      expect(r.weights).not.toEqual(ref.weights);
    }
  });

  it("a flow checkpoint without the autoencoder stage's history is refused, naming the field", async () => {
    if (backend === 'cpu') return; // the same code on both
    await expect(stoppedAndResumed(TRAINING, 10, (s) => void (s.extra = {}))).rejects.toThrow(/extra\.completed\.mae/);
  });

  it('a step that makes a flow parameter huge (flow lr 1e7) stops with TrainingDivergedError naming the tensor', async () => {
    const m = new Nflowad(TINY);
    await expectDivergenceNamingTensor(trainNflowad(m, DATA, { ...OPTIONS, maeEpochs: 1, flowLr: 1e7 }), new Set(m.stateDict().keys()), 'flow.');
    m.dispose();
  });
});
