import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { registry } from '@skelflow/cli';
import { generateDemoDataset } from '@skelflow/pose';
import { writeDemoDataset } from '@skelflow/pose/node';
import { expectUsageFailure, runOk as run } from './helpers.js';

// The CLI through the model registry: every model kind is trained, saved, evaluated and
// benchmarked by the same commands, on the tiny synthetic dataset.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-models-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');

function evalArgs(model: string, out: string): string[] {
  return ['eval', '--model', model, '--poses', path.join(data, 'pose', 'test'), '--gt', path.join(data, 'gt', 'test_frame_mask'), '--out', out];
}

describe('skelflow and the model registry', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    writeDemoDataset(data, generateDemoDataset({ seed: 5, scale: 'tiny' }));
  });

  it('the registry holds STG-NF and the PCA-Gaussian baseline; `skelflow models` lists both', async () => {
    // The first two in registration order; the paper models follow.
    expect(registry.kinds().slice(0, 2)).toEqual(['stg-nf', 'pca-gaussian']);
    const { out } = await run(['models']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^stg-nf\s+STG-NF/);
    expect(out).toMatch(/^pca-gaussian\s+density baseline/m);
    expect(out).toMatch(/^msg-flow\s+MSG-Flow/m);
    expect((out.match(/input \[2, 24, 18\] openpose18 \(2-D\)/g) ?? []).length).toBeGreaterThanOrEqual(2);
    const verbose = await run(['models', '--verbose']);
    expect(verbose.out).toMatch(/--abnormal-poses <dir>/);
    expect(verbose.out).toMatch(/--max-components <int>\s+at most this many components \(default 64\)/);
  });

  it('train --help shows each family with its flags; flags of another family are refused', async () => {
    const { out } = await run(['train', '--help']);
    expect(out).toMatch(/--model stg-nf: STG-NF/);
    expect(out).toMatch(/--model pca-gaussian: density baseline/);
    expect(out).toMatch(/--R <number>\s+prior radius/);
    const one = await run(['train', '--model', 'pca-gaussian', '--help']);
    expect(one.out).not.toMatch(/--model stg-nf/);
    await expectUsageFailure(['train', '--model', 'pca-gaussian', '--poses', 'p', '--out', 'o', '--R', '3'], /Unknown option '--R'/);
    await expectUsageFailure(['train', '--model', 'pca-gaussian', '--poses', 'p', '--out', 'o', '--variance', '0'], /--variance must be a positive number, got '0'/);
    await expectUsageFailure(['benchmark', '--data', data, '--out', path.join(root, 'bx'), '--models', 'pca-gaussian', '--R', '3'], /--R is not a flag of pca-gaussian/);
  });

  it('train --model pca-gaussian → eval --model <that folder>: a finite AUC', async () => {
    const dir = path.join(root, 'pca');
    const t = await run(['train', '--model', 'pca-gaussian', '--poses', path.join(data, 'pose', 'train'), '--out', dir, '--max-components', '24']);
    expect(t.out).toMatch(/^trained pca-gaussian on \d+ segments/);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ kind: 'pca-gaussian', formatVersion: 1, config: { maxComponents: 24, segLen: 24 } });
    // The training data is named relative to the model folder, not by an absolute path.
    expect(cfg.training.poses).toBe('../data/pose/train');
    const report = path.join(root, 'pca.json');
    const e = await run(evalArgs(dir, report));
    expect(e.out).toMatch(/^AUC smoothed \d\.\d{4}  raw \d\.\d{4}/);
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(r.kind).toBe('pca-gaussian');
    expect(Number.isFinite(r.auc.raw) && r.auc.raw >= 0 && r.auc.raw <= 1).toBe(true);
    expect(Number.isFinite(r.auc.smoothed)).toBe(true);
    console.log(`[tiny] pca-gaussian AUC smoothed ${r.auc.smoothed.toFixed(4)} raw ${r.auc.raw.toFixed(4)}`);
  });

  it('a legacy STG-NF folder (config.json without kind) still evaluates; an unknown kind is named', async () => {
    const dir = path.join(root, 'stg');
    await run(['train', '--model', 'stg-nf', '--poses', path.join(data, 'pose', 'train'), '--out', dir, '--epochs', '1', '--K', '2']);
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    expect(cfg).toMatchObject({ kind: 'stg-nf', formatVersion: 1, model: { K: 2 } });
    const current = path.join(root, 'stg-current.json');
    await run(evalArgs(dir, current));
    delete cfg.kind;
    delete cfg.formatVersion;
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    // model.json's copy of the config, too, as folders written before kinds existed.
    const mj = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(mj.config.kind).toBe('stg-nf');
    delete mj.config.kind;
    delete mj.config.formatVersion;
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(mj));
    const legacy = path.join(root, 'stg-legacy.json');
    await run(evalArgs(dir, legacy));
    const a = JSON.parse(fs.readFileSync(current, 'utf8'));
    const b = JSON.parse(fs.readFileSync(legacy, 'utf8'));
    expect(b.kind).toBe('stg-nf');
    expect(b.auc).toEqual(a.auc);
    fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, kind: 'lstm' }));
    await expectUsageFailure(evalArgs(dir, path.join(root, 'x.json')), /config\.json: kind: unknown model 'lstm' \(known: stg-nf, pca-gaussian(, [a-z0-9-]+)*\)/);
  });

  it('benchmark --models stg-nf,pca-gaussian --seeds 1: one row per model', async () => {
    const out = path.join(root, 'bench');
    const b = await run(['benchmark', '--data', data, '--out', out, '--models', 'stg-nf,pca-gaussian', '--seeds', '1', '--epochs', '1', '--K', '2']);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'benchmark.json'), 'utf8'));
    expect(report.models.map((m: { model: string }) => m.model)).toEqual(['stg-nf', 'pca-gaussian']);
    expect(report.models[0].config).toMatchObject({ epochs: 1, K: 2, segLen: 24 });
    expect(report.models[1].config).toMatchObject({ epochs: 1, maxComponents: 64 });
    expect(report.settings).toMatchObject({ segLen: 24, seeds: [1], flags: { epochs: 1, K: 2 } });
    for (const m of report.models) {
      expect(m.runs).toHaveLength(1);
      expect(m.aucRaw.mean).toBeGreaterThanOrEqual(0);
      expect(m.aucRaw.mean).toBeLessThanOrEqual(1);
      expect(fs.existsSync(path.join(out, 'models', `${m.model}-seed1`, 'config.json'))).toBe(true);
      expect(fs.existsSync(path.join(out, 'runs', `${m.model}-seed1.json`))).toBe(true);
    }
    const md = fs.readFileSync(path.join(out, 'benchmark.md'), 'utf8');
    expect(md).toMatch(/\| stg-nf \| \d\.\d{4} ± 0\.0000 \| \d\.\d{4} ± 0\.0000 \| /);
    expect(md).toMatch(/\| pca-gaussian \| \d\.\d{4} ± 0\.0000 \| \d\.\d{4} ± 0\.0000 \| /);
    expect(b.out).toMatch(/\| pca-gaussian \|/);
    console.log(`[tiny] ${report.models.map((m: { model: string; aucSmoothed: { mean: number }; aucRaw: { mean: number } }) => `${m.model} AUC smoothed ${m.aucSmoothed.mean.toFixed(4)} raw ${m.aucRaw.mean.toFixed(4)}`).join('; ')}`);
  });
});
