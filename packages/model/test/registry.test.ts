import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromFlags, DuplicateModelError, flagKey, ModelRegistry, recipeFlags, UnknownModelError, type AnomalyModel, type ModelFamily, type Recipe } from '@skelflow/model';
import { LEGACY_MODEL_KIND, readModelKind, writeModelConfig } from '@skelflow/model/node';

const recipe: Recipe = { segLen: 24, trainStride: 6, flipHorizontal: true, epochs: 1, batchSize: 8, lr: 1e-3, seed: 0 };

function family(kind: string): ModelFamily<AnomalyModel, Recipe> {
  const fail = () => {
    throw new Error('not used');
  };
  return {
    kind,
    summary: `${kind} for tests`,
    input: { layout: 'openpose18', dims: 2, channels: 2, segLen: 24, joints: 18 },
    recipe,
    flags: recipeFlags(recipe, ['seg-len', 'seed']),
    configure: (v) => configFromFlags(recipe, recipeFlags(recipe, ['seg-len', 'seed']), v),
    create: fail,
    trainingData: fail,
    evalSegments: fail,
    train: fail,
    load: fail,
  };
}

describe('ModelRegistry', () => {
  it('gets families by kind and lists them in registration order', () => {
    const r = new ModelRegistry().register(family('b-model')).register(family('a-model'));
    expect(r.kinds()).toEqual(['b-model', 'a-model']);
    expect(r.get('a-model').summary).toBe('a-model for tests');
    expect(r.list().map((f) => f.kind)).toEqual(['b-model', 'a-model']);
    expect(r.has('b-model')).toBe(true);
    expect(r.has('c-model')).toBe(false);
  });

  it('an unknown kind is a typed error that lists the known kinds', () => {
    const r = new ModelRegistry().register(family('stg-nf')).register(family('pca-gaussian'));
    let err: unknown;
    try {
      r.get('lstm', '--model');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownModelError);
    const u = err as UnknownModelError;
    expect(u.code).toBe('SKELFLOW_UNKNOWN_MODEL');
    expect(u.known).toEqual(['stg-nf', 'pca-gaussian']);
    expect(u.message).toBe("--model: unknown model 'lstm' (known: stg-nf, pca-gaussian)");
  });

  it('refuses a second family of the same kind, and malformed kinds', () => {
    const r = new ModelRegistry().register(family('stg-nf'));
    expect(() => r.register(family('stg-nf'))).toThrow(DuplicateModelError);
    expect(() => r.register(family('Bad Kind'))).toThrow(/lower-case/);
    expect(r.kinds()).toEqual(['stg-nf']);
  });
});

describe('flags and configs', () => {
  it('flag names map to config keys; given flags override the recipe', () => {
    expect(flagKey({ name: 'seg-len', type: 'int', help: '' })).toBe('segLen');
    expect(flagKey({ name: 'batch', key: 'batchSize', type: 'int', help: '' })).toBe('batchSize');
    const flags = recipeFlags(recipe, ['seg-len', 'batch', 'seed']);
    expect(flags.map((f) => f.default)).toEqual([24, 8, 0]);
    const c = configFromFlags(recipe, flags, { 'seg-len': 16, batch: undefined, seed: 3 });
    expect(c).toEqual({ ...recipe, segLen: 16, seed: 3 });
  });
});

describe('readModelKind', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-model-'));

  it('reads kind and formatVersion; legacy folders and checkpoint files are STG-NF', async () => {
    const dir = tmp();
    await writeModelConfig(dir, { kind: 'pca-gaussian', k: 3 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ kind: 'pca-gaussian', formatVersion: 1, k: 3 });
    expect(await readModelKind(dir)).toEqual({ kind: 'pca-gaussian', type: 'folder', formatVersion: 1, legacy: false });
    await expect(writeModelConfig(dir, { kind: 'x' })).rejects.toThrow(/already holds a model/);

    const legacy = tmp();
    fs.writeFileSync(path.join(legacy, 'config.json'), JSON.stringify({ model: { segLen: 24 } }));
    expect(await readModelKind(legacy)).toMatchObject({ kind: LEGACY_MODEL_KIND, legacy: true, type: 'folder' });

    const file = path.join(tmp(), 'ShanghaiTech_85_9.json');
    fs.writeFileSync(file, '{}');
    expect(await readModelKind(file)).toMatchObject({ kind: 'stg-nf', type: 'file', legacy: true });
  });

  it('names the location when it is missing or malformed', async () => {
    const dir = tmp();
    await expect(readModelKind(path.join(dir, 'nope'))).rejects.toThrow(/nope: no such file or folder/);
    await expect(readModelKind(dir)).rejects.toThrow(/no config\.json/);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"kind": 3}');
    await expect(readModelKind(dir)).rejects.toThrow(/config\.json: 'kind' must be a non-empty string/);
  });
});
