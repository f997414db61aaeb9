// Issue #14: the demo cache is written to a temporary folder, verified and renamed into place, so
// a crash mid-generation never leaves a cache the next `demo` would use with half the clips.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDemoDataset, type DemoDataset } from '@skelflow/pose';
import { DEMO_MARKER, writeDemoDataset } from '@skelflow/pose/node';
import { DEMO_CACHE_MANIFEST, demoCacheProblem, prepareDemoCache } from '../src/demo_cache.js';
import { tmpDir } from './tiny_data.js';

const ds = generateDemoDataset({ seed: 3, scale: 'tiny' });
const countFiles = (dir: string, sub: string) => fs.readdirSync(path.join(dir, sub)).filter((n) => !n.startsWith('.')).length;

/** Writes half the test clips, then "crashes" (as a kill mid-generation would leave it). */
function crashingWriter(dir: string, full: DemoDataset): never {
  writeDemoDataset(dir, { ...full, test: full.test.slice(0, 3), gt: full.gt.slice(0, 3) });
  throw new Error('simulated crash mid-generation');
}

describe('demo cache', () => {
  it('a crash mid-generation leaves no cache (and no temporary folder); the next run generates all clips', () => {
    const dir = path.join(tmpDir(), 'demo-v2-tiny-seed3');
    expect(() => prepareDemoCache(dir, () => ds, crashingWriter)).toThrow(/simulated crash/);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(path.dirname(dir))).toEqual([]);
    const r = prepareDemoCache(dir, () => ds);
    expect(r.kind).toBe('generated');
    expect(countFiles(dir, 'pose/test')).toBe(ds.test.length);
    expect(countFiles(dir, 'gt/test_frame_mask')).toBe(ds.gt.length);
    expect(countFiles(dir, 'pose/train')).toBe(ds.train.length);
    expect(demoCacheProblem(dir)).toBeUndefined();
    expect(prepareDemoCache(dir, () => { throw new Error('must not regenerate'); }).kind).toBe('cached');
  });

  it('an incomplete cache as the old writer left it (marker first, half the clips) is regenerated, not used', () => {
    const dir = path.join(tmpDir(), 'demo-v2-tiny-seed3');
    writeDemoDataset(dir, { ...ds, test: ds.test.slice(0, 3), gt: ds.gt.slice(0, 3) });
    expect(fs.existsSync(path.join(dir, DEMO_MARKER))).toBe(true);
    expect(demoCacheProblem(dir)).toMatch(/no \.skelflow-demo-complete\.json/);
    const r = prepareDemoCache(dir, () => ds);
    expect(r).toMatchObject({ kind: 'generated', replaced: expect.stringMatching(/interrupted/) });
    expect(countFiles(dir, 'pose/test')).toBe(ds.test.length);
  });

  it('a cache whose file was truncated after the fact fails verification and is regenerated', () => {
    const dir = path.join(tmpDir(), 'c');
    prepareDemoCache(dir, () => ds);
    const mask = path.join(dir, 'gt/test_frame_mask', fs.readdirSync(path.join(dir, 'gt/test_frame_mask'))[0]!);
    fs.truncateSync(mask, 10);
    expect(demoCacheProblem(dir)).toMatch(/has 10 bytes/);
    expect(prepareDemoCache(dir, () => ds).kind).toBe('generated');
    expect(JSON.parse(fs.readFileSync(path.join(dir, DEMO_CACHE_MANIFEST), 'utf8')).files).toHaveProperty(path.relative(dir, mask));
  });

  it('a folder that is not a demo cache is never touched', () => {
    const dir = path.join(tmpDir(), 'mine');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect(() => prepareDemoCache(dir, () => ds)).toThrow(/not a skelflow demo cache/);
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('temporary folders of dead processes are removed', () => {
    const dir = path.join(tmpDir(), 'd');
    const stale = `${dir}.tmp-999999999-x`;
    fs.mkdirSync(stale);
    prepareDemoCache(dir, () => ds);
    expect(fs.existsSync(stale)).toBe(false);
  });
});
