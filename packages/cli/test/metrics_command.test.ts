// `skelflow metrics` (packages/cli/src/commands/metrics.ts), called directly with temp files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDetections, formatTracks, rbdcTbdc } from '@skelflow/metrics';
import { metricsCommand, parseNpy } from '../src/commands/metrics.js';
import { loadSharedFixture } from '@skelflow/testing';

const root = mkdtempSync(join(tmpdir(), 'skelflow-metrics-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string) => {
  const dir = join(root, `${counter++}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await metricsCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** Expects exit code 2 and exactly one stderr line, without a stack trace. */
async function failsWith(argv: string[], pattern: RegExp | string) {
  const r = await run(argv);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (typeof pattern === 'string') expect(r.stderr.trimEnd()).toBe(pattern);
  else expect(r.stderr).toMatch(pattern);
  return r;
}

interface Video {
  name: string;
  tracks: number[][];
  detections: number[][];
}
/** One file per video; no file where a video has no rows (as the fixture generator did). */
function writeScene(videos: Video[]) {
  const tracks = fresh('tracks');
  const detections = fresh('detections');
  for (const v of videos) {
    if (v.tracks.length > 0) writeFileSync(join(tracks, `${v.name}.txt`), formatTracks(v.tracks));
    if (v.detections.length > 0) writeFileSync(join(detections, `${v.name}.txt`), formatDetections(v.detections));
  }
  return { tracks, detections };
}

type NpyDtype = '<f8' | '<f4' | '|u1' | '|b1' | '<i8' | '<i4' | '>f8' | '<f2';
/** Writes a .npy v1.0 file (header padded to a multiple of 64 bytes, as numpy does). */
function npy(values: number[], descr: NpyDtype, shape = `(${values.length},)`): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const size = { '<f8': 8, '<f4': 4, '|u1': 1, '|b1': 1, '<i8': 8, '<i4': 4, '>f8': 8, '<f2': 2 }[descr];
  const out = new Uint8Array(10 + header.length + size * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, 10 + header.length);
  values.forEach((v, i) => {
    if (descr === '<f8') dv.setFloat64(8 * i, v, true);
    else if (descr === '>f8') dv.setFloat64(8 * i, v, false);
    else if (descr === '<f4') dv.setFloat32(4 * i, v, true);
    else if (descr === '<i8') dv.setBigInt64(8 * i, BigInt(v), true);
    else if (descr === '<i4') dv.setInt32(4 * i, v, true);
    else if (descr === '<f2') dv.setUint16(2 * i, 0, true);
    else dv.setUint8(i, v);
  });
  return out;
}

const sceneA: Video[] = [
  { name: 'a', tracks: [0, 1, 2, 3].map((f) => [0, f, 0, 0, 9, 9]), detections: [[0, 0, 0, 9, 9, 0.9], [1, 50, 50, 59, 59, 0.8]] },
  { name: 'b', tracks: [], detections: [[4, 0, 0, 9, 9, 0.7]] },
  { name: 'c', tracks: [[0, 2, 5, 5, 20, 20]], detections: [] },
];

describe('skelflow metrics: flags', () => {
  it('--help prints the usage and returns 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:/);
    expect(r.stdout).toContain('--tracks <dir>');
    expect(r.stdout).toContain('--labels <file>');
    expect(r.stderr).toBe('');
  });
  it('an unknown flag is one line on stderr and code 2', async () => {
    await failsWith(['--bogus'], /^skelflow metrics: Unknown option '--bogus'/);
  });
  it('a positional argument is rejected', async () => {
    await failsWith(['extra'], /^skelflow metrics: .*extra/);
  });
  it('nothing to compute, or an incomplete group', async () => {
    await failsWith([], /nothing to compute/);
    await failsWith(['--tracks', 'x', '--frames', '3'], /--tracks, --detections and --frames go together/);
    await failsWith(['--labels', 'x'], /--labels and --scores go together/);
  });
});

describe('skelflow metrics: RBDC / TBDC', () => {
  it('prints {"rbdc", "tbdc"} equal to rbdcTbdc on the same videos', async () => {
    const { tracks, detections } = writeScene(sceneA);
    const r = await run(['--tracks', tracks, '--detections', detections, '--frames', '30']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['rbdc', 'tbdc']);
    const want = rbdcTbdc(sceneA, 30);
    expect(out.rbdc).toBe(want.rbdc);
    expect(out.tbdc).toBe(want.tbdc);
    // Hand check: G = 5, hits 1 at FPR 0, then FPs; RBDC = 1/5, TBDC = 1/2.
    expect(out.rbdc).toBeCloseTo(0.2, 15);
    expect(out.tbdc).toBeCloseTo(0.5, 15);
  });

  it('--alpha and --beta are passed through', async () => {
    const { tracks, detections } = writeScene(sceneA);
    const r = await run(['--tracks', tracks, '--detections', detections, '--frames', '30', '--alpha', '0.5', '--beta', '0.3']);
    const out = JSON.parse(r.stdout);
    const want = rbdcTbdc(sceneA, 30, { alpha: 0.5, beta: 0.3 });
    expect([out.rbdc, out.tbdc]).toEqual([want.rbdc, want.tbdc]);
    expect(out.tbdc).toBe(0); // 1 of 4 regions < 0.3 and track c never hit
  });

  const fixture = loadSharedFixture<{
    cases: Array<{ id: string; num_frames: number; videos: Video[]; expected: Record<string, any> }>;
  }>('rbdc_tbdc_cases.json');
  it.skipIf(!fixture)('reproduces reference cases from files (1e-6)', async () => {
    for (const id of ['normal_videos_with_false_positives', 'random_scene_many_fp', 'random_scene_float_coords', 'fp_exceed_num_frames']) {
      const c = fixture!.cases.find((x) => x.id === id)!;
      const { tracks, detections } = writeScene(c.videos);
      const r = await run(['--tracks', tracks, '--detections', detections, '--frames', String(c.num_frames)]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Math.abs(out.rbdc - c.expected.rbdc), id).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(out.tbdc - c.expected.tbdc), id).toBeLessThanOrEqual(1e-6);
    }
  });
  it.skipIf(!fixture)("--ties input-order follows file-name order like the reference's listing", async () => {
    const c = fixture!.cases.find((x) => x.id === 'ties_mixed_across_videos')!;
    const { tracks, detections } = writeScene(c.videos); // names p, q: sorted = listed
    const r = await run(['--tracks', tracks, '--detections', detections, '--frames', String(c.num_frames), '--ties', 'input-order']);
    const out = JSON.parse(r.stdout);
    expect(Math.abs(out.rbdc - c.expected.reference_outputs.videos_as_listed.rbdc)).toBeLessThanOrEqual(1e-6);
    await failsWith(['--tracks', tracks, '--detections', detections, '--frames', '3', '--ties', 'random'], /--ties must be/);
  });

  it('a missing directory names it', async () => {
    const { detections } = writeScene(sceneA);
    const missing = join(root, 'nope');
    await failsWith(['--tracks', missing, '--detections', detections, '--frames', '30'], `skelflow metrics: ${missing}: --tracks: no such directory`);
  });
  it('a malformed file names the file and line', async () => {
    const { tracks, detections } = writeScene(sceneA);
    writeFileSync(join(detections, 'b.txt'), '4,0,0,9,9,0.7\n5,0,0,9,9\n');
    await failsWith(
      ['--tracks', tracks, '--detections', detections, '--frames', '30'],
      `skelflow metrics: ${join(detections, 'b.txt')}: line 2: expected 6 comma-separated numbers, got 5`,
    );
  });
  it('no ground truth at all is an error, not NaN', async () => {
    const tracks = fresh('empty-tracks');
    const { detections } = writeScene(sceneA);
    await failsWith(['--tracks', tracks, '--detections', detections, '--frames', '30'], new RegExp(`^skelflow metrics: ${tracks}: all files: no ground-truth`));
  });
  it('bad --frames / --alpha values', async () => {
    const { tracks, detections } = writeScene(sceneA);
    await failsWith(['--tracks', tracks, '--detections', detections, '--frames', '2.5'], /^skelflow metrics: --frames: value: must be a positive integer/);
    await failsWith(['--tracks', tracks, '--detections', detections, '--frames', ''], /--frames: value/);
    await failsWith(['--tracks', tracks, '--detections', detections, '--frames', '9', '--alpha', '0'], /^skelflow metrics: --alpha: value: must be a number in \(0, 1\]/);
  });
});

describe('skelflow metrics: AUC / AP / EER', () => {
  const fixture = loadSharedFixture<{
    cases: Array<{ id: string; labels: number[]; scores: Array<number | string>; expected: { roc_auc: number; average_precision: number; eer: number } }>;
  }>('auc_cases.json');

  it.skipIf(!fixture)('JSON arrays: prints {"auc", "ap", "eer"} matching scikit-learn', async () => {
    for (const id of ['ties_three_levels', 'negative_infinity', 'frame_like_smoothed']) {
      const c = fixture!.cases.find((x) => x.id === id)!;
      const dir = fresh(id);
      writeFileSync(join(dir, 'labels.json'), JSON.stringify(c.labels));
      writeFileSync(join(dir, 'scores.json'), JSON.stringify(c.scores));
      const r = await run(['--labels', join(dir, 'labels.json'), '--scores', join(dir, 'scores.json')]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(['auc', 'ap', 'eer']);
      expect(Math.abs(out.auc - c.expected.roc_auc)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(out.ap - c.expected.average_precision)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(out.eer - c.expected.eer)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('hand case from JSON, booleans as labels', async () => {
    const dir = fresh('hand');
    writeFileSync(join(dir, 'l.json'), JSON.stringify([false, false, true, true]));
    writeFileSync(join(dir, 's.json'), JSON.stringify([0.1, 0.4, 0.35, 0.8]));
    const out = JSON.parse((await run(['--labels', join(dir, 'l.json'), '--scores', join(dir, 's.json')])).stdout);
    expect(out.auc).toBe(0.75);
    expect(out.ap).toBeCloseTo(5 / 6, 15);
    expect(out.eer).toBe(0.5);
  });

  it('.npy in every supported dtype', async () => {
    const dir = fresh('npy');
    const labels = [0, 0, 1, 1, 0, 1];
    const scores = [1, 4, 3, 8, 2, 5];
    writeFileSync(join(dir, 'labels.json'), JSON.stringify(labels));
    writeFileSync(join(dir, 'scores.json'), JSON.stringify(scores));
    const want = (await run(['--labels', join(dir, 'labels.json'), '--scores', join(dir, 'scores.json')])).stdout;
    for (const dtype of ['<f8', '<f4', '|u1', '<i8', '<i4'] as const) {
      writeFileSync(join(dir, `s${dtype.slice(1)}.npy`), npy(scores, dtype));
      writeFileSync(join(dir, `l${dtype.slice(1)}.npy`), npy(labels, dtype));
      const r = await run(['--labels', join(dir, `l${dtype.slice(1)}.npy`), '--scores', join(dir, `s${dtype.slice(1)}.npy`)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(want);
    }
    writeFileSync(join(dir, 'lb.npy'), npy(labels, '|b1'));
    const r = await run(['--labels', join(dir, 'lb.npy'), '--scores', join(dir, 'scores.json')]);
    expect(r.stdout).toBe(want);
  });

  it('parseNpy reads float32 exactly and rejects what it does not support', () => {
    expect(Array.from(parseNpy(npy([0.1, -2.5], '<f4'), 'x.npy'))).toEqual([Math.fround(0.1), -2.5]);
    expect(() => parseNpy(npy([1], '>f8'), 'x.npy')).toThrow("x.npy: dtype: unsupported dtype '>f8'");
    expect(() => parseNpy(npy([1, 2], '<f8', '(1, 2)'), 'x.npy')).toThrow('x.npy: shape: expected a 1-D array, got shape (1, 2)');
    expect(() => parseNpy(new TextEncoder().encode('hello world'), 'x.npy')).toThrow('x.npy: header: not a .npy file');
    expect(() => parseNpy(npy([1, 2, 3], '<f8').slice(0, -4), 'x.npy')).toThrow(/x\.npy: data: truncated/);
  });

  it('input errors: one line naming file and place', async () => {
    const dir = fresh('bad');
    const p = (n: string) => join(dir, n);
    writeFileSync(p('l2.json'), '[0, 1]');
    writeFileSync(p('s3.json'), '[0.1, 0.2, 0.3]');
    writeFileSync(p('snan.json'), '[0.1, "NaN"]');
    writeFileSync(p('l00.json'), '[0, 0]');
    writeFileSync(p('s2.json'), '[0.1, 0.2]');
    writeFileSync(p('bad.json'), '[0.1, ');
    writeFileSync(p('obj.json'), '{"a": 1}');
    writeFileSync(p('str.json'), '[0.1, "x"]');
    writeFileSync(p('f2.npy'), npy([1, 2], '<f2'));
    await failsWith(['--labels', p('l2.json'), '--scores', p('s3.json')], `skelflow metrics: ${p('s3.json')}: length: 3 scores but ${p('l2.json')} has 2 labels`);
    await failsWith(['--labels', p('l2.json'), '--scores', p('snan.json')], `skelflow metrics: ${p('snan.json')}: index 1: score is NaN`);
    await failsWith(['--labels', p('l00.json'), '--scores', p('s2.json')], new RegExp(`^skelflow metrics: ${p('l00.json')}: whole file: ROC AUC is undefined`));
    await failsWith(['--labels', p('bad.json'), '--scores', p('s2.json')], new RegExp(`^skelflow metrics: ${p('bad.json')}: JSON: `));
    await failsWith(['--labels', p('obj.json'), '--scores', p('s2.json')], `skelflow metrics: ${p('obj.json')}: JSON: expected an array of numbers, got object`);
    await failsWith(['--labels', p('l2.json'), '--scores', p('str.json')], `skelflow metrics: ${p('str.json')}: index 1: expected a number, got "x"`);
    await failsWith(['--labels', p('l2.json'), '--scores', p('f2.npy')], new RegExp(`^skelflow metrics: ${p('f2.npy')}: dtype: unsupported dtype '<f2'`));
    await failsWith(['--labels', p('missing.json'), '--scores', p('s2.json')], `skelflow metrics: ${p('missing.json')}: read: no such file`);
  });

  it('both groups at once print all five numbers', async () => {
    const { tracks, detections } = writeScene(sceneA);
    const dir = fresh('both');
    writeFileSync(join(dir, 'l.json'), '[0, 1]');
    writeFileSync(join(dir, 's.json'), '[0, 1]');
    const r = await run(['--tracks', tracks, '--detections', detections, '--frames', '30', '--labels', join(dir, 'l.json'), '--scores', join(dir, 's.json')]);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['rbdc', 'tbdc', 'auc', 'ap', 'eer']);
  });
});

describe('skelflow metrics: score direction', () => {
  // Hand case: labels 0 0 1 1; anomaly scores 0.1 0.4 0.35 0.8 give AUC 3/4 (sklearn's definition:
  // of the 4 (abnormal, normal) pairs, 3 rank the abnormal frame higher).
  const labels = [0, 0, 1, 1];
  const anomaly = [0.1, 0.4, 0.35, 0.8];
  const normality = anomaly.map((v) => -v);
  /** A minimal report as `skelflow eval` writes it: two clips, normality frame scores. */
  const report = (smoothed: number[][] | null, raw: number[][]) => ({
    model: 'm',
    kind: 'stg-nf',
    scoreDirection: 'higher-is-normal',
    auc: { smoothed: null, raw: 0 },
    clips: raw.map((r, i) => ({ name: `c${i}`, nFrames: r.length, frameScores: { raw: r, smoothed: smoothed ? smoothed[i]! : null }, segments: [] })),
  });

  it('an eval report is read as normality scores (no flag), smoothed by default, raw with --raw', async () => {
    const dir = fresh('report');
    writeFileSync(join(dir, 'l.json'), JSON.stringify(labels));
    // Smoothed scores carry the ranking; raw ones are the reverse ranking (AUC 1/4 once oriented).
    writeFileSync(join(dir, 'r.json'), JSON.stringify(report([normality.slice(0, 2), normality.slice(2)], [anomaly.slice(0, 2), anomaly.slice(2)])));
    const r = await run(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'r.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).auc).toBe(0.75);
    expect(r.stderr).toMatch(/eval report \(2 clips, smoothed frame scores, normality: higher = normal\)/);
    const raw = await run(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'r.json'), '--raw']);
    expect(JSON.parse(raw.stdout).auc).toBe(0.25);
    expect(raw.stderr).toMatch(/warning: AUC 0\.2500 < 0\.5/);
    // --no-smooth reports (smoothed null) fall back to raw.
    writeFileSync(join(dir, 'r2.json'), JSON.stringify(report(null, [normality.slice(0, 2), normality.slice(2)])));
    expect(JSON.parse((await run(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'r2.json')])).stdout).auc).toBe(0.75);
    await failsWith(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'r.json'), '--higher-is-normal'], /--higher-is-normal: flag: .*is an eval report, whose direction is known/);
  });

  it('a bare array is higher = anomalous; --higher-is-normal negates it; an inverted AUC is warned about', async () => {
    const dir = fresh('direction');
    writeFileSync(join(dir, 'l.json'), JSON.stringify(labels));
    writeFileSync(join(dir, 'n.json'), JSON.stringify(normality));
    const silent = await run(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'n.json')]);
    expect(JSON.parse(silent.stdout).auc).toBe(0.25);
    expect(silent.stderr).toMatch(/bare array, higher = anomalous[\s\S]*warning: AUC 0\.2500 < 0\.5.*pass --higher-is-normal/);
    const flagged = await run(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'n.json'), '--higher-is-normal']);
    expect(JSON.parse(flagged.stdout).auc).toBe(0.75);
    expect(flagged.stderr).not.toMatch(/warning/);
    await failsWith(['--labels', join(dir, 'l.json'), '--scores', join(dir, 'n.json'), '--raw'], /--raw: flag: only applies to an eval report/);
    await failsWith(['--higher-is-normal'], /--labels and --scores go together/);
  });
});

describe('skelflow metrics: checked inputs (issue #14)', () => {
  const scene = () => {
    const dir = fresh('checked');
    mkdirSync(join(dir, 't'));
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 't', 'v1.txt'), '0,10,0,0,9,9\n0,11,0,0,9,9\n');
    writeFileSync(join(dir, 'd', 'v1.txt'), '10,0,0,9,9,0.9\n# comment\n40,0,0,9,9,0.2\n');
    return dir;
  };

  it('a detection or track at frame −1 is an error naming file and line (was accepted)', async () => {
    const dir = scene();
    writeFileSync(join(dir, 'd', 'v1.txt'), '10,0,0,9,9,0.9\n-1,0,0,9,9,0.5\n');
    await failsWith(['--tracks', join(dir, 't'), '--detections', join(dir, 'd'), '--frames', '100'], `skelflow metrics: ${join(dir, 'd', 'v1.txt')}: line 2: frame must be a 0-based index (>= 0), got -1`);
    writeFileSync(join(dir, 'd', 'v1.txt'), '10,0,0,9,9,0.9\n');
    writeFileSync(join(dir, 't', 'v1.txt'), '0,-1,0,0,9,9\n');
    await failsWith(['--tracks', join(dir, 't'), '--detections', join(dir, 'd'), '--frames', '100'], `skelflow metrics: ${join(dir, 't', 'v1.txt')}: line 1: frame must be a 0-based index (>= 0), got -1`);
  });

  it('--frames smaller than the data is an error naming the row that needs more (was accepted)', async () => {
    const dir = scene();
    expect((await run(['--tracks', join(dir, 't'), '--detections', join(dir, 'd'), '--frames', '41'])).code).toBe(0);
    await failsWith(
      ['--tracks', join(dir, 't'), '--detections', join(dir, 'd'), '--frames', '40'],
      `skelflow metrics: --frames: value: 40 is smaller than the data: the videos with rows have at least 41 frames (e.g. ${join(dir, 'd', 'v1.txt')} row 2 is at frame 40)`,
    );
  });

  it('a 200k-deep nested array is one clean line naming the file (was: Maximum call stack size exceeded, exit 1)', async () => {
    const dir = fresh('deep');
    writeFileSync(join(dir, 'l.json'), '[0, 1]');
    writeFileSync(join(dir, 's.json'), `[0.5, ${'['.repeat(200_000)}${']'.repeat(200_000)}]`);
    await failsWith(['--labels', join(dir, 'l.json'), '--scores', join(dir, 's.json')], `skelflow metrics: ${join(dir, 's.json')}: index 1: expected a number, got an array (1 item)`);
  });
});
