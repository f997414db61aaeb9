import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { registry } from '@skelflow/cli';
import { generateDemoDataset } from '@skelflow/pose';
import { writeDemoDataset } from '@skelflow/pose/node';
import { runOk as run } from './helpers.js';

// MGNet through the CLI on a very small synthetic dataset: train (the STG-NF teacher first) → eval,
// and `stream` refusing its packed input with one line. The numbers are checked in examples/mgnet/test.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-mgnet-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');
const SMALL = ['--seg-len', '8', '--dim', '8', '--heads', '2', '--head-hidden', '8', '--app-dim', '4', '--memory-items', '3', '--teacher-epochs', '1', '--epochs', '1', '--app-epochs', '1', '--student-every', '4'];

describe('skelflow with mgnet', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    writeDemoDataset(data, generateDemoDataset({ seed: 5, scale: 'tiny', trainClips: 2, testClips: 1 }));
  });

  it('is registered and listed with its flags', async () => {
    expect(registry.kinds()).toContain('mgnet');
    const { out } = await run(['models']);
    expect(out).toMatch(/^mgnet\s+MGNet/m);
    const help = await run(['train', '--model', 'mgnet', '--help']);
    for (const flag of ['--levels', '--teacher', '--teacher-epochs', '--app-epochs', '--lambda-app', '--lambda-mm', '--bsmm-temperature', '--mask-ratio', '--lsta']) expect(help.out).toContain(flag);
  });

  it('train → eval: a saved folder with its teacher; a finite AUC; --teacher reuses it', async () => {
    const dir = path.join(root, 'mg');
    const t = await run(['train', '--model', 'mgnet', '--poses', path.join(data, 'pose', 'train'), '--out', dir, ...SMALL]);
    expect(t.out).toMatch(/^trained mgnet on \d+ segments/);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ kind: 'mgnet', formatVersion: 1, model: { segLen: 8, dim: 8, levels: '123' } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'teacher', 'config.json'), 'utf8')).kind).toBe('stg-nf');
    const out = path.join(root, 'eval.json');
    await run(['eval', '--model', dir, '--poses', path.join(data, 'pose', 'test'), '--gt', path.join(data, 'gt', 'test_frame_mask'), '--out', out]);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.auc.raw).toBeGreaterThanOrEqual(0);
    expect(report.auc.raw).toBeLessThanOrEqual(1);
    const again = path.join(root, 'mg2');
    await run(['train', '--model', 'mgnet', '--poses', path.join(data, 'pose', 'train'), '--out', again, ...SMALL, '--levels', '1', '--teacher', path.join(dir, 'teacher')]);
    const w1 = fs.readFileSync(path.join(dir, 'teacher', 'weights.bin'));
    expect(fs.readFileSync(path.join(again, 'teacher', 'weights.bin')).equals(w1)).toBe(true);
  });
});
