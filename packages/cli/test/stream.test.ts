import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { registry, runCli } from '@skelflow/cli';
import { generateDemoDataset, parsePoseTrackJson, poseTracksFromJson, type PoseClip } from '@skelflow/pose';
import { hasShared, sharedDir } from '@skelflow/testing';
import { capture, expectUsageFailure, runOk as run } from './helpers.js';

// `skelflow stream`: a tiny synthetic clip replayed through the generic StreamingScorer with a
// saved model of each kind; one line per complete window, each the batch (eval) score of its window.

const SEG_LEN = 8;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-stream-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Person 1 over frames 0–29; person 2 over 0–11 and 40–51 (a long gap). */
const FRAMES: Record<string, number[]> = {
  '1': Array.from({ length: 30 }, (_, f) => f),
  '2': [...Array.from({ length: 12 }, (_, f) => f), ...Array.from({ length: 12 }, (_, f) => 40 + f)],
};
/**
 * Complete windows of SEG_LEN detections (at least SEG_LEN − 2 of them in [first, first + SEG_LEN),
 * the original's rule): person 1: 30 − 7; person 2: 12 − 7 on each side of the gap, plus the two
 * windows ending at frames 40 and 41 (7 and 6 detections before the gap, 1 and 2 far after it).
 */
const COMPLETE_WINDOWS = 23 + 5 + 2 + 5;

function poseJson(flatAt?: { person: string; from: number }): string {
  const out: Record<string, Record<string, { keypoints: number[]; scores: number }>> = {};
  for (const [person, frames] of Object.entries(FRAMES)) {
    out[person] = {};
    for (const f of frames) {
      const kp: number[] = [];
      const p = Number(person);
      for (let j = 0; j < 17; j++) {
        const flat = flatAt && flatAt.person === person && f >= flatAt.from;
        kp.push(200 * p + 3 * j + 2 * f + 5 * Math.sin(f + j), flat ? 150 : 100 + 12 * j + ((f + j) % 3), 0.9);
      }
      out[person][String(f).padStart(4, '0')] = { keypoints: kp, scores: 0.9 };
    }
  }
  return JSON.stringify(out);
}

describe('skelflow stream', () => {
  const poses = path.join(root, '01_0001_alphapose_tracked_person.json');
  const models: Record<string, string> = {};

  beforeAll(async () => {
    await initBackend('wasm');
    fs.writeFileSync(poses, poseJson());
    // A pca-gaussian fitted on tiny synthetic data and an (untrained) STG-NF, both with 8-frame windows, saved as folders.
    const ds = generateDemoDataset({ seed: 2, scale: 'tiny' });
    const clips: PoseClip[] = ds.train.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));
    const pca = registry.get('pca-gaussian');
    const pcaConfig = pca.configure({ 'seg-len': SEG_LEN, 'max-components': 8 });
    const { model } = await pca.train(pcaConfig, pca.trainingData({ normal: { clips, source: 'train' } }, pcaConfig));
    models['pca-gaussian'] = path.join(root, 'pca');
    await model.save(models['pca-gaussian']);
    model.dispose();
    const stg = registry.get('stg-nf');
    const net = stg.create(stg.configure({ 'seg-len': SEG_LEN, K: 2 }));
    models['stg-nf'] = path.join(root, 'stg');
    await net.save(models['stg-nf']);
    net.dispose();
    // An untrained MSG-Flow (all three stages) at a small size.
    const msg = registry.get('msg-flow');
    const mf = msg.create(msg.configure({ 'seg-len': SEG_LEN, codebook: 8, 'code-dim': 4, 'vq-width': 8, 'vq-depth': 1, 'd-model': 8, heads: 2, layers: 1, K: 2, 'context-channels': 2 }));
    models['msg-flow'] = path.join(root, 'msg');
    await mf.save(models['msg-flow']);
    mf.dispose();
    // An untrained NFlowAD at a small size.
    const nfl = registry.get('nflowad');
    const nf = nfl.create(nfl.configure({ 'seg-len': SEG_LEN, 'd-model': 8, heads: 2, layers: 1, 'flow-steps': 2, 'flow-hidden': 8 }));
    models['nflowad'] = path.join(root, 'nfl');
    await nf.save(models['nflowad']);
    nf.dispose();
  });

  it('--help, and it is listed in the command table', async () => {
    const c = capture();
    expect(await runCli(['stream', '--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/^Usage: skelflow stream --model/);
    const top = capture();
    await runCli(['--help'], top.io);
    expect(top.out.join('')).toMatch(/^ {2}stream\s+replay one pose-track file/m);
  });

  it.each(['pca-gaussian', 'stg-nf', 'msg-flow', 'nflowad'])('%s: one JSON line per complete window, each equal to the batch score of that window', async (kind) => {
    const out = path.join(root, `${kind}.jsonl`);
    const { out: stdout, err } = await run(['stream', '--model', models[kind]!, '--poses', poses, '--out', out]);
    expect(stdout).toBe('');
    expect(err).toMatch(new RegExp(`streamed 54 detections of 2 tracks through ${kind} \\(windows of 8\\): ${COMPLETE_WINDOWS} scored`));
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { frame: number; track: string; normality: number });
    expect(lines).toHaveLength(COMPLETE_WINDOWS);
    expect(Object.keys(lines[0]!)).toEqual(['frame', 'track', 'normality']);
    expect(lines[0]).toMatchObject({ frame: 7, track: '1' });
    // Frame order; within a frame, file order of the tracks.
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.frame).toBeGreaterThanOrEqual(lines[i - 1]!.frame);

    // The batch pipeline (as `skelflow eval` scores) on the same file.
    const family = registry.get(kind);
    const model = await family.load(models[kind]!);
    const segs = family.evalSegments([{ name: '01_0001', tracks: parsePoseTrackJson(fs.readFileSync(poses, 'utf8'), poses) }], model.input);
    const scores = model.scoreSegments(segs.data);
    model.dispose();
    const byEnd = new Map(lines.map((l) => [`${l.track}:${l.frame}`, l.normality]));
    expect(scores.length).toBe(COMPLETE_WINDOWS - 2); // the original never cuts a track's last window
    for (let s = 0; s < scores.length; s++) {
      const key = `${segs.meta.person[s]}:${segs.meta.endFrame[s]}`;
      expect(byEnd.has(key), key).toBe(true);
      expect(Math.abs(byEnd.get(key)! - scores[s]!), key).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(scores[s]!)));
    }
  });

  it('writes to standard output without --out; refuses to overwrite without --force', async () => {
    const { out } = await run(['stream', '--model', models['pca-gaussian']!, '--poses', poses]);
    expect(out.trim().split('\n')).toHaveLength(COMPLETE_WINDOWS);
    const file = path.join(root, 'mine.jsonl');
    fs.writeFileSync(file, 'mine');
    await expectUsageFailure(['stream', '--model', models['pca-gaussian']!, '--poses', poses, '--out', file], /mine\.jsonl exists; pass --force/);
    expect(fs.readFileSync(file, 'utf8')).toBe('mine');
    await run(['stream', '--model', models['pca-gaussian']!, '--poses', poses, '--out', file, '--force']);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(COMPLETE_WINDOWS);
  });

  it('bad usage and bad input: one line naming the file and place, exit code 2, no output file', async () => {
    const bad = (name: string, text: string) => {
      const f = path.join(root, name);
      fs.writeFileSync(f, text);
      return f;
    };
    const out = path.join(root, 'never.jsonl');
    const m = models['pca-gaussian']!;
    await expectUsageFailure(['stream', '--poses', poses], /--model is required/);
    await expectUsageFailure(['stream', '--model', m], /--poses is required/);
    await expectUsageFailure(['stream', '--model', m, '--poses', poses, '--window', '3'], /Unknown option '--window'/);
    await expectUsageFailure(['stream', '--model', m, '--poses', path.join(root, 'missing.json')], /missing\.json: no such file or folder/);
    await expectUsageFailure(['stream', '--model', path.join(root, 'nowhere'), '--poses', poses], /nowhere: no such file or folder/);
    await expectUsageFailure(['stream', '--model', m, '--poses', bad('trunc.json', '{"1": {"0001": '), '--out', out], /trunc\.json.*JSON/);
    const short = JSON.parse(poseJson());
    short['2']['0003'].keypoints.pop();
    await expectUsageFailure(['stream', '--model', m, '--poses', bad('short.json', JSON.stringify(short)), '--out', out], /short\.json: person 2, frame 0*3/);
    // Person 2's y stops varying from frame 40: its first window there cannot be normalised.
    await expectUsageFailure(
      ['stream', '--model', m, '--poses', bad('flat.json', poseJson({ person: '2', from: 40 })), '--out', out],
      /flat\.json: track 2, frame 47 \(window from frame 40\): .*zero spread/,
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it.skipIf(!hasShared)('the released STG-NF checkpoint on clip 01_0014: 157 batch windows + 6 last windows', async () => {
    const clip = path.join(sharedDir, 'data/stgnf/e2e/pose/test/01_0014_alphapose_tracked_person.json');
    const out = path.join(root, '01_0014.jsonl');
    await run(['stream', '--model', path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json'), '--poses', clip, '--out', out]);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(157 + 6);
  });
});
