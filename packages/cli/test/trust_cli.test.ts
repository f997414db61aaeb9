import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { registry, runCli } from '@skelflow/cli';
import { generateDemoDataset } from '@skelflow/pose';
import { writeDemoDataset } from '@skelflow/pose/node';
import { prepareBenchmarkOut } from '../src/commands/benchmark.js';
import { capture, runOk } from './helpers.js';

// Issue #14, part A through the command line: no broken model is saved as a success, every output
// path is checked before any work, folders are written as sets, resumes are checked.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-trust-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');
const poses = () => path.join(data, 'pose', 'train');
const TINY = ['--K', '2', '--seg-len', '12', '--epochs', '1'];
const evalArgs = (model: string, out: string) => ['eval', '--model', model, '--poses', path.join(data, 'pose', 'test'), '--gt', path.join(data, 'gt', 'test_frame_mask'), '--out', out];

async function fails(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const c = capture();
  const code = await runCli(argv, c.io);
  return { code, err: c.err.join(''), out: c.out.join('') };
}
/** The last line of stderr (progress bars come before it). */
const lastLine = (s: string) => s.replace(/\r/g, '\n').trim().split('\n').at(-1)!;

describe('skelflow train / eval / benchmark: sound models and checked outputs', () => {
  let model: string;
  beforeAll(async () => {
    await initBackend('wasm');
    writeDemoDataset(data, generateDemoDataset({ seed: 5, scale: 'tiny' }));
    model = path.join(root, 'good');
    await runOk(['train', '--poses', poses(), '--out', model, ...TINY]);
  });

  it('train --lr 10, 15, 20, 25, 100: exit 2, one line naming epoch and batch, no model saved, the last good checkpoint left (was: exit 0 with infinite BatchNorm variances, or nothing saved)', async () => {
    for (const lr of ['10', '15', '20', '25', '100']) {
      const out = path.join(root, `lr${lr}`);
      const r = await fails(['train', '--poses', poses(), '--out', out, '--lr', lr, '--K', '2', '--seg-len', '12', '--epochs', '2']);
      expect(r.code, `lr ${lr}: ${r.err}`).toBe(2);
      const line = lastLine(r.err);
      if (lr === '10') console.log(`[lr 10] ${line}`);
      expect(line).toMatch(/^skelflow train: training diverged at epoch 1, batch \d+: .*; no model saved; the last good checkpoint is before the first step, in .*checkpoint$/);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(path.join(out, 'model.json'))).toBe(false);
      const cp = await registry.get('stg-nf').load(path.join(out, 'checkpoint')); // finite, loadable
      cp.dispose();
    }
  });

  it('eval refuses a model with a non-finite weight, naming weights.bin and the tensor (was: every segment −173.255, AUC 0.5, exit 0)', async () => {
    const bad = path.join(root, 'inf');
    fs.cpSync(model, bad, { recursive: true });
    const mj = JSON.parse(fs.readFileSync(path.join(bad, 'model.json'), 'utf8'));
    const specs = mj.weightsManifest[0].weights as { name: string; shape: number[] }[];
    let offset = 0;
    for (const s of specs) {
      if (/runningVar$/.test(s.name)) break;
      offset += s.shape.reduce((a, b) => a * b, 1) * 4;
    }
    const victim = specs.find((s) => /runningVar$/.test(s.name))!.name;
    const bin = fs.readFileSync(path.join(bad, 'weights.bin'));
    bin.writeFloatLE(Infinity, offset);
    fs.writeFileSync(path.join(bad, 'weights.bin'), bin);
    const r = await fails(evalArgs(bad, path.join(root, 'inf.json')));
    expect(r.code).toBe(2);
    expect(lastLine(r.err)).toBe(`skelflow eval: ${path.join(bad, 'weights.bin')}: ${victim}: non-finite weight: ${victim}[0] = Infinity`);
    expect(fs.existsSync(path.join(root, 'inf.json'))).toBe(false);
  });

  it('train --out <an existing file> fails at once, before reading or training (was: trained fully, then EEXIST)', async () => {
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'mine');
    const r = await fails(['train', '--poses', poses(), '--out', file, ...TINY]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`skelflow train: ${file} exists and is not a folder; --out takes a folder\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('mine');
  });

  it('train --out . (the current folder, which the atomic replacement would rename) is refused at once', async () => {
    const r = await fails(['train', '--poses', poses(), '--out', '.', ...TINY]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('skelflow train: --out . is the current folder or contains it; choose a folder inside it\n');
  });

  it('eval --out <a folder> --force fails at once, before scoring (was: scored everything, then failed)', async () => {
    const dir = path.join(root, 'a-folder');
    fs.mkdirSync(dir);
    const r = await fails([...evalArgs(model, dir), '--force']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`skelflow eval: ${dir} is a folder; --out takes a file name\n`);
  });

  it('train --out into a non-empty folder without model.json refuses without --force and leaves its files (config.json included) untouched', async () => {
    for (const files of [{ 'config.json': '{"mine": true}\n', 'notes.txt': 'x' }, { 'notes.txt': 'my notes' }]) {
      const dir = fs.mkdtempSync(path.join(root, 'nonempty-'));
      for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t);
      const r = await fails(['train', '--poses', poses(), '--out', dir, ...TINY]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/(already holds a model|is not empty); pass --force/);
      for (const [n, t] of Object.entries(files)) expect(fs.readFileSync(path.join(dir, n), 'utf8')).toBe(t);
      expect(fs.readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
    }
  });

  it('a --force retrain replaces the model folder as a set; temporary folders of dead writers are removed', async () => {
    const dir = path.join(root, 'retrain');
    await runOk(['train', '--poses', poses(), '--out', dir, ...TINY]);
    // What a crash of an earlier writer leaves beside the folder (pid above Linux's pid_max: dead).
    const stale = path.join(root, '.retrain.tmp-4194999-abcdef');
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'weights.bin'), 'half');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not part of the model');
    await runOk(['train', '--poses', poses(), '--out', dir, ...TINY, '--seed', '3', '--force']);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint', 'config.json', 'model.json', 'weights.bin']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).training.seed).toBe(3);
  });

  it('--resume refuses other flags or other data, naming what differs', async () => {
    const dir = path.join(root, 'resume-check');
    await runOk(['train', '--poses', poses(), '--out', dir, ...TINY]);
    let r = await fails(['train', '--poses', poses(), '--out', dir, '--K', '2', '--seg-len', '12', '--epochs', '1', '--lr', '0.001', '--resume']);
    expect(r.code).toBe(2);
    expect(lastLine(r.err)).toBe('skelflow train: cannot resume: the flags differ from the checkpoint\'s: lr 0.001 (checkpoint: 0.0005)');
    const other = path.join(root, 'other-poses');
    fs.mkdirSync(other);
    const files = fs.readdirSync(poses()).sort();
    for (const f of files.slice(1)) fs.copyFileSync(path.join(poses(), f), path.join(other, f));
    r = await fails(['train', '--poses', other, '--out', dir, ...TINY, '--resume']);
    expect(r.code).toBe(2);
    expect(lastLine(r.err)).toMatch(/^skelflow train: cannot resume: the training data differ from the checkpoint's \(\d+ segments, sha256 [0-9a-f]{12}…; checkpoint: \d+ segments, [0-9a-f]{12}…\)$/);
    r = await fails(['train', '--poses', poses(), '--out', path.join(root, 'nothing-here'), ...TINY, '--resume']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds no training checkpoint to resume/);
  });

  it('benchmark rerun with fewer seeds leaves no stale seed files: the previous results are removed first (was: the old seeds\' models and reports stayed)', async () => {
    // The folder a `benchmark --seeds 2` leaves (written by hand: the full run takes long), then the
    // preparation of a rerun into it.
    const out = path.join(root, 'bench');
    fs.mkdirSync(path.join(out, 'runs'), { recursive: true });
    fs.writeFileSync(path.join(out, '.skelflow-benchmark'), 'written by skelflow benchmark\n');
    for (const seed of [1, 2]) {
      fs.writeFileSync(path.join(out, 'runs', `pca-gaussian-seed${seed}.json`), '{}');
      fs.mkdirSync(path.join(out, 'models', `pca-gaussian-seed${seed}`), { recursive: true });
    }
    fs.writeFileSync(path.join(out, 'benchmark.json'), '{}');
    await prepareBenchmarkOut(out, false);
    expect(fs.readdirSync(out)).toEqual(['.skelflow-benchmark']);
    // A folder the benchmark did not write is still refused without --force, untouched.
    const mine = path.join(root, 'mine');
    fs.mkdirSync(path.join(mine, 'runs'), { recursive: true });
    await expect(prepareBenchmarkOut(mine, false)).rejects.toThrow(/was not written by skelflow benchmark/);
    expect(fs.existsSync(path.join(mine, 'runs'))).toBe(true);
  });
});
