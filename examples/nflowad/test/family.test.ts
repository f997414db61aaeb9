import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { generateDemoDataset, poseTracksFromJson, segmentTracks, type PoseClip } from '@skelflow/pose';
import { expectThrows } from '@skelflow/testing';
import { nflowadFamily, NflowadAnomalyModel, resolveNflowadConfig, type NflowadTrainData } from '../src/index.js';
import '../src/node.js';

// The family: the whole-clip validation split, training through the contract, the save/load
// round trip (bit-identical scores, thresholds kept) and config errors.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-nflowad-family-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const SMALL = { 'seg-len': 8, 'd-model': 8, heads: 2, layers: 1, 'flow-steps': 2, 'flow-hidden': 8, 'mae-epochs': 1, epochs: 1, 'val-fraction': 0.25 };

describe('nflowadFamily', () => {
  let clips: PoseClip[];
  beforeAll(async () => {
    await initBackend('wasm');
    const ds = generateDemoDataset({ seed: 3, scale: 'tiny' });
    clips = ds.train.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));
  });

  it('holds out whole clips: validation = the windows of the held-out clips, training = the others (with flips)', () => {
    const config = nflowadFamily.configure(SMALL);
    const data = nflowadFamily.trainingData({ normal: { clips, source: 'train' } }, config) as NflowadTrainData;
    expect(data.validation).toBeDefined();
    const per = 2 * 8 * 18;
    // Every validation window is a window of exactly one held-out clip, none of a training clip.
    const nVal = Math.max(1, Math.round(0.25 * clips.length));
    const windows = clips.map((c) => segmentTracks([c], { segLen: 8, stride: config.trainStride }).data);
    const key = (a: Float32Array, i: number) => Array.from(a.subarray(i * per, (i + 1) * per)).join(',');
    const valKeys = new Set(Array.from({ length: data.validation!.length / per }, (_, i) => key(data.validation!, i)));
    const heldClips = windows.filter((w) => w.length > 0 && valKeys.has(key(w, 0)));
    expect(heldClips.length).toBe(nVal);
    const heldWindows = heldClips.reduce((s, w) => s + w.length / per, 0);
    expect(data.validation!.length / per).toBe(heldWindows);
    const trainWindows = windows.reduce((s, w) => s + w.length / per, 0) - heldWindows;
    expect(data.segments.length / per).toBe(2 * trainWindows); // + flipped copies
    const trainKeys = new Set(Array.from({ length: data.segments.length / per }, (_, i) => key(data.segments, i)));
    for (const k of valKeys) expect(trainKeys.has(k)).toBe(false);
    // a single clip: no split, with a warning
    const warnings: string[] = [];
    const one = nflowadFamily.trainingData({ normal: { clips: clips.slice(0, 1), source: 'train' } }, config, (w) => warnings.push(w)) as NflowadTrainData;
    expect(one.validation).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/no clip held out/);
  });

  it('train → save → load: bit-identical scores and explanations, thresholds kept; no overwrite without asking', async () => {
    const config = nflowadFamily.configure(SMALL);
    const data = nflowadFamily.trainingData({ normal: { clips, source: 'train' } }, config);
    const { model, history } = await nflowadFamily.train(config, data);
    expect(history).toHaveLength(1);
    expect(model.history?.calibration.heldOut).toBe(true);
    expect(model.input).toEqual({ layout: 'openpose18', dims: 2, channels: 2, segLen: 8, joints: 18 });
    const test = (data as NflowadTrainData).validation!;
    const before = model.scoreSegments(test);
    const ex = model.explainSegments(test);
    const dir = path.join(root, 'model');
    await model.save(dir);
    const again = await nflowadFamily.load(dir);
    expect(again).toBeInstanceOf(NflowadAnomalyModel);
    expect(Array.from(again.scoreSegments(test))).toEqual(Array.from(before));
    const ex2 = again.explainSegments(test);
    expect(Array.from(ex2.frames)).toEqual(Array.from(ex.frames));
    expect(Array.from(ex2.joints)).toEqual(Array.from(ex.joints));
    expect(again.thresholds).toEqual(model.thresholds);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ kind: 'nflowad', formatVersion: 1, model: { segLen: 8, dModel: 8 }, thresholds: model.thresholds });
    await expect(model.save(dir)).rejects.toThrow(/exists|not empty|overwrite/);
    model.dispose();
    again.dispose();
    await expect(nflowadFamily.load(path.join(root, 'nowhere'))).rejects.toThrow(InputError);
  });

  it('bad sizes are InputErrors naming the field', () => {
    expectThrows(() => resolveNflowadConfig({ dModel: 10, heads: 4 }), InputError, /divide by heads/);
    expectThrows(() => resolveNflowadConfig({ maskRatio: 1 }), InputError, /maskRatio/);
    expectThrows(() => resolveNflowadConfig({ normalise: 'x' as 'frame' }), InputError, /normalise/);
    expectThrows(() => resolveNflowadConfig({ channels: 0 }), InputError, /channels/);
  });
});

describe('nflowadFamily input shapes', () => {
  it('--dims 3 and --layout coco17 set the model input and the network; 2-D clips are refused for a 3-D model, naming the folder', () => {
    const three = nflowadFamily.create(nflowadFamily.configure({ dims: 3, 'd-model': 8, heads: 2, layers: 1, 'flow-hidden': 8 }));
    const coco = nflowadFamily.create(nflowadFamily.configure({ layout: 'coco17', 'd-model': 8, heads: 2, layers: 1, 'flow-hidden': 8 }));
    try {
      expect(three.input).toMatchObject({ dims: 3, channels: 3, joints: 18, layout: 'openpose18' });
      expect(three.net.config).toMatchObject({ channels: 3, joints: 18 });
      expect(coco.input).toMatchObject({ dims: 2, channels: 2, joints: 17, layout: 'coco17' });
      expect(coco.net.config).toMatchObject({ channels: 2, joints: 17 });
      const ds = generateDemoDataset({ seed: 3, scale: 'tiny' });
      const clips: PoseClip[] = ds.train.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));
      expect(() => nflowadFamily.trainingData({ normal: { clips, source: 'pose/train2d' } }, nflowadFamily.configure({ dims: 3 }))).toThrow(/pose\/train2d.*2-D pose tracks/);
    } finally {
      three.dispose();
      coco.dispose();
    }
  });
});
