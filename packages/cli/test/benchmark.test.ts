import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { runCli } from '@skelflow/cli';
import { readGtDir, readPoseDir } from '@skelflow/pose/node';
import { hasShared, sharedDir } from '@skelflow/testing';
import { benchmarkMarkdown, clipSummaries, summarize, type BenchmarkReport, type BenchmarkRun } from '../src/commands/benchmark.js';
import { capture, expectUsageFailure } from './helpers.js';


const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-bench-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A small manifest over two CMU clips: walking (02_01) as normal, running (02_03) as abnormal. */
const small = {
  format: 'skelflow-mocap-manifest/1',
  name: 'cmu-tiny',
  cameras: [
    { azimuth: 20, elevation: 15, distance: 9, focal: 700 },
    { azimuth: 110, elevation: 30, distance: 11, focal: 800 },
  ],
  train: [{ clip: '02_01', from: 0, to: 240, seed: 1 }],
  test: [
    {
      seed: 2,
      segments: [
        { clip: '02_01', from: 240, to: 343, label: 'normal' },
        { clip: '02_03', from: 0, to: 173, label: 'abnormal' },
        { clip: '02_01', from: 240, to: 343, label: 'normal' },
      ],
    },
  ],
};

describe('skelflow mocap-dataset and benchmark: usage', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('prints help and is listed', async () => {
    for (const cmd of ['mocap-dataset', 'benchmark']) {
      const c = capture();
      expect(await runCli([cmd, '--help'], c.io)).toBe(0);
      expect(c.out.join('')).toMatch(new RegExp(`skelflow ${cmd}`));
    }
    const c = capture();
    await runCli(['--help'], c.io);
    expect(c.out.join('')).toMatch(/mocap-dataset/);
    expect(c.out.join('')).toMatch(/benchmark/);
  });

  it('bad usage and bad manifests: one line, exit code 2', async () => {
    const manifest = path.join(root, 'bad.json');
    const bad = structuredClone(small);
    (bad.test[0]!.segments[1] as { clip: string }).clip = 'no-such-clip';
    fs.writeFileSync(manifest, JSON.stringify(bad));
    const cases: [string[], RegExp][] = [
      [['benchmark', '--out', path.join(root, 'b')], /--data is required/],
      [['benchmark', '--data', root, '--out', path.join(root, 'b'), '--models', 'stg-nf,lstm'], /unknown model 'lstm'/],
      [['benchmark', '--data', root, '--out', path.join(root, 'b'), '--seeds', '0'], /--seeds must be an integer ≥ 1/],
      [['benchmark', '--data', root, '--out', path.join(root, 'b2')], /no pose\/train folder/],
      [['mocap-dataset', '--manifest', manifest, '--out', path.join(root, 'd')], /--mocap is required/],
      [['mocap-dataset', '--manifest', manifest, '--mocap', root, '--out', path.join(root, 'd')], /bad\.json: test\[0\]\.segments\[1\]\.clip: unknown clip 'no-such-clip'/],
      [['mocap-dataset', '--manifest', path.join(root, 'missing.json'), '--mocap', root, '--out', path.join(root, 'd')], /missing\.json: cannot read the manifest/],
    ];
    for (const [argv, re] of cases) await expectUsageFailure(argv, re);
  });

  it('summarize: mean and sample standard deviation', () => {
    const s = summarize([0.8, 0.9, 1.0]);
    expect(s.mean).toBeCloseTo(0.9, 12);
    expect(s.std).toBeCloseTo(0.1, 12);
    expect(summarize([0.7]).std).toBe(0);
  });
});

describe('benchmark rows gain clip-level columns only for models that decide clips', () => {
  const run = (seed: number, clipLevel?: BenchmarkRun['clipLevel']): BenchmarkRun => ({
    seed, aucSmoothed: 0.9, aucRaw: 0.8, trainSeconds: 1, finalLoss: 0.5, nTrainSegments: 10, nTestSegments: 20, scoringSegmentsPerSecond: 100,
    ...(clipLevel ? { clipLevel } : {}),
  });
  const model = (name: string, runs: BenchmarkRun[]): BenchmarkReport['models'][number] => ({
    model: name,
    config: { segLen: 24, trainStride: 6, flipHorizontal: false, epochs: 1, batchSize: 8, lr: 1e-3, seed: 0 },
    aucSmoothed: summarize([0.9, 0.9]), aucRaw: summarize([0.8, 0.8]), trainSeconds: summarize([1, 1]), scoringSegmentsPerSecond: summarize([100, 100]),
    ...clipSummaries(runs),
    runs,
  });
  const report = (models: BenchmarkReport['models']): BenchmarkReport => ({
    data: 'ds', dataset: null,
    settings: { epochs: 1, batch: 8, lr: 1e-3, segLen: 24, seeds: [1, 2], backend: 'cpu', flags: {} },
    machine: { cpus: 2, cpuModel: 'cpu', node: 'v22', platform: 'linux-x64' }, models, totalSeconds: 3,
  });

  it('clipSummaries: mean ± std over the runs where each value is defined; nothing for models without', () => {
    const s = clipSummaries([run(1, { precision: 0.5, recall: 1, auc: 0.75 }), run(2, { precision: null, recall: 0.5, auc: 0.25 })]);
    expect(s.clipPrecision).toEqual({ mean: 0.5, std: 0, values: [0.5] });
    expect(s.clipRecall!.mean).toBe(0.75);
    expect(s.clipRecall!.std).toBeCloseTo(Math.SQRT1_2 / 2, 15); // values 1, 0.5: sample std √(2·0.25²/1) = 0.3536
    expect(s.clipAuc!.mean).toBe(0.5);
    expect(clipSummaries([run(1), run(2)])).toEqual({});
  });

  it('the Markdown has clip columns when one model decides clips, "—" for the others; none otherwise', () => {
    const withClip = model('nflowad', [run(1, { precision: 0.5, recall: 1, auc: 0.75 }), run(2, { precision: 1, recall: 1, auc: 1 })]);
    const plain = model('stg-nf', [run(1), run(2)]);
    const md = benchmarkMarkdown(report([plain, withClip]));
    expect(md).toMatch(/\| seeds \| clip precision \| clip recall \| clip AUC \(max S_t\) \|\n\| --- \| --- \| --- \| --- \| --- \| --- \| --- \| --- \| --- \|/);
    expect(md).toMatch(/\| stg-nf \| [^\n]* \| 2 \| — \| — \| — \|/);
    expect(md).toMatch(/\| nflowad \| [^\n]* \| 2 \| 0\.750 ± 0\.354 \| 1\.000 ± 0\.000 \| 0\.875 ± 0\.177 \|/);
    expect(md).toMatch(/\| nflowad \| 1 \| [^\n]* \| 0\.500 \| 1\.000 \| 0\.750 \|/);
    expect(md).toMatch(/\| stg-nf \| 2 \| [^\n]* \| — \| — \| — \|/);
    const only = benchmarkMarkdown(report([plain]));
    expect(only).not.toMatch(/clip/);
    expect(only).toMatch(/\| model \| AUC smoothed \(mean ± std\) \| AUC raw \(mean ± std\) \| train time \(s\) \| scoring \(segments\/s\) \| seeds \|\n/);
  });
});

describe.skipIf(!hasShared)('skelflow mocap-dataset → benchmark on CMU clips (small)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('builds a dataset from two clips, reads it back, and benchmarks STG-NF with 1 seed and 1 epoch', async () => {
    const manifest = path.join(root, 'tiny.json');
    fs.writeFileSync(manifest, JSON.stringify(small));
    const data = path.join(root, 'ds');
    const c1 = capture();
    const code1 = await runCli(['mocap-dataset', '--manifest', manifest, '--mocap', path.join(sharedDir, 'data', 'cmu-mocap'), '--out', data], c1.io);
    expect(code1, c1.err.join('')).toBe(0);
    expect(c1.out.join('')).toMatch(/wrote 6 files/);

    // The pipeline's readers load it; masks align with the clips.
    const train = await readPoseDir(path.join(data, 'pose', 'train'), { requireNonEmpty: true });
    expect(train.map((c) => c.name)).toEqual(['01_0001', '02_0001']);
    const gt = await readGtDir(path.join(data, 'gt', 'test_frame_mask'), 'shanghaitech');
    expect(gt.map((g) => g.name)).toEqual(['01_0002', '02_0002']);
    // 103 + 173 + 103 source frames at 120 fps → 26 + 44 + 26 frames at 30 fps.
    expect(gt[0]!.nFrames).toBe(96);
    expect(Array.from(gt[0]!.gtAbnormal)).toEqual([...Array(26).fill(0), ...Array(44).fill(1), ...Array(26).fill(0)]);

    const out = path.join(root, 'bench');
    const c2 = capture();
    const code2 = await runCli(['benchmark', '--data', data, '--models', 'stg-nf', '--seeds', '1', '--epochs', '1', '--out', out], c2.io);
    expect(code2, c2.err.join('')).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'benchmark.json'), 'utf8'));
    expect(report.settings).toMatchObject({ epochs: 1, seeds: [1], segLen: 24 });
    expect(report.dataset).toMatchObject({ manifest: 'cmu-tiny', fps: 30 });
    const m = report.models[0];
    expect(m.model).toBe('stg-nf');
    expect(m.runs).toHaveLength(1);
    expect(m.aucRaw.mean).toBeGreaterThanOrEqual(0);
    expect(m.aucRaw.mean).toBeLessThanOrEqual(1);
    expect(m.aucSmoothed.std).toBe(0);
    expect(m.runs[0].nTestSegments).toBeGreaterThan(50);
    expect(m.runs[0].scoringSegmentsPerSecond).toBeGreaterThan(0);
    expect(m.trainSeconds.mean).toBeGreaterThan(0);
    const md = fs.readFileSync(path.join(out, 'benchmark.md'), 'utf8');
    expect(md).toMatch(/\| model \| AUC smoothed \(mean ± std\) \| AUC raw \(mean ± std\) \| train time \(s\) \| scoring \(segments\/s\) \| seeds \|/);
    expect(md).toMatch(/\| stg-nf \| \d\.\d{4} ± 0\.0000 \| \d\.\d{4} ± 0\.0000 \| /);
    expect(fs.existsSync(path.join(out, 'models', 'stg-nf-seed1', 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'runs', 'stg-nf-seed1.json'))).toBe(true);
    expect(c2.out.join('')).toMatch(/stg-nf/);

    // A folder the benchmark did not write is refused.
    const foreign = path.join(root, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'x.txt'), 'x');
    const c3 = capture();
    expect(await runCli(['benchmark', '--data', data, '--out', foreign, '--seeds', '1', '--epochs', '1'], c3.io)).toBe(2);
    expect(c3.err.join('')).toMatch(/not written by skelflow benchmark/);
  });
});
