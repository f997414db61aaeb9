import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { generateDemoDataset } from '@skelflow/pose';
import { writeDemoDataset } from '@skelflow/pose/node';
import { repoRoot } from '@skelflow/testing';
import { expectUsageFailure, runOk } from './helpers.js';

// `--resume` for every kind: DSNF (trained by core's shared loop like STG-NF) stops on SIGINT with a
// checkpoint and `--resume` ends on the uninterrupted run's weights, bit for bit; a family that
// cannot resume (the closed-form PCA baseline) refuses `--resume` with one line instead of ignoring it.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-resume-kinds-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const poses = path.join(root, 'data', 'pose', 'train');
// The fused engine (zero gate, NLL) keeps the child process short; the tensor path's resume is
// covered by examples/dsnf/test/train_resume.test.ts.
const DSNF = ['--model', 'dsnf', '--poses', poses, '--K', '2', '--seg-len', '12', '--epochs', '2', '--batch', '64', '--gate', 'zero', '--loss', 'nll', '--backend', 'wasm'];

/** `skelflow train …` as a child process, sent SIGINT once stderr has shown its first checkpoint line. */
function trainInterrupted(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('packages', 'cli', 'src', 'bin.ts'), 'train', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // After the first training batch (a progress line past the checkpoint before the first step).
      if (!sent && /checkpoint: before the first step[\s\S]*training \[[#-]+\]\s+\d+%\s+[1-9]/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('skelflow train --resume for every kind', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    writeDemoDataset(path.join(root, 'data'), generateDemoDataset({ seed: 5, scale: 'tiny' }));
  });

  it('dsnf: SIGINT checkpoints and exits 130 with the resume command; --resume ends bit-identical to an uninterrupted run', async () => {
    const ref = path.join(root, 'ref');
    await runOk(['train', ...DSNF, '--out', ref]);
    const out = path.join(root, 'stopped');
    const r = await trainInterrupted([...DSNF, '--out', out]);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/skelflow train: training interrupted by SIGINT at epoch \d+, batch \d+; checkpoint saved .*; continue with: skelflow train .* --resume/);
    const state = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.kind).toBe('dsnf');
    expect(state.state.epoch > 0 || state.state.batch > 0, 'stopped after some training').toBe(true);
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(false);
    const { err } = await runOk(['train', ...DSNF, '--out', out, '--resume']);
    expect(err).toMatch(/resuming from .*checkpoint at epoch \d+, batch \d+/);
    expect(fs.readFileSync(path.join(out, 'weights.bin')).equals(fs.readFileSync(path.join(ref, 'weights.bin'))), 'final weights equal the uninterrupted run').toBe(true);
  });

  it('pca-gaussian (closed form, no checkpoint): --resume is refused with one line', async () => {
    const out = path.join(root, 'pca');
    fs.mkdirSync(path.join(out, 'checkpoint'), { recursive: true });
    await expectUsageFailure(['train', '--model', 'pca-gaussian', '--poses', poses, '--out', out, '--resume'], /^skelflow train: --model pca-gaussian trains in one step and writes no checkpoint, so it cannot --resume; train it again \(with --force to replace --out\)\n$/);
  });
});
