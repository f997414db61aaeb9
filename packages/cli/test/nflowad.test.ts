import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { registry } from '@skelflow/cli';
import { generateDemoDataset } from '@skelflow/pose';
import { writeDemoDataset } from '@skelflow/pose/node';
import { runOk as run } from './helpers.js';

// NFlowAD through the CLI on the tiny synthetic dataset: train → eval → stream → benchmark, at a
// small size and few epochs (the numbers are checked in examples/nflowad/test).

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-nflowad-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');
const SMALL = ['--d-model', '8', '--heads', '2', '--layers', '1', '--flow-steps', '2', '--flow-hidden', '8', '--mae-epochs', '1', '--epochs', '1'];

describe('skelflow with nflowad', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    writeDemoDataset(data, generateDemoDataset({ seed: 5, scale: 'tiny' }));
  });

  it('is registered and listed with its flags', async () => {
    expect(registry.kinds()).toContain('nflowad');
    const { out } = await run(['models']);
    expect(out).toMatch(/^nflowad\s+NFlowAD/m);
    const help = await run(['train', '--model', 'nflowad', '--help']);
    for (const flag of ['--mae-epochs', '--mask-ratio', '--flow-steps', '--alpha', '--beta', '--normalise', '--percentile', '--clip-fraction', '--val-fraction']) expect(help.out).toContain(flag);
  });

  it('train → eval: a saved folder with kind, thresholds and calibration on held-out clips; a finite AUC', async () => {
    const dir = path.join(root, 'nfl');
    const t = await run(['train', '--model', 'nflowad', '--poses', path.join(data, 'pose', 'train'), '--out', dir, ...SMALL]);
    expect(t.out).toMatch(/^trained nflowad on \d+ segments/);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ kind: 'nflowad', formatVersion: 1, model: { dModel: 8, flowSteps: 2, alpha: 0.6, beta: 0.4 } });
    expect(cfg.stages.calibration.heldOut).toBe(true);
    for (const k of ['joint', 'frame', 'sequence']) expect(Number.isFinite(cfg.thresholds[k])).toBe(true);
    const out = path.join(root, 'eval.json');
    await run(['eval', '--model', dir, '--poses', path.join(data, 'pose', 'test'), '--gt', path.join(data, 'gt', 'test_frame_mask'), '--out', out]);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.auc.raw).toBeGreaterThanOrEqual(0);
    expect(report.auc.raw).toBeLessThanOrEqual(1);
  });

  it('benchmark --models nflowad --seeds 1: its row', async () => {
    const out = path.join(root, 'bench');
    await run(['benchmark', '--data', data, '--out', out, '--models', 'nflowad', '--seeds', '1', ...SMALL]);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'benchmark.json'), 'utf8'));
    expect(report.models.map((m: { model: string }) => m.model)).toEqual(['nflowad']);
    expect(report.models[0].config).toMatchObject({ dModel: 8, maeEpochs: 1, epochs: 1 });
    expect(report.models[0].aucRaw.mean).toBeGreaterThanOrEqual(0);
  });
});
