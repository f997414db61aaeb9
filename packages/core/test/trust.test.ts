import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adamax, checkSoundState, DivergenceGuard, FusedAdamax, Module, decodeIntoModule, encodeModule, runEpochs, unsoundTensor, type LoopPosition } from '@skelflow/core';
import { readModelDir, saveModule } from '@skelflow/core/node';
import { TrainingDivergedError, TrainingInterruptedError, WeightsError } from '@skelflow/base';
import { forEachBackend } from '@skelflow/testing';

class Toy extends Module {
  readonly w = this.addParameter('w', tf.tensor2d([[1, 2], [3, 4]]));
  readonly runningVar = this.addBuffer('runningVar', tf.tensor1d([1, 1]));
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-trust-'));

describe('the divergence rule (hand cases)', () => {
  it('the first loss only sets the level; a loss over level + 1000·max(1, |level|) is an explosion', () => {
    const g = new DivergenceGuard();
    g.check(8.6, { epoch: 0, batch: 0 });
    // lr 0.5 on the tiny demo data: 8.6 then 660 (77×) — a healthy early spike, allowed.
    g.check(660, { epoch: 0, batch: 1 });
    expect(g.level()).toBeCloseTo((8.6 + 660) / 2, 12); // median of two = their mean
    g.check(8.6, { epoch: 0, batch: 2 }); // level: median(8.6, 660, 8.6) = 8.6
    expect(g.level()).toBe(8.6);
    // 8.6 + 1000·8.6 = 8608.6 is the largest allowed.
    expect(() => new DivergenceGuard({}, [8.6]).check(8608.6, { epoch: 0, batch: 1 })).not.toThrow();
    expect(() => new DivergenceGuard({}, [8.6]).check(8609, { epoch: 2, batch: 4 })).toThrow(/training diverged at epoch 3, batch 5: loss 8609\.000 exploded \(over 1000 × its running level 8\.600\)/);
    // |level| < 1: the allowance is 1000 in absolute terms (losses in bits/dim can be near 0 or negative).
    expect(() => new DivergenceGuard({}, [-0.5]).check(999, { epoch: 0, batch: 1 })).not.toThrow();
    expect(() => new DivergenceGuard({}, [-0.5]).check(1000, { epoch: 0, batch: 1 })).toThrow(TrainingDivergedError);
  });

  it('non-finite losses are divergent from the first step', () => {
    for (const l of [NaN, Infinity, -Infinity]) expect(() => new DivergenceGuard().check(l, { epoch: 0, batch: 0 })).toThrow(new RegExp(`loss is ${l}`));
  });

  it('the window keeps the last 32 losses (what a checkpoint saves)', () => {
    const g = new DivergenceGuard();
    for (let i = 0; i < 40; i++) g.check(i, { epoch: 0, batch: i });
    expect(g.recent).toEqual(Array.from({ length: 32 }, (_, i) => i + 8));
  });

  it('unsoundTensor names the first tensor and index holding a non-finite or huge value', () => {
    expect(unsoundTensor([['a', [1, 2]], ['b', new Float32Array([0, Infinity])]])).toBe('b[1] = Infinity');
    expect(unsoundTensor([['a', [1, -2e6]]], 1e6)).toBe('a[1] = -2000000');
    expect(unsoundTensor([['a', [1, NaN]]])).toBe('a[1] = NaN');
    expect(unsoundTensor([['a', [1e30]]])).toBeNull();
  });

  it('checkSoundState bounds parameters and statistics, but only requires counters to be finite', () => {
    const at = { epoch: 0, batch: 6 };
    expect(() => checkSoundState([['bn.runningVar', [1, 2e6]]], at)).toThrow(/epoch 1, batch 7: bn\.runningVar\[1\] = 2000000 \(not finite or above 1e\+6\)/);
    expect(() => checkSoundState([['bn.numBatchesTracked', [2e6]]], at)).not.toThrow();
    expect(() => checkSoundState([['bn.numBatchesTracked', [NaN]]], at)).toThrow(TrainingDivergedError);
  });
});

describe('runEpochs: checkpoints, stops and resumes', () => {
  // A loop without tensors: the "model" is the list of batches stepped; losses from a table.
  const run = async (losses: (e: number, b: number) => number, opts: { start?: LoopPosition; stopAfter?: number } = {}) => {
    const stepped: string[] = [];
    const checkpoints: LoopPosition[] = [];
    let n = 0;
    let cur = { e: 0 };
    try {
      const history = await runEpochs<number>({
        epochs: 3,
        batches: (e) => {
          cur = { e };
          return [0, 1, 2, 3];
        },
        lrFor: () => 1,
        step: (b) => {
          stepped.push(`${cur.e}.${b}`);
          return { loss: losses(cur.e, b), gradNorm: 0 };
        },
        onCheckpoint: async (at) => void checkpoints.push(structuredClone(at)),
        shouldStop: () => (opts.stopAfter !== undefined && ++n > opts.stopAfter ? 'SIGTERM' : null),
        ...(opts.start ? { start: opts.start } : {}),
      });
      return { history, stepped, checkpoints, error: null as unknown };
    } catch (error) {
      return { history: null, stepped, checkpoints, error };
    }
  };

  it('checkpoints before the first step and after every epoch', async () => {
    const r = await run((e, b) => 10 - e - b / 4); // epoch means: 10 − e − (0 + 1 + 2 + 3)/16
    expect(r.checkpoints.map((c) => [c.epoch, c.batch])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);
    expect(r.history).toEqual([9.625, 8.625, 7.625]);
    expect(r.checkpoints[3]!.history).toEqual([9.625, 8.625, 7.625]);
  });

  it('an exploding loss stops at once naming epoch and batch; the last checkpoint is the last good epoch', async () => {
    const r = await run((e, b) => (e === 1 && b === 2 ? 1e70 : 5));
    expect(r.error).toBeInstanceOf(TrainingDivergedError);
    expect((r.error as TrainingDivergedError).message).toMatch(/^training diverged at epoch 2, batch 3: loss 1\.00e\+70 exploded/);
    expect((r.error as TrainingDivergedError).at).toEqual({ epoch: 1, batch: 2 });
    expect(r.checkpoints.at(-1)).toMatchObject({ epoch: 1, batch: 0 });
  });

  it('a stop request checkpoints mid-epoch; resuming there steps exactly the remaining batches and ends with the same history', async () => {
    const losses = (e: number, b: number) => 10 - e - b / 4;
    const whole = await run(losses);
    const stopped = await run(losses, { stopAfter: 5 });
    expect(stopped.error).toBeInstanceOf(TrainingInterruptedError);
    expect((stopped.error as TrainingInterruptedError).by).toBe('SIGTERM');
    const at = stopped.checkpoints.at(-1)!;
    expect([at.epoch, at.batch]).toEqual([1, 2]);
    const resumed = await run(losses, { start: at });
    expect([...stopped.stepped, ...resumed.stepped]).toEqual(whole.stepped);
    expect(resumed.history).toEqual(whole.history);
    expect(resumed.checkpoints[0]).toMatchObject({ epoch: 2, batch: 0 }); // no second "before the first step"
  });
});

forEachBackend('weights I/O refuses unsound models', () => {
  {
    it('save refuses a non-finite weight, naming the tensor', async () => {
      const m = new Toy();
      m.runningVar.assign(tf.tensor1d([1, Infinity]));
      await expect(encodeModule(m, {})).rejects.toThrow(/runningVar: refusing to save a non-finite weight: runningVar\[1\] = Infinity/);
      const dir = path.join(tmp(), 'm');
      await expect(saveModule(dir, m, {})).rejects.toThrow(WeightsError);
      expect(fs.existsSync(dir)).toBe(false);
      m.dispose();
    });

    it('load refuses NaN in weights.bin, naming the file and the tensor', async () => {
      const m = new Toy();
      const dir = path.join(tmp(), 'm');
      await saveModule(dir, m, {});
      const bin = path.join(dir, 'weights.bin');
      const bytes = fs.readFileSync(bin);
      bytes.writeFloatLE(NaN, 4); // w[1]
      fs.writeFileSync(bin, bytes);
      const { modelJson, weights, source, weightsSource } = await readModelDir(dir);
      expect(() => decodeIntoModule(m, modelJson, weights, source, weightsSource)).toThrow(new RegExp(`${bin.replace(/[.]/g, '\\.')}: w: non-finite weight: w\\[1\\] = NaN`));
      m.dispose();
    });

    it('the weights file of model.json must be a file name inside the folder', async () => {
      const m = new Toy();
      const dir = path.join(tmp(), 'm');
      await saveModule(dir, m, {});
      const mjPath = path.join(dir, 'model.json');
      const mj = JSON.parse(fs.readFileSync(mjPath, 'utf8'));
      for (const p of ['../../../../etc/passwd', '/etc/passwd', 'sub/weights.bin', '..', '']) {
        mj.weightsManifest[0].paths = [p];
        fs.writeFileSync(mjPath, JSON.stringify(mj));
        await expect(readModelDir(dir), p).rejects.toThrow(/weightsManifest\[0\]\.paths\[0\]: weights path .* is not a file name inside the model folder/);
      }
      m.dispose();
    });

    it('optimiser state round trip: a restored Adamax takes the same next step', () => {
      const a = new Toy();
      const b = new Toy();
      const oa = new Adamax(a.parameters(), { lr: 0.1 });
      const g = tf.tensor2d([[0.5, -1], [2, 0.25]]);
      oa.step([g]);
      oa.step([tf.mul(g, -0.5)]);
      const ob = new Adamax(b.parameters(), { lr: 0.1 });
      b.w.assign(a.w);
      ob.setState(oa.getState());
      oa.step([g]);
      ob.step([g]);
      expect(Array.from(b.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
      oa.dispose();
      ob.dispose();
      tf.dispose(g);
      a.dispose();
      b.dispose();
    });
  }
});

describe('FusedAdamax state', () => {
  it('a restored optimiser continues bit for bit; a state of the wrong size is refused', () => {
    const p1 = new Float64Array([1, 2, 3]);
    const p2 = p1.slice();
    const g = new Float64Array([0.1, -0.2, 0.3]);
    const a = new FusedAdamax(3, { lr: 0.01 });
    a.step(p1, g);
    const b = new FusedAdamax(3, { lr: 0.01 });
    b.setState(a.getState());
    p2.set(p1);
    a.step(p1, g);
    b.step(p2, g);
    expect(Array.from(p2)).toEqual(Array.from(p1));
    expect(() => new FusedAdamax(4).setState(a.getState())).toThrow(/optimiser state 'm' has 3 values, this optimiser needs 4/);
  });
});
