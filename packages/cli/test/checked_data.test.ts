// Issue #14 (checked data): every input that used to give a silently wrong number now gives a typed
// error (exit 2, one line naming file and place) or an explicit warning counted in the report.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { capture, expectUsageFailure, runOk } from './helpers.js';
import { npyBytes, TINY_CLIPS, TINY_FRAMES, tinyDataset, tinyModel, tmpDir, walkerPerson, type TinyDataset } from './tiny_data.js';
import { runCli } from '@skelflow/cli';

let model: string;
beforeAll(async () => {
  await initBackend('cpu');
  model = await tinyModel();
});

const evalArgs = (d: TinyDataset, extra: string[] = []) => ['eval', '--model', model, '--poses', d.poses, '--gt', d.gt, '--out', path.join(tmpDir(), 'r.json'), '--backend', 'cpu', ...extra];
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function editPose(d: TinyDataset, clip: string, edit: (persons: Record<string, Record<string, { keypoints: number[]; scores: number }>>) => void): string {
  const file = d.poseFile(clip);
  const persons = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(persons);
  fs.writeFileSync(file, JSON.stringify(persons));
  return file;
}

describe('checked data: skelflow eval', () => {
  it('the clean tiny dataset evaluates to a finite AUC with no warning', async () => {
    const d = tinyDataset();
    const out = path.join(tmpDir(), 'r.json');
    const { err } = await runOk(['eval', '--model', model, '--poses', d.poses, '--gt', d.gt, '--out', out, '--backend', 'cpu']);
    const r = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(r.warnings).toEqual([]);
    expect(r.auc.raw).toBeGreaterThan(0.5);
    expect(err).not.toMatch(/warning/);
  });

  it('a nose x of 1e30 is refused, naming file, person, frame and joint (was: −∞ scores filled silently)', async () => {
    const d = tinyDataset();
    const file = editPose(d, '01_0002', (p) => void (p['1']!['0017']!.keypoints[0] = 1e30));
    await expectUsageFailure(evalArgs(d), new RegExp(`${esc(file)}: person 1, frame 0017: joint 0 \\(nose\\) x = 1e\\+30 is outside the sane range ±85600`));
  });

  it('a value of 1e39 overflows float32: the error names the file and the value', async () => {
    const d = tinyDataset();
    const file = editPose(d, '01_0001', (p) => void (p['2']!['0003']!.keypoints[4] = 1e39));
    await expectUsageFailure(evalArgs(d), new RegExp(`${esc(file)}: person 2, frame 0003: value 1e\\+39 at keypoints\\[4\\] \\(joint 1 \\(left_eye\\) y\\) overflows float32`));
  });

  it('a duplicated person key is refused, naming file and key (was: the last one silently won)', async () => {
    const d = tinyDataset();
    const file = d.poseFile('01_0003');
    const text = fs.readFileSync(file, 'utf8');
    const one = JSON.stringify(walkerPerson(TINY_FRAMES, Infinity, 700));
    fs.writeFileSync(file, text.replace(/^\{/, `{"2": ${one}, `));
    await expectUsageFailure(evalArgs(d), new RegExp(`${esc(file)}: person 2 \\(line 1, column \\d+\\): duplicate person key "2"`));
  });

  it('a float mask (UBnormal, 1 = normal) under the default shanghaitech convention is refused (was: AUC inverted)', async () => {
    const d = tinyDataset();
    const mask = d.maskFile('01_0001');
    fs.writeFileSync(mask, npyBytes(Array.from({ length: TINY_FRAMES }, (_, f) => (f >= TINY_FRAMES / 2 ? 0 : 1)), '<f8'));
    await expectUsageFailure(evalArgs(d), new RegExp(`${esc(mask)}: header: a <f8 \\(float\\) mask contradicts the shanghaitech convention`));
  });

  it('uint8 ShanghaiTech masks under --gt-convention ubnormal are refused (was: AUC 0.01)', async () => {
    const d = tinyDataset();
    await expectUsageFailure(evalArgs(d, ['--gt-convention', 'ubnormal']), new RegExp(`${esc(d.maskFile(TINY_CLIPS[0]))}: header: a \\|u1 \\(integer\\) mask contradicts the ubnormal convention`));
  });

  it('masks that are all normal after the convention name the mask folder', async () => {
    const d = tinyDataset();
    for (const c of TINY_CLIPS) fs.writeFileSync(d.maskFile(c), npyBytes(new Array(TINY_FRAMES).fill(1), '<f8'));
    await expectUsageFailure(evalArgs(d, ['--gt-convention', 'ubnormal']), new RegExp(`${esc(d.gt)}: all masks: after the ubnormal convention every one of the 270 frames is normal`));
  });

  it('a mask without a pose file: a warning naming the clip, counted in the report; --strict makes it an error', async () => {
    const d = tinyDataset();
    fs.rmSync(d.poseFile('01_0002'));
    const out = path.join(tmpDir(), 'r.json');
    const c = capture();
    expect(await runCli(['eval', '--model', model, '--poses', d.poses, '--gt', d.gt, '--out', out, '--backend', 'cpu'], c.io)).toBe(0);
    const err = c.err.join('');
    expect(err).toMatch(new RegExp(`warning: ${esc(d.maskFile('01_0002'))}: clip 01_0002: mask without a pose file`));
    expect(err).toMatch(/1 warning\(s\) \(1 mask\(s\) without poses\)/);
    const r = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(r.clipsWithoutPoses).toEqual(['01_0002']);
    expect(r.warnings).toHaveLength(1);
    await expectUsageFailure(evalArgs(d, ['--strict']), new RegExp(`${esc(d.maskFile('01_0002'))}: clip 01_0002: mask without a pose file.*an error with --strict`));
  });

  it('a model whose parameters hold a NaN is refused at load, naming the file and the tensor (was: a NaN segment score)', async () => {
    const d = tinyDataset();
    const bad = await tinyModel();
    const bin = path.join(bad, 'params.bin');
    const bytes = fs.readFileSync(bin);
    bytes.writeDoubleLE(NaN, 8 * 5); // mean[5]
    fs.writeFileSync(bin, bytes);
    const c = capture();
    const code = await runCli(['eval', '--model', bad, '--poses', d.poses, '--gt', d.gt, '--out', path.join(tmpDir(), 'r.json'), '--backend', 'cpu'], c.io);
    expect(code).toBe(2);
    expect(c.err.join('')).toMatch(new RegExp(`^skelflow eval: ${esc(bin)}: mean: non-finite parameter mean\\[5\\] = NaN`));
    const s = capture();
    expect(await runCli(['stream', '--model', bad, '--poses', d.poseFile('01_0001'), '--backend', 'cpu'], s.io)).toBe(2);
    expect(s.err.join('')).toMatch(new RegExp(`^skelflow stream: ${esc(bin)}: mean: non-finite parameter mean\\[5\\] = NaN`));
    expect(s.out.join('')).not.toMatch(/null/);
  });
});
