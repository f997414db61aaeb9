import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { readNpy, writeNpy, readGroundTruth } from '../src/index.js';
import { expectInputError } from '@skelflow/testing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const gtRoot = path.resolve(repoRoot, '../shared/data/stgnf/gt');
const hasGt = fs.existsSync(gtRoot);
if (!hasGt) console.warn(`[npy.test] ${gtRoot} not found: tests on the real ShanghaiTech/UBnormal masks are skipped`);

const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

/** Builds a .npy file from a raw header string (padding it as np.save would not: tests malformed input). */
function npyBytes(header: string, data: Uint8Array = new Uint8Array(), major = 1): Uint8Array {
  const lenSize = major === 1 ? 2 : 4;
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + lenSize + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, 8 + lenSize);
  out.set(data, 8 + lenSize + h.length);
  return out;
}


describe('writeNpy', () => {
  // Expected bytes written by NumPy 2.4.6 `np.save` (independent of this code).
  it('matches np.save byte for byte', () => {
    expect(writeNpy(new Uint8Array([0, 1, 1]), [3], '|u1')).toEqual(
      hex(
        '934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000101',
      ),
    );
    expect(writeNpy([1.5, -2, 0.25, 3], [2, 2], '<f4')).toEqual(
      hex(
        '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c00000803e00004040',
      ),
    );
    expect(writeNpy([2.5], [], '<f8')).toEqual(
      hex(
        '934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000440',
      ),
    );
  });

  it('round-trips u1, f4 and f8 in several shapes', () => {
    const u = new Uint8Array([0, 255, 7, 1, 0, 9]);
    const ru = readNpy(writeNpy(u, [2, 3], '|u1'), 'u.npy');
    expect(ru).toEqual({ dtype: '|u1', shape: [2, 3], data: u });

    const f = [0.1, -3.5, 1e30, Number.NaN, Infinity, -0];
    const r4 = readNpy(writeNpy(f, [6], '<f4'), 'f4.npy');
    expect(r4.dtype).toBe('<f4');
    expect(r4.data).toBeInstanceOf(Float32Array);
    expect(Array.from(r4.data)).toEqual(f.map(Math.fround));

    const r8 = readNpy(writeNpy(f, [3, 1, 2], '<f8'), 'f8.npy');
    expect(r8.shape).toEqual([3, 1, 2]);
    expect(Array.from(r8.data)).toEqual(f);

    expect(readNpy(writeNpy([], [0], '<f8'), 'empty.npy').data.length).toBe(0);
  });

  it('reads arrays at an unaligned byte offset', () => {
    const bytes = writeNpy([1.25, 2.5, -7], [3], '<f8');
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(Array.from(readNpy(shifted.subarray(3), 'x.npy').data)).toEqual([1.25, 2.5, -7]);
  });

  it('rejects values |u1 cannot hold and shape mismatches', () => {
    expectInputError(() => writeNpy([256], [1], '|u1'), /element 0/, /\|u1/);
    expectInputError(() => writeNpy([0.5], [1], '|u1'), /element 0/);
    expectInputError(() => writeNpy([1, 2, 3], [2, 2], '<f8'), /shape/);
  });
});

describe('readNpy', () => {
  it('reads format versions 2.0 and 3.0, integer, boolean and 64-bit dtypes', () => {
    const i4 = new Uint8Array(new Int32Array([-5, 7, 2147483647]).buffer);
    const v2 = readNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n", i4, 2), 'v2.npy');
    expect(v2).toEqual({ dtype: '<i4', shape: [3], data: new Int32Array([-5, 7, 2147483647]) });

    const i8 = new Uint8Array(new BigInt64Array([-3n, 2n ** 53n - 1n, 0n]).buffer);
    const v3 = readNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n", i8, 3), 'v3.npy');
    expect(v3.data).toBeInstanceOf(Float64Array);
    expect(Array.from(v3.data)).toEqual([-3, 2 ** 53 - 1, 0]);

    // Python 2 era header with a long-integer suffix and double quotes.
    const b1 = readNpy(npyBytes('{"descr": "|b1", "fortran_order": False, "shape": (2L, 2L)}\n', new Uint8Array([1, 0, 0, 1])), 'b.npy');
    expect(b1).toEqual({ dtype: '|b1', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) });
  });

  it('refuses 64-bit integers a JS number cannot hold exactly', () => {
    const i8 = new Uint8Array(new BigInt64Array([1n, 2n ** 60n]).buffer);
    expectInputError(
      () => readNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", i8), 'big.npy'),
      /^big\.npy/,
      /element 1/,
    );
  });

  it('throws InputError naming the file for malformed input', () => {
    const f8 = new Uint8Array(16);
    const cases: [string, Uint8Array, RegExp][] = [
      ['magic.npy', new TextEncoder().encode('PK\x03\x04 not numpy at all'), /magic/],
      ['short.npy', new Uint8Array([0x93, 0x4e]), /magic/],
      ['version.npy', (() => { const b = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", f8); b[6] = 4; return b; })(), /version 4\.0/],
      ['fortran.npy', npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }\n", f8), /Fortran/],
      ['bigendian.npy', npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }\n", f8), /big-endian/],
      ['complex.npy', npyBytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n", f8), /unsupported dtype '<c16'/],
      ['struct.npy', npyBytes("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }\n", f8), /structured/],
      ['nodict.npy', npyBytes('[1, 2]\n', f8), /not a dict/],
      ['syntax.npy', npyBytes("{'descr': '<f8', 'fortran_order': False 'shape': (2,)}\n", f8), /malformed \.npy header/],
      ['noshape.npy', npyBytes("{'descr': '<f8', 'fortran_order': False}\n", f8), /'shape'/],
      ['negshape.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}\n", f8), /'shape'/],
      ['truncated.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", f8), /truncated/],
      ['hdrlen.npy', (() => { const b = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", f8); b[9] = 0x7f; return b; })(), /truncated \.npy header/],
    ];
    for (const [name, bytes, re] of cases) {
      expectInputError(() => readNpy(bytes, name), new RegExp('^' + name.replace('.', '\\.') + ':'), re);
    }
  });
});

describe.skipIf(!hasGt)('real ground-truth masks (CC BY-NC, read from ../shared)', () => {
  const readDir = (dir: string) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.npy'))
      .sort()
      .map((f) => ({ f, bytes: new Uint8Array(fs.readFileSync(path.join(dir, f))) }));

  it('ShanghaiTech: 107 uint8 masks, 40,791 frames, 17,326 abnormal (1 = abnormal)', () => {
    const files = readDir(path.join(gtRoot, 'shanghaitech_test_frame_mask'));
    expect(files.length).toBe(107);
    let frames = 0;
    let ones = 0;
    let abnormal = 0;
    for (const { f, bytes } of files) {
      const a = readNpy(bytes, f);
      expect(a.dtype).toBe('|u1');
      expect(a.shape.length).toBe(1);
      frames += a.data.length;
      for (const v of a.data) ones += v;
      const g = readGroundTruth(bytes, f, 'shanghaitech');
      for (const v of g) abnormal += v;
    }
    expect(frames).toBe(40791);
    expect(ones).toBe(17326);
    expect(abnormal).toBe(17326);
  });

  it('UBnormal: 211 float64 masks, 92,640 frames, 49,650 abnormal (1 = normal, flipped)', () => {
    const files = readDir(path.join(gtRoot, 'ubnormal_test'));
    expect(files.length).toBe(211);
    let frames = 0;
    let zeros = 0;
    let abnormal = 0;
    for (const { f, bytes } of files) {
      const a = readNpy(bytes, f);
      expect(a.dtype).toBe('<f8');
      frames += a.data.length;
      for (const v of a.data) if (v === 0) zeros++;
      const g = readGroundTruth(bytes, f, 'ubnormal');
      for (const v of g) abnormal += v;
    }
    expect(frames).toBe(92640);
    expect(zeros).toBe(49650);
    expect(abnormal).toBe(49650);
  });
});

describe('readGroundTruth', () => {
  it('flips UBnormal (1 = normal) and keeps ShanghaiTech (1 = abnormal)', () => {
    expect(Array.from(readGroundTruth(writeNpy([1, 0, 1], [3], '<f8'), 'u.npy', 'ubnormal'))).toEqual([0, 1, 0]);
    expect(Array.from(readGroundTruth(writeNpy([1, 0, 1], [3], '|u1'), 's.npy', 'shanghaitech'))).toEqual([1, 0, 1]);
  });

  it('rejects labels other than 0/1 and non-1-D masks, naming file and frame', () => {
    expectInputError(() => readGroundTruth(writeNpy([0, 0.5, 1], [3], '<f8'), 'half.npy', 'ubnormal'), /^half\.npy/, /frame 1/);
    expectInputError(() => readGroundTruth(writeNpy([0, 2], [2], '|u1'), 'two.npy', 'shanghaitech'), /^two\.npy/, /frame 1/);
    expectInputError(() => readGroundTruth(writeNpy([0, 1, 0, 1], [2, 2], '|u1'), 'm.npy', 'shanghaitech'), /^m\.npy/, /1-D/);
  });
});

describe('readNpy: nesting', () => {
  it('a header nested 100k deep is a clean error naming file and place (no recursion into it)', () => {
    const header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${'('.repeat(100_000)}${')'.repeat(100_000)}, }\n`;
    const pre = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0]);
    new DataView(pre.buffer).setUint32(8, header.length, true);
    const bytes = new Uint8Array(pre.length + header.length);
    bytes.set(pre);
    bytes.set(new TextEncoder().encode(header), pre.length);
    expectInputError(() => readNpy(bytes, 'deep.npy'), /^deep\.npy: header offset \d+/, /nested deeper than 32 levels/);
  });
});
