import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { runCli } from '@skelflow/cli';
import { hasShared, sharedDir } from '@skelflow/testing';
import { capture, expectUsageFailure } from './helpers.js';


const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-cli-'));

/** A minimal valid tracked-person JSON: one person over `n` frames. */
function poseJson(n: number, mutate?: (kp: number[], frame: number) => void): string {
  const person: Record<string, { keypoints: number[]; scores: number }> = {};
  for (let f = 0; f < n; f++) {
    const kp: number[] = [];
    for (let j = 0; j < 17; j++) kp.push(400 + 3 * j + f, 100 + 12 * j + (f % 3), 0.9);
    mutate?.(kp, f);
    person[String(f).padStart(4, '0')] = { keypoints: kp, scores: 0.9 };
  }
  return JSON.stringify({ '1': person });
}

/** Writes a uint8 .npy mask of `n` frames (header written here, independently of the library). */
function npyMask(n: number): Buffer {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${n},), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  const body = Buffer.alloc(n);
  body.fill(1, Math.floor(n / 2));
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

function dataset(files: Record<string, string>, masks: Record<string, number>) {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'pose'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'gt'), { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, 'pose', `${name}_alphapose_tracked_person.json`), text);
  for (const [name, n] of Object.entries(masks)) fs.writeFileSync(path.join(dir, 'gt', `${name}.npy`), npyMask(n));
  return dir;
}

describe('skelflow command line', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('prints help for every command and exits 0', async () => {
    for (const cmd of ['demo', 'train', 'eval', 'metrics']) {
      const c = capture();
      expect(await runCli([cmd, '--help'], c.io)).toBe(0);
      expect(c.out.join('')).toMatch(new RegExp(`skelflow ${cmd}`));
    }
    const c = capture();
    expect(await runCli(['--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/Commands:/);
  });

  it('bad usage: one line and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['eval', '--modle', 'x'], /Unknown option '--modle'/],
      [['eval', '--poses', 'p', '--gt', 'g', '--out', 'o'], /--model is required/],
      [['train', '--poses', 'p', '--out', 'o', '--epochs', 'two'], /--epochs must be an integer/],
      [['train', '--model', 'lstm', '--poses', 'p', '--out', 'o'], /--model: unknown model 'lstm' \(known: stg-nf, pca-gaussian, msg-flow\)/],
      [['eval', '--model', 'm', '--poses', 'p', '--gt', 'g', '--out', path.join(tmp(), 'r.json'), '--gt-convention', 'avenue'], /--gt-convention must be/],
    ];
    for (const [argv, re] of cases) await expectUsageFailure(argv, re);
  });

  // Uses the released checkpoint from ../shared (skipped with the helpers' visible message without it).
  it.skipIf(!hasShared)('bad input files: the file (and person/frame) named, exit code 2', async () => {
    const ckptDir = tmp();
    const ckpt = path.join(ckptDir, 'model.json');
    fs.writeFileSync(ckpt, '{"state_dict": {"a": {"shape": [1], "dtype": "float32", "data": [1]}}');
    const good = poseJson(40);
    const cases: [Record<string, string>, Record<string, number>, RegExp, string?][] = [
      [{ '01_0001': '{"1": {"0001": ' }, { '01_0001': 50 }, /01_0001_alphapose_tracked_person\.json.*(JSON|json)/],
      [{ '01_0001': '' }, { '01_0001': 50 }, /01_0001_alphapose_tracked_person\.json.*empty/i],
      [{ '01_0001': poseJson(30, (kp, f) => f === 7 && kp.pop()) }, { '01_0001': 50 }, /01_0001_alphapose_tracked_person\.json.*person 1.*frame 0*7/],
      [{ '01_0001': poseJson(30, (kp, f) => f === 3 && (kp[4] = NaN)) }, { '01_0001': 50 }, /01_0001_alphapose_tracked_person\.json.*person 1.*frame 0*3/],
      [{ '01_0001': good }, { '01_0001': 30 }, /01_0001.*frame/],
      [{ '01_0001': good }, { '01_0001': 50 }, /model\.json/, ckpt],
    ];
    for (const [i, [files, masks, re, model]] of cases.entries()) {
      const dir = dataset(files, masks);
      const c = capture();
      const code = await runCli(
        ['eval', '--model', model ?? path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json'), '--poses', path.join(dir, 'pose'), '--gt', path.join(dir, 'gt'), '--out', path.join(dir, 'r.json')],
        c.io,
      );
      const err = c.err.join('').split('\n').filter((l) => l.startsWith('skelflow')).join('\n');
      expect(code, `case ${i}: ${err}`).toBe(2);
      expect(err).toMatch(re);
      expect(err).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(path.join(dir, 'r.json'))).toBe(false);
    }
  });

  it.skipIf(!hasShared)('a clip with no person is named in a warning and scored with the fill value, as the original', async () => {
    const dir = dataset({ '01_0001': poseJson(40), '01_0002': '{}' }, { '01_0001': 50, '01_0002': 20 });
    const c = capture();
    const out = path.join(dir, 'r.json');
    const code = await runCli(
      ['eval', '--model', path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json'), '--poses', path.join(dir, 'pose'), '--gt', path.join(dir, 'gt'), '--out', out],
      c.io,
    );
    expect(code, c.err.join('')).toBe(0);
    expect(c.err.join('')).toMatch(/warning: .*01_0002_alphapose_tracked_person\.json: no person/);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    const empty = report.clips.find((x: { name: string }) => x.name === '01_0002');
    expect(new Set(empty.frameScores.raw)).toEqual(new Set([report.fillValue]));
  });

  it('never overwrites a report or a model without --force', async () => {
    const dir = tmp();
    const out = path.join(dir, 'report.json');
    fs.writeFileSync(out, 'mine');
    const c = capture();
    expect(await runCli(['eval', '--model', 'x', '--poses', 'p', '--gt', 'g', '--out', out], c.io)).toBe(2);
    expect(fs.readFileSync(out, 'utf8')).toBe('mine');
  });
});

describe.skipIf(!hasShared)('skelflow eval reproduces the original STG-NF pipeline end to end', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('AUCs within 1e-4 and every frame score within 1e-3 of the original', async () => {
    const e2e = path.join(sharedDir, 'data/stgnf/e2e');
    const golden = JSON.parse(fs.readFileSync(path.join(e2e, 'golden.json'), 'utf8'));
    const out = path.join(tmp(), 'report.json');
    const c = capture();
    const code = await runCli(
      ['eval', '--model', path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json'), '--poses', path.join(e2e, 'pose/test'), '--gt', path.join(e2e, 'gt/test_frame_mask'), '--out', out],
      c.io,
    );
    expect(code, c.err.join('')).toBe(0);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    console.log(`[e2e] AUC smoothed ${report.auc.smoothed} vs ${golden.auc_smoothed}; raw ${report.auc.raw} vs ${golden.auc_raw}`);
    expect(Math.abs(report.auc.smoothed - golden.auc_smoothed)).toBeLessThan(1e-4);
    expect(Math.abs(report.auc.raw - golden.auc_raw)).toBeLessThan(1e-4);
    expect(report.nSegments).toBe(golden.n_segments);
    expect(report.clips.map((x: { name: string }) => x.name)).toEqual(golden.clips.map((x: { name: string }) => x.name));
    let worstRaw = 0;
    let worstSmooth = 0;
    let worstSeg = 0;
    report.clips.forEach((clip: { frameScores: { raw: number[]; smoothed: number[] }; segments: { person: string; start: number; score: number }[] }, i: number) => {
      const g = golden.clips[i];
      expect(clip.frameScores.raw).toHaveLength(g.n_frames);
      clip.frameScores.raw.forEach((v, k) => (worstRaw = Math.max(worstRaw, Math.abs(v - g.frame_scores_raw[k]))));
      clip.frameScores.smoothed.forEach((v, k) => (worstSmooth = Math.max(worstSmooth, Math.abs(v - g.frame_scores_smoothed[k]))));
      expect(clip.segments.map((s) => [Number(s.person), s.start])).toEqual(g.segments.map((s: { person: number; start: number }) => [s.person, s.start]));
      clip.segments.forEach((s, k) => (worstSeg = Math.max(worstSeg, Math.abs(s.score - g.segments[k].score))));
    });
    console.log(`[e2e] max |Δ| per frame raw ${worstRaw.toExponential(2)}, smoothed ${worstSmooth.toExponential(2)}, per segment ${worstSeg.toExponential(2)}`);
    expect(worstRaw).toBeLessThan(1e-3);
    expect(worstSmooth).toBeLessThan(1e-3);
  });
});
