import { InputError } from '@skelflow/base';
import { describe, expect, it } from 'vitest';
import { epochBatchProgress, trainFamilyModel, type AnomalyModel, type InputSpec, type TrainProgress } from '../src/index.js';

/** A model that only records whether it was disposed. */
function fake(): AnomalyModel & { disposed: boolean } {
  const input: InputSpec = { layout: 'openpose18', dims: 2, channels: 2, segLen: 3, joints: 18 };
  const m = { kind: 'fake', input, disposed: false, dispose: () => void (m.disposed = true) };
  return m as unknown as AnomalyModel & { disposed: boolean };
}

describe('trainFamilyModel', () => {
  const per = 2 * 3 * 18;

  it('counts segments and batches, returns the trainer history, keeps a given model', async () => {
    const given = fake();
    const seen: number[] = [];
    const r = await trainFamilyModel(given, () => { throw new Error('not built'); }, new Float32Array(10 * per), 4, 'fake.train', async ({ model, nSegments, batches }) => {
      expect(model).toBe(given);
      seen.push(nSegments, batches);
      return 'history';
    });
    expect(seen).toEqual([10, 3]);
    expect(r).toEqual({ model: given, history: 'history', nSegments: 10 });
  });

  it('rejects data that is not whole segments with an InputError naming the caller, and disposes only models it built', async () => {
    const built = fake();
    const bad = trainFamilyModel(null, () => built, new Float32Array(per + 1), 4, 'fake.train', async () => 0);
    await expect(bad).rejects.toThrow(InputError);
    await expect(trainFamilyModel(null, fake, new Float32Array(0), 4, 'fake.train', async () => 0)).rejects.toThrow(/^fake\.train: training data must hold at least one \[2, 3, 18\] segment$/);
    expect(built.disposed).toBe(true);
    const given = fake();
    await expect(trainFamilyModel(given, fake, new Float32Array(per), 4, 'fake.train', async () => { throw new Error('diverged'); })).rejects.toThrow('diverged');
    expect(given.disposed).toBe(false);
  });
});

describe('epochBatchProgress', () => {
  it('counts done over the whole run from an offset, and is undefined without a listener', () => {
    expect(epochBatchProgress(undefined, 5, 10)).toBeUndefined();
    const got: TrainProgress[] = [];
    const onBatch = epochBatchProgress((p) => got.push(p), 5, 20, 3)!;
    onBatch({ epoch: 0, batch: 0, loss: 1 });
    onBatch({ epoch: 2, batch: 4, loss: 0.5 });
    expect(got).toEqual([{ done: 4, total: 20, epoch: 0, loss: 1 }, { done: 18, total: 20, epoch: 2, loss: 0.5 }]);
  });
});
