import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, WeightsError } from '@skelflow/base';
import { BACKENDS } from '@skelflow/testing';
import { Module, encodeModule, initBackend, moduleFromSavedFiles } from '../src/index.js';

class Pair extends Module {
  readonly w: tf.Variable;
  constructor(readonly config: { n: number }, values?: number[]) {
    super();
    this.w = this.addParameter('w', tf.tensor1d(values ?? new Array<number>(config.n).fill(0)));
  }
}

describe.each(BACKENDS)('moduleFromSavedFiles on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  const spec = { kind: 'pair', formatVersion: 3, create: (c: { n: number }) => new Pair(c) };

  it('builds the module of the declared config, decodes its weights and returns it in eval mode', async () => {
    const saved = new Pair({ n: 2 }, [1.5, -2]);
    const { modelJson, weights } = await encodeModule(saved, { kind: 'pair', formatVersion: 3, model: { n: 2 } });
    saved.dispose();
    const loaded = moduleFromSavedFiles(JSON.stringify(modelJson), weights, spec);
    expect(loaded.config).toEqual({ n: 2 });
    expect(loaded.training).toBe(false);
    expect(Array.from(loaded.w.dataSync())).toEqual([1.5, -2]);
    loaded.dispose();
  });

  it('refuses another kind, another format version, and weights that do not fit (disposing the module)', async () => {
    const saved = new Pair({ n: 2 }, [1, 2]);
    const { modelJson, weights } = await encodeModule(saved, { kind: 'pair', formatVersion: 3, model: { n: 2 } });
    saved.dispose();
    const other = { ...modelJson, config: { kind: 'other', formatVersion: 3, model: { n: 2 } } };
    expect(() => moduleFromSavedFiles(other, weights, { ...spec, source: 'dir/model.json' })).toThrow(InputError);
    expect(() => moduleFromSavedFiles(other, weights, spec)).toThrow("model kind 'other' is not 'pair'");
    const old = { ...modelJson, config: { kind: 'pair', formatVersion: 2, model: { n: 2 } } };
    try {
      moduleFromSavedFiles(old, weights, spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).location).toBe('formatVersion');
    }
    const bigger = { ...modelJson, config: { kind: 'pair', formatVersion: 3, model: { n: 3 } } };
    const before = tf.memory().numTensors;
    expect(() => moduleFromSavedFiles(bigger, weights, spec)).toThrow(WeightsError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
