import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { runCli } from '@skelflow/cli';
import { readNpy } from '@skelflow/pose';
import { hasShared, sharedDir } from '@skelflow/testing';
import { capture } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-convert-'));
const tar = path.join(sharedDir, 'data/stgnf/checkpoints/original/ShanghaiTech_85_9.tar');
const json = path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json');
const e2e = path.join(sharedDir, 'data/stgnf/e2e');

async function evalReport(model: string): Promise<{ file: string; auc: { smoothed: number; raw: number }; nSegments: number; clips: { name: string; segments: { score: number }[] }[] }> {
  const out = path.join(tmp(), 'report.json');
  const c = capture();
  const code = await runCli(['eval', '--model', model, '--poses', path.join(e2e, 'pose/test'), '--gt', path.join(e2e, 'gt/test_frame_mask'), '--out', out], c.io);
  expect(code, c.err.join('')).toBe(0);
  return { ...JSON.parse(fs.readFileSync(out, 'utf8')), file: out };
}

describe.skipIf(!hasShared)('the original STG-NF release as it is: eval --model <file.tar>, convert', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('eval --model ShanghaiTech_85_9.tar gives the original AUC, segment for segment the JSON checkpoint', async () => {
    const golden = JSON.parse(fs.readFileSync(path.join(e2e, 'golden.json'), 'utf8'));
    const fromTar = await evalReport(tar);
    const fromJson = await evalReport(json);
    console.log(`[e2e .tar] AUC smoothed ${fromTar.auc.smoothed} raw ${fromTar.auc.raw}; JSON ${fromJson.auc.smoothed} ${fromJson.auc.raw}; original ${golden.auc_smoothed} ${golden.auc_raw}`);
    expect(fromTar.auc).toEqual(fromJson.auc);
    expect(fromTar.nSegments).toBe(golden.n_segments);
    expect(fromTar.clips.flatMap((c) => c.segments.map((s) => s.score))).toEqual(fromJson.clips.flatMap((c) => c.segments.map((s) => s.score)));
    expect(Math.abs(fromTar.auc.smoothed - golden.auc_smoothed)).toBeLessThan(1e-4);

    // skelflow metrics reads the report as it is (normality scores) and gives its AUC, with the
    // ShanghaiTech masks (1 = abnormal) concatenated in the report's clip order as labels.
    const labels = fromTar.clips.flatMap((c) => Array.from(readNpy(fs.readFileSync(path.join(e2e, 'gt/test_frame_mask', `${c.name}.npy`)), c.name).data as ArrayLike<number>));
    const labelsFile = path.join(tmp(), 'labels.json');
    fs.writeFileSync(labelsFile, JSON.stringify(labels));
    for (const [flags, want] of [[[], fromTar.auc.smoothed], [['--raw'], fromTar.auc.raw]] as const) {
      const m = capture();
      expect(await runCli(['metrics', '--labels', labelsFile, '--scores', fromTar.file, ...flags], m.io), m.err.join('')).toBe(0);
      expect(JSON.parse(m.out.join('')).auc).toBeCloseTo(want, 12);
    }
  });

  it('convert writes a model folder that scores as the .tar; an existing folder needs --force', async () => {
    const dir = path.join(tmp(), 'sht');
    const c = capture();
    expect(await runCli(['convert', tar, '--out', dir], c.io), c.err.join('')).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ kind: 'stg-nf', convertedFrom: 'ShanghaiTech_85_9.tar', model: { segLen: 24, K: 8, R: 3, temporalKernel: 13 } });
    expect(fs.existsSync(path.join(dir, 'weights.bin'))).toBe(true);
    const again = capture();
    expect(await runCli(['convert', tar, '--out', dir], again.io)).toBe(2);
    expect(again.err.join('')).toMatch(/already holds a model; pass overwrite \(--force\)/);
    expect(await runCli(['convert', tar, '--out', dir, '--force'], capture().io)).toBe(0);
    // The folder loads and scores like the checkpoint it came from.
    const { loadStgNf } = await import('@skelflow/stg-nf/node');
    const a = await loadStgNf(dir);
    const b = await loadStgNf(tar);
    const x = new Float32Array(2 * 2 * 24 * 18).map((_, i) => Math.sin(i * 0.37));
    expect(Array.from(a.scoreSegments(x))).toEqual(Array.from(b.scoreSegments(x)));
    a.dispose();
    b.dispose();
  });
});

describe('skelflow convert refuses with one line', () => {
  it('no input, a missing file, a folder, a malicious pickle', async () => {
    const c1 = capture();
    expect(await runCli(['convert', '--out', 'x'], c1.io)).toBe(2);
    expect(c1.err.join('')).toMatch(/give the checkpoint to convert/);
    const c2 = capture();
    expect(await runCli(['convert', 'nope.tar', '--out', 'x'], c2.io)).toBe(2);
    expect(c2.err.join('')).toMatch(/nope\.tar: no such file or folder/);
    const dir = tmp();
    const evil = path.join(dir, 'evil.pth');
    fs.copyFileSync(new URL('../../torchfile/test/fixtures/malicious_os_system.pth', import.meta.url), evil);
    const c3 = capture();
    expect(await runCli(['convert', evil, '--out', path.join(dir, 'out')], c3.io)).toBe(2);
    expect(c3.err.join('')).toMatch(/evil\.pth: data\.pkl byte \d+: refused to load global 'posix\.system'/);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
    const c4 = capture();
    expect(await runCli(['convert', '--help'], c4.io)).toBe(0);
    expect(c4.out.join('')).toMatch(/Usage: skelflow convert/);
  });
});
