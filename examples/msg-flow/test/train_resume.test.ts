// MSG-Flow's three stages run core's shared loop: a run stopped mid-epoch in any stage (tokenizer,
// prior, flow) and resumed from its checkpoint — the weights as the checkpoint's weights file holds
// them, the state through JSON — continues in that stage with the earlier stages' weights and ends
// with every weight and every stage's history equal, bit for bit, to the uninterrupted run's. The
// prior's dropout masks come from module streams the checkpoint must carry. A step that makes a
// flow parameter huge stops with TrainingDivergedError naming the tensor.
import { expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { MsgFlow, trainMsgFlow, type MsgFlowConfig, type MsgFlowHistory, type TrainMsgFlowOptions } from '@skelflow/msg-flow';
import { expectDivergenceNamingTensor, forEachBackend, stoppedAndResumed, uninterruptedRun, type ResumableTraining } from '@skelflow/testing';
import { walks } from './walks.js';

const TINY: MsgFlowConfig = { segLen: 8, vqWidth: 8, codeDim: 4, codebook: 8, vqDepth: 1, dModel: 8, heads: 2, layers: 1, flowSteps: 2, contextChannels: 2, dropout: 0.2, seed: 3 };
// 24 segments in batches of 8: three batches per epoch, two epochs per stage.
const OPTIONS: TrainMsgFlowOptions = { batchSize: 8, vqEpochs: 2, priorEpochs: 2, flowEpochs: 2, seed: 1, vqLr: 3e-3, priorLr: 3e-3, flowLr: 3e-3 };

const DATA = walks(24, 8, 7);

const training = (options: TrainMsgFlowOptions): ResumableTraining<MsgFlow, MsgFlowHistory> => ({
  create: () => new MsgFlow(TINY),
  train: (m, { onBatch, ...hooks }) => trainMsgFlow(m, DATA, { ...options, ...hooks, ...(onBatch ? { onProgress: onBatch } : {}) }),
});

forEachBackend('MSG-Flow training: checkpoint, resume per stage, divergence', (backend) => {
  it('stopped mid-epoch in the tokenizer, the prior (dropout) and the flow, then resumed → every weight and history bit-identical', async () => {
    // cpu (slow kernels) stops in the prior only, the stage with the module streams, on a shorter run.
    const options = backend === 'cpu' ? { ...OPTIONS, vqEpochs: 1, flowEpochs: 1 } : OPTIONS;
    const ref = await uninterruptedRun(training(options));
    const stops = backend === 'cpu' ? ([[7, 'prior']] as const) : ([[4, 'tokenizer'], [10, 'prior'], [16, 'flow']] as const);
    for (const [stopAfter, stage] of stops) {
      const r = await stoppedAndResumed(training(options), stopAfter);
      expect(r.state, stage).toMatchObject({ stage, epoch: 1, batch: 1 });
      expect(r.weights, stage).toEqual(ref.weights);
      expect(r.result, stage).toEqual(ref.result);
    }
    if (backend === 'wasm') {
      // The test can fail: restarting the prior's dropout streams changes the result.
      const r = await stoppedAndResumed(training(OPTIONS), 10, (s) => {
        s.streams = Object.fromEntries(Object.keys(s.streams ?? {}).map((k) => [k, new Rng(k).state()]));
      });
      expect(Object.keys(r.state.streams ?? {}).length).toBeGreaterThan(0);
      expect(r.weights).not.toEqual(ref.weights);
    }
  });

  it('flow stage on tensors (engine tfjs) resumes bit-identical too', async () => {
    if (backend === 'cpu') return; // the flow's tensor path is the same code on both; wasm is the faster
    const options = { ...OPTIONS, engine: 'tfjs' as const, vqEpochs: 1, priorEpochs: 1 };
    const ref = await uninterruptedRun(training(options));
    const r = await stoppedAndResumed(training(options), 10);
    expect(r.state).toMatchObject({ stage: 'flow', engine: 'tfjs', epoch: 1, batch: 1 });
    expect(r.weights).toEqual(ref.weights);
  });

  it('a step that makes a flow parameter huge (flow lr 1e7) stops with TrainingDivergedError naming the tensor', async () => {
    const m = new MsgFlow(TINY);
    await expectDivergenceNamingTensor(trainMsgFlow(m, DATA, { ...OPTIONS, vqEpochs: 1, priorEpochs: 1, flowLr: 1e7 }), new Set(m.stateDict().keys()), 'flow.');
    m.dispose();
  });
});
