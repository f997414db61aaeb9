import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, WeightsError } from '@skelflow/base';
import { checkpointFromTorch, initBackend, parseCheckpointJson } from '@skelflow/core';
import { stgNfCheckpoint, stgNfConfigFromCheckpoint, stgNfFromCheckpoint } from '@skelflow/stg-nf';
import { loadStgNf } from '@skelflow/stg-nf/node';
import { readTorchCheckpoint } from '@skelflow/torchfile';
import { hasShared, sharedDir } from '@skelflow/testing';

// The original releases (torch.save files, as in github orhir/STG-NF checkpoints/) against their
// JSON exports, which PyTorch itself wrote (state_dict tensors via tolist()).
const NAMES = ['ShanghaiTech_85_9', 'UBnormal_unsupervised_71_8', 'UBnormal_supervised_79_2'];
const ckptDir = path.join(sharedDir, 'data/stgnf/checkpoints');
const original = (n: string) => path.join(ckptDir, 'original', `${n}.tar`);
const exported = (n: string) => path.join(ckptDir, `${n}.json`);

/** A deterministic probe batch `[2, 2, T, 18]` (docs/stgnf-original.md's probe). */
function probe(T: number): Float32Array {
  const out = new Float32Array(2 * 2 * T * 18);
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < 18; v++) {
      const x0 = Math.sin(0.3 * t + 0.5 * v);
      const x1 = Math.cos(0.2 * t - 0.4 * v) + (0.1 * t) / T;
      out[t * 18 + v] = x0;
      out[T * 18 + t * 18 + v] = x1;
      out[2 * T * 18 + t * 18 + v] = 0.5 * x1;
      out[3 * T * 18 + t * 18 + v] = 0.5 * x0;
    }
  }
  return out;
}

describe.skipIf(!hasShared)('the original STG-NF releases, read directly (no Python)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  for (const name of NAMES) {
    it(`${name}.tar holds the same tensors and args as its JSON export`, () => {
      const fromTar = checkpointFromTorch(readTorchCheckpoint(fs.readFileSync(original(name)), `${name}.tar`), `${name}.tar`);
      const fromJson = parseCheckpointJson(fs.readFileSync(exported(name), 'utf8'), `${name}.json`);
      expect([...fromTar.tensors.keys()].sort()).toEqual([...fromJson.tensors.keys()].sort());
      for (const [key, t] of fromJson.tensors) {
        const mine = fromTar.tensors.get(key)!;
        expect(mine.shape, key).toEqual(t.shape);
        expect(mine.dtype, key).toBe(t.dtype);
        // Bit for bit: both hold the float32 values PyTorch saved.
        expect(Buffer.from(mine.data.buffer).equals(Buffer.from(t.data.buffer)), key).toBe(true);
      }
      for (const k of ['seg_len', 'seg_stride', 'K', 'L', 'R', 'flow_permutation', 'batch_size', 'epochs']) {
        expect(fromTar.args[k], k).toEqual(fromJson.args[k]);
      }
      expect(stgNfConfigFromCheckpoint(fromTar, name)).toEqual(stgNfConfigFromCheckpoint(fromJson, name));
    });
  }

  it('loadStgNf reads the .tar as it is; scores equal the JSON checkpoint and the published probe NLL', async () => {
    const fromTar = await loadStgNf(original('ShanghaiTech_85_9'));
    const fromJson = await loadStgNf(exported('ShanghaiTech_85_9'));
    const x = probe(24);
    const a = fromTar.scoreSegments(x);
    const b = fromJson.scoreSegments(x);
    expect(Array.from(a)).toEqual(Array.from(b));
    // docs/stgnf-original.md: PyTorch gives NLL 5.44933 and 1.83746 bits/dim on this probe.
    expect(-a[0]!).toBeCloseTo(5.44933, 4);
    expect(-a[1]!).toBeCloseTo(1.83746, 4);
    expect(fromTar.config).toMatchObject({ segLen: 24, K: 8, R: 3, temporalKernel: 13, permutation: 'reverse' });
    fromTar.dispose();
    fromJson.dispose();
  });

  it('stgNfFromCheckpoint takes bytes, text, a parsed object (res.json()) or a CheckpointJson', () => {
    const text = fs.readFileSync(exported('UBnormal_supervised_79_2'), 'utf8');
    const x = probe(16);
    const scores = [
      stgNfFromCheckpoint(fs.readFileSync(original('UBnormal_supervised_79_2')), 'sup.tar'),
      stgNfFromCheckpoint(text, 'sup.json'),
      stgNfFromCheckpoint(JSON.parse(text) as object, 'sup.json'),
      stgNfFromCheckpoint(stgNfCheckpoint(text, 'sup.json'), 'sup.json'),
    ].map((m) => {
      expect(m.config).toMatchObject({ segLen: 16, R: 10, temporalKernel: 9 });
      const s = Array.from(m.scoreSegments(x));
      m.dispose();
      return s;
    });
    for (const s of scores.slice(1)) expect(s).toEqual(scores[0]);
    expect(() => stgNfFromCheckpoint({ nope: 1 }, 'res.json')).toThrow(InputError);
    expect(() => stgNfFromCheckpoint({ nope: 1 }, 'res.json')).toThrow(/res\.json: expected an object with "state_dict"|missing or invalid "state_dict"/);
  });
});

describe('STG-NF checkpoint args', () => {
  const tensor = (shape: number[]) => ({ shape, dtype: 'float32', data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const ckpt = (args: Record<string, unknown>) => ({
    args,
    tensors: new Map([
      ['flow.layers.0.actnorm.bias', tensor([1, 2, 1, 1])],
      ['flow.layers.1.actnorm.bias', tensor([1, 2, 1, 1])],
    ]),
  });

  it('configure the model, and disagreements with the tensors are named', () => {
    expect(stgNfConfigFromCheckpoint(ckpt({ seg_len: 12, K: 2, R: 5, temporal_kernel: 3, max_hops: 2 }), 'a')).toEqual({ segLen: 12, K: 2, R: 5, temporalKernel: 3, maxHops: 2, permutation: 'reverse' });
    expect(() => stgNfConfigFromCheckpoint(ckpt({ seg_len: 12, K: 8 }), 'a.tar')).toThrow(/a\.tar: flow\.layers\.2: args\.K = 8 but flow step 2 has no weights/);
    expect(() => stgNfConfigFromCheckpoint(ckpt({ seg_len: 12, L: 2 }), 'a.tar')).toThrow(WeightsError);
    expect(() => stgNfConfigFromCheckpoint(ckpt({ seg_len: 12, flow_permutation: 'invconv' }), 'a.tar')).toThrow(/args\.flow_permutation/);
  });

  it('bytes that are no checkpoint say so', () => {
    expect(() => stgNfCheckpoint(new TextEncoder().encode('plain tar bytes'), 'x.tar')).toThrow(/x\.tar: not a PyTorch checkpoint/);
    expect(() => stgNfCheckpoint(Uint8Array.from([0x80, 2, 0x8a]), 'model.bin')).toThrow(/legacy torch\.save file/);
    expect(() => stgNfCheckpoint(new TextEncoder().encode('{"state_dict": 3}'), 'c.json')).toThrow(/c\.json: missing or invalid "state_dict"/);
  });

  it('a malicious .tar is refused by loadStgNf with the global named', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-tar-')), 'evil.tar');
    fs.copyFileSync(new URL('../../../packages/torchfile/test/fixtures/malicious_os_system.pth', import.meta.url), file);
    await expect(loadStgNf(file)).rejects.toThrow(/evil\.tar: data\.pkl byte \d+: refused to load global 'posix\.system'/);
  });
});
