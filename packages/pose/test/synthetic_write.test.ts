import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { generateDemoDataset } from '../src/index.js';
import { DEMO_MARKER, encodeNpyUint8, writeDemoDataset } from '../src/synthetic/write_dataset.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-synth-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const ds = generateDemoDataset({ seed: 7, scale: 'tiny' });

/** Every file under `dir` (relative paths, sorted), dot-files included. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Minimal independent .npy v1.0 reader for 1-D uint8 arrays: checks the magic, the version, the
 * 64-byte alignment and the header dict, then returns the data.
 */
function readNpyU8(bytes: Uint8Array): Uint8Array {
  expect(Array.from(bytes.subarray(0, 6))).toEqual([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0))]);
  expect([bytes[6], bytes[7]]).toEqual([1, 0]);
  const hlen = bytes[8]! | (bytes[9]! << 8);
  expect((10 + hlen) % 64).toBe(0);
  const header = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + hlen));
  expect(header.endsWith('\n')).toBe(true);
  const m = /^\{'descr': '\|u1', 'fortran_order': False, 'shape': \((\d+),\), \} *\n$/.exec(header);
  expect(m, header).not.toBeNull();
  const n = Number(m![1]);
  expect(bytes.length).toBe(10 + hlen + n);
  return bytes.subarray(10 + hlen);
}

describe('synthetic demo dataset: writer', () => {
  it('encodes a valid .npy header, padded to 64 bytes', () => {
    for (const n of [0, 1, 3, 200, 100000]) {
      const data = new Uint8Array(n).map((_, i) => i % 2);
      const bytes = encodeNpyUint8(data);
      expect(Array.from(readNpyU8(bytes))).toEqual(Array.from(data));
    }
  });

  it('writes the ShanghaiTech layout and reads back identically', () => {
    const dir = path.join(root, 'a', 'nested');
    const res = writeDemoDataset(dir, ds);
    const files = listFiles(dir);
    const expected = [
      DEMO_MARKER,
      ...ds.train.map((c) => `pose/train/${c.name}_alphapose_tracked_person.json`),
      ...ds.test.map((c) => `pose/test/${c.name}_alphapose_tracked_person.json`),
      ...ds.gt.map((g) => `gt/test_frame_mask/${g.name}.npy`),
    ].sort();
    expect(files).toEqual(expected); // no temporary files left behind
    expect([...res.files].sort()).toEqual(expected.filter((f) => f !== DEMO_MARKER));
    for (const [split, clips] of [['train', ds.train], ['test', ds.test]] as const) {
      for (const c of clips) {
        const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'pose', split, `${c.name}_alphapose_tracked_person.json`), 'utf8'));
        expect(parsed).toEqual(c.persons);
      }
    }
    for (const g of ds.gt) {
      const mask = readNpyU8(new Uint8Array(fs.readFileSync(path.join(dir, 'gt/test_frame_mask', `${g.name}.npy`))));
      expect(Array.from(mask)).toEqual(Array.from(g.mask));
    }
    expect(JSON.parse(fs.readFileSync(path.join(dir, DEMO_MARKER), 'utf8'))).toEqual(JSON.parse(JSON.stringify(ds.meta)));
  });

  it('writes byte-identical files for the same seed', () => {
    const a = path.join(root, 'same-a');
    const b = path.join(root, 'same-b');
    writeDemoDataset(a, ds);
    writeDemoDataset(b, generateDemoDataset({ seed: 7, scale: 'tiny' }));
    const files = listFiles(a);
    expect(listFiles(b)).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f))), f).toBe(true);
  });

  it('rewrites its own directory and drops clips the new dataset lacks', () => {
    const dir = path.join(root, 'rewrite');
    writeDemoDataset(dir, ds);
    const smaller = generateDemoDataset({ seed: 7, scale: 'tiny', trainClips: 2, testClips: 1 });
    writeDemoDataset(dir, smaller);
    expect(listFiles(dir).filter((f) => f.startsWith('pose/'))).toHaveLength(3);
    expect(listFiles(dir).filter((f) => f.startsWith('gt/'))).toEqual([`gt/test_frame_mask/${smaller.gt[0]!.name}.npy`]);
  });

  it('refuses a non-empty directory it did not write, and a file, without touching them', () => {
    const foreign = path.join(root, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    expect(() => writeDemoDataset(foreign, ds)).toThrow(InputError);
    expect(() => writeDemoDataset(foreign, ds)).toThrow(/non-empty directory/);
    expect(listFiles(foreign)).toEqual(['notes.txt']);
    expect(fs.readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine');

    // A foreign directory holding pose files of the same names is refused too.
    const lookalike = path.join(root, 'lookalike');
    fs.mkdirSync(path.join(lookalike, 'pose/train'), { recursive: true });
    fs.writeFileSync(path.join(lookalike, 'pose/train/01_0001_alphapose_tracked_person.json'), '{}');
    expect(() => writeDemoDataset(lookalike, ds)).toThrow(InputError);
    expect(fs.readFileSync(path.join(lookalike, 'pose/train/01_0001_alphapose_tracked_person.json'), 'utf8')).toBe('{}');

    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => writeDemoDataset(file, ds)).toThrow(InputError);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');

    // An empty existing directory is fine.
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    expect(writeDemoDataset(empty, ds).files.length).toBe(20);
  });
});
