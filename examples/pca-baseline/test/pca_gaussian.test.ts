import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { fitPpca, pcaGaussianFamily, PcaGaussianModel, ppcaLogDensity } from '@skelflow/pca-gaussian';
import '@skelflow/pca-gaussian/node';
import { generateDemoDataset, parsePoseTrackJson, type PoseClip } from '@skelflow/pose';

describe('probabilistic PCA', () => {
  it('a 2-D Gaussian with known covariance gives the exact log-density', () => {
    // Four points ±a·u, ±b·w around μ: sample mean μ, ML covariance (a²/2) uuᵀ + (b²/2) wwᵀ.
    const [a, b, t] = [3, 1, 0.6];
    const u = [Math.cos(t), Math.sin(t)];
    const w = [-Math.sin(t), Math.cos(t)];
    const mu = [2, -1];
    const pts = [
      [mu[0]! + a * u[0]!, mu[1]! + a * u[1]!],
      [mu[0]! - a * u[0]!, mu[1]! - a * u[1]!],
      [mu[0]! + b * w[0]!, mu[1]! + b * w[1]!],
      [mu[0]! - b * w[0]!, mu[1]! - b * w[1]!],
    ];
    const p = fitPpca(Float64Array.from(pts.flat()), 4, 2, { components: 1 });
    expect(p.k).toBe(1);
    expect(p.eigenvalues[0]).toBeCloseTo((a * a) / 2, 12);
    expect(p.sigma2).toBeCloseTo((b * b) / 2, 12);
    // Closed form: Σ = [[sxx, sxy], [sxy, syy]].
    const sxx = (a * a * u[0]! * u[0]! + b * b * w[0]! * w[0]!) / 2;
    const syy = (a * a * u[1]! * u[1]! + b * b * w[1]! * w[1]!) / 2;
    const sxy = (a * a * u[0]! * u[1]! + b * b * w[0]! * w[1]!) / 2;
    const det = sxx * syy - sxy * sxy;
    const tests = [[2, -1], [0, 0], [5, 3], [-4, 7.5]];
    const got = ppcaLogDensity(p, Float64Array.from(tests.flat()));
    tests.forEach(([x, y], i) => {
      const dx = x! - mu[0]!;
      const dy = y! - mu[1]!;
      const q = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det;
      const exact = -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * q;
      expect(got[i]).toBeCloseTo(exact, 12);
    });
  });

  it('PCA of data with a known covariance recovers its eigenvalues; k follows the variance rule', () => {
    const d = 6;
    const lambdas = [8, 4, 2, 1, 0.5, 0.25];
    // Rows of a Householder reflection I − 2vvᵀ/vᵀv: an orthonormal basis.
    const rng = new Rng(5);
    const v = Array.from({ length: d }, () => rng.normal());
    const vv = v.reduce((a, x) => a + x * x, 0);
    const q = v.map((vi, i) => Float64Array.from(v, (vj, j) => (i === j ? 1 : 0) - (2 * vi * vj) / vv));
    // ±c_k q_k for each k (2d points): covariance Σ_k (c_k²/d) q_k q_kᵀ, so c_k = sqrt(d λ_k).
    const rows: number[][] = [];
    for (let k = 0; k < d; k++) for (const s of [1, -1]) rows.push(Array.from(q[k]!, (v) => s * Math.sqrt(d * lambdas[k]!) * v));
    const data = Float64Array.from(rows.flat());
    const full = fitPpca(data, rows.length, d, { components: d - 1 });
    lambdas.slice(0, d - 1).forEach((l, k) => expect(full.eigenvalues[k]).toBeCloseTo(l, 11));
    expect(full.sigma2).toBeCloseTo(0.25, 11);
    // 8 + 4 = 12 of 15.75 = 76 %; + 2 = 89 %; + 1 = 95.2 %.
    expect(fitPpca(data, rows.length, d, { variance: 0.95 }).k).toBe(4);
    expect(fitPpca(data, rows.length, d, { variance: 0.95, maxComponents: 2 }).k).toBe(2);
    expect(fitPpca(data, rows.length, d, { variance: 0.95 }).sigma2).toBeCloseTo((0.5 + 0.25) / 2, 11);
  });

  it('scores do not depend on the order of the training samples', () => {
    const [n, d] = [300, 20];
    const rng = new Rng(11);
    const data = Float64Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + (i % d)));
    const perm = rng.permutation(n);
    const shuffled = new Float64Array(n * d);
    perm.forEach((src, dst) => shuffled.set(data.subarray(src * d, (src + 1) * d), dst * d));
    const test = Float64Array.from({ length: 10 * d }, () => 3 * rng.normal());
    const a = ppcaLogDensity(fitPpca(data, n, d), test);
    const b = ppcaLogDensity(fitPpca(shuffled, n, d), test);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-9 * Math.abs(a[i]!));
  });

  it('names bad input', () => {
    expect(() => fitPpca(Float64Array.of(1, 2), 1, 2)).toThrow(/at least 2 samples/);
    expect(() => fitPpca(Float64Array.of(1, 2, NaN, 4), 2, 2)).toThrow(/sample 1, index 0: non-finite/);
    expect(() => fitPpca(Float64Array.of(1, 2, 3, 4), 2, 2, { variance: 1.5 })).toThrow(/variance must be in/);
  });
});

describe('pcaGaussianFamily', () => {
  const ds = generateDemoDataset({ seed: 3, scale: 'tiny' });
  const clips = (split: typeof ds.train): PoseClip[] => split.map((c) => ({ name: c.name, tracks: parsePoseTrackJson(JSON.stringify(c.persons), c.name) }));

  it('trains on pose clips with the recipe, and save → load gives identical scores', async () => {
    const config = pcaGaussianFamily.configure({ 'max-components': 16 });
    expect(config).toMatchObject({ segLen: 24, trainStride: 6, flipHorizontal: true, maxComponents: 16, variance: 0.95 });
    const data = pcaGaussianFamily.trainingData({ normal: { clips: clips(ds.train), source: 'train' } }, config);
    const progress: number[] = [];
    const { model, history, nSegments } = await pcaGaussianFamily.train(config, data, { onProgress: (p) => progress.push(p.done) });
    expect(model).toBeInstanceOf(PcaGaussianModel);
    expect(nSegments).toBe(data.segments.length / (2 * 24 * 18));
    expect(progress).toEqual([0, 2]);
    expect(Number.isFinite(history[0])).toBe(true);
    expect(model.params!.k).toBeLessThanOrEqual(16);
    const test = pcaGaussianFamily.evalSegments(clips(ds.test), model.input);
    const scores = model.scoreSegments(test.data);
    expect(scores.length).toBe(test.meta.clip.length);
    expect(scores.every(Number.isFinite)).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-pca-'));
    await model.save(dir, { meta: { note: 'test' } });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ kind: 'pca-gaussian', formatVersion: 1, note: 'test' });
    await expect(model.save(dir)).rejects.toThrow(/already holds a model/);
    const again = await pcaGaussianFamily.load(dir);
    expect(Array.from(again.scoreSegments(test.data))).toEqual(Array.from(scores));
    // Issue #14: non-finite parameters are refused on load (naming the file and array) and on save;
    // an edited segment length is refused.
    const bin = fs.readFileSync(path.join(dir, 'params.bin'));
    const nan = Buffer.from(bin);
    nan.writeDoubleLE(NaN, 8 * (model.params!.dim + 1)); // eigenvalues[1]
    fs.writeFileSync(path.join(dir, 'params.bin'), nan);
    await expect(pcaGaussianFamily.load(dir)).rejects.toThrow(/params\.bin: eigenvalues: non-finite parameter eigenvalues\[1\] = NaN/);
    fs.writeFileSync(path.join(dir, 'params.bin'), bin);
    const edited = { ...cfg, config: { ...cfg.config, segLen: 12 } };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(edited));
    await expect(pcaGaussianFamily.load(dir)).rejects.toThrow(/config\.json: config\.segLen: config \[2, 12, 18\] \(dims, segLen, layout\) needs D = 432, the fit has D = 864/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    const broken = new PcaGaussianModel(model.config, { ...model.params!, mean: Float64Array.from(model.params!.mean, (v, i) => (i === 5 ? Infinity : v)) });
    await expect(broken.save(path.join(dir, 'x'))).rejects.toThrow(/mean: refusing to save a non-finite parameter: mean\[5\] = Infinity/);
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    fs.truncateSync(path.join(dir, 'params.bin'), 100);
    await expect(pcaGaussianFamily.load(dir)).rejects.toThrow(/params\.bin: expected \d+ bytes/);
  });

  it('takes 3-D segments with --dims 3: [3, T, 18] input, save → load keeps the shape and the scores', async () => {
    // The demo's 2-D tracks lifted to 3-D (z = a joint-dependent depth), in the 3-D track format.
    const lift = (split: typeof ds.train): PoseClip[] =>
      split.map((c) => {
        const persons = JSON.parse(JSON.stringify(c.persons)) as Record<string, Record<string, { keypoints: number[]; scores: number }>>;
        for (const frames of Object.values(persons)) {
          for (const det of Object.values(frames)) {
            const kp: number[] = [];
            for (let j = 0; j < 17; j++) kp.push(det.keypoints[3 * j]!, det.keypoints[3 * j + 1]!, 0.01 * j + 0.001 * det.keypoints[3 * j]!, det.keypoints[3 * j + 2]!);
            det.keypoints = kp;
          }
        }
        return { name: c.name, dims: 3, tracks: parsePoseTrackJson(JSON.stringify(persons), `${c.name}_tracked_person_3d.json`, { dims: 3 }) } as PoseClip;
      });
    const config = pcaGaussianFamily.configure({ dims: 3, 'max-components': 8 });
    const data = pcaGaussianFamily.trainingData({ normal: { clips: lift(ds.train), source: 'train3d' } }, config);
    const { model } = await pcaGaussianFamily.train(config, data);
    expect(model.input).toMatchObject({ dims: 3, channels: 3, joints: 18 });
    expect(model.params!.dim).toBe(3 * 24 * 18);
    const test = pcaGaussianFamily.evalSegments(lift(ds.test), model.input);
    const scores = model.scoreSegments(test.data);
    expect(scores.every(Number.isFinite)).toBe(true);
    // 2-D clips are refused for this model, naming the folder.
    expect(() => pcaGaussianFamily.trainingData({ normal: { clips: clips(ds.train), source: 'train2d' } }, config)).toThrow(/train2d/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-pca3d-'));
    await model.save(path.join(dir, 'm'));
    const again = await pcaGaussianFamily.load(path.join(dir, 'm'));
    expect(again.input).toEqual(model.input);
    expect(Array.from(again.scoreSegments(test.data))).toEqual(Array.from(scores));
  });

  it('refuses abnormal poses (unsupervised) and scoring before training', () => {
    const config = pcaGaussianFamily.configure({});
    const folder = { clips: clips(ds.train), source: 'x' };
    expect(() => pcaGaussianFamily.trainingData({ normal: folder, folders: { 'abnormal-poses': folder } }, config)).toThrow(/unsupervised/);
    expect(() => pcaGaussianFamily.create(config).scoreSegments(new Float32Array(864))).toThrow(/not trained/);
  });
});
