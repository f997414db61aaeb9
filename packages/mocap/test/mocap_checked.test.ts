// Issue #14: corrupt motion capture is an error naming file and line, never a silently wrong clip.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectInputError } from '@skelflow/testing';
import { parseAmc, parseAsf, parseBvh } from '../src/index.js';
import { readBvh } from '../src/node.js';

const ASF = `:version 1.10
:name t
:units
  length 1.0
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name a
     direction 0 1 0
     length 1
     axis 0 0 0 XYZ
     dof rx
  end
:hierarchy
  begin
    root a
  end
`;

const amc = (...frames: [number, string][]) => [':FULLY-SPECIFIED', ':DEGREES', ...frames.flatMap(([n, root]) => [`${n}`, `root ${root}`, 'a 5'])].join('\n') + '\n';

const BVH = (value: string) =>
  ['HIERARCHY', 'ROOT Hips', '{', '  OFFSET 0 0 0', '  CHANNELS 3 Xposition Yposition Zposition', '  End Site', '  {', '    OFFSET 0 5 0', '  }', '}', 'MOTION', 'Frames: 2', 'Frame Time: 0.04', '0 0 0', `${value} 0 0`].join('\n') + '\n';

describe('checked motion capture', () => {
  const skel = parseAsf(ASF, 't.asf');

  it('an absurd (1e300) or non-finite AMC value is an error naming file, line and channel (was: a 0 % detected clip, exit 0)', () => {
    expect(parseAmc(amc([1, '0 0 0 0 0 0'], [2, '1 2 3 4 5 6']), 'ok.amc', skel).nFrames).toBe(2);
    expectInputError(() => parseAmc(amc([1, '0 0 0 0 0 0'], [2, '1e300 2 3 4 5 6']), 'big.amc', skel), /^big\.amc: line 7:/, /value 1 \(tx = '1e300'\) is beyond ±100000/);
    expectInputError(() => parseAmc(amc([1, '0 0 0 0 0 nan']), 'nan.amc', skel), /^nan\.amc: line 4:/, /not a finite number/);
  });

  it('a duplicate or decreasing AMC frame number is an error naming file and line (was accepted)', () => {
    expectInputError(() => parseAmc(amc([1, '0 0 0 0 0 0'], [1, '0 0 0 0 0 0']), 'dup.amc', skel), /^dup\.amc: line 6:/, /duplicate frame number 1 \(frame 1 starts at line 3\)/);
    expectInputError(() => parseAmc(amc([2, '0 0 0 0 0 0'], [1, '0 0 0 0 0 0']), 'dec.amc', skel), /^dec\.amc: line 6:/, /frame number 1 after frame 2/);
  });

  it('a missing ASF axis (bone or root), position or orientation is an error naming file and line (was: silently 0)', () => {
    expectInputError(() => parseAsf(ASF.replace('     axis 0 0 0 XYZ\n', ''), 'noaxis.asf'), /^noaxis\.asf: line \d+:/, /bone 'a' has no axis/);
    expectInputError(() => parseAsf(ASF.replace('   axis XYZ\n', ''), 'noroot.asf'), /^noroot\.asf: line 6:/, /:root has no axis line/);
    expectInputError(() => parseAsf(ASF.replace('   position 0 0 0\n', ''), 'nopos.asf'), /line 6:/, /:root has no position line/);
    expectInputError(() => parseAsf(ASF.replace('   orientation 0 0 0\n', ''), 'noori.asf'), /line 6:/, /:root has no orientation line/);
  });

  it('a 50k-deep ASF hierarchy is read without recursion', () => {
    const n = 50_000;
    const bones = Array.from({ length: n }, (_, i) => `  begin\n     name b${i}\n     direction 0 1 0\n     length 1\n     axis 0 0 0 XYZ\n  end`).join('\n');
    const hier = Array.from({ length: n }, (_, i) => `    ${i === 0 ? 'root' : `b${i - 1}`} b${i}`).join('\n');
    const text = ASF.slice(0, ASF.indexOf(':bonedata')) + `:bonedata\n${bones}\n:hierarchy\n  begin\n${hier}\n  end\n`;
    const s = parseAsf(text, 'deep.asf');
    expect(s.bones).toHaveLength(n);
    expect(s.bones[n - 1]!.parent).toBe(n - 2);
  });

  it('an absurd BVH value or OFFSET is an error naming file and line', () => {
    expect(parseBvh(BVH('12'), 'ok.bvh').nFrames).toBe(2);
    expectInputError(() => parseBvh(BVH('1e300'), 'big.bvh'), /^big\.bvh: line 15:/, /frame 2 value 1 \('1e300'\) is beyond ±100000/);
    expectInputError(() => parseBvh(BVH('12').replace('OFFSET 0 5 0', 'OFFSET 0 5e9 0'), 'off.bvh'), /^off\.bvh: line 8:/, /OFFSET y = 5e9 is beyond/);
  });

  it('a BVH with 50k nested joints is a clean error naming the file (was: Maximum call stack size exceeded)', () => {
    const n = 50_000;
    const lines = ['HIERARCHY', 'ROOT j0', '{', 'OFFSET 0 0 0', 'CHANNELS 3 Xrotation Yrotation Zrotation'];
    for (let i = 1; i < n; i++) lines.push(`JOINT j${i}`, '{', 'OFFSET 0 1 0', 'CHANNELS 3 Xrotation Yrotation Zrotation');
    for (let i = 0; i < n; i++) lines.push('}');
    lines.push('MOTION', 'Frames: 0', 'Frame Time: 0.04');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-bvh-')), 'deep.bvh');
    fs.writeFileSync(file, lines.join('\n'));
    expectInputError(() => readBvh(file), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+:`), /joints nested deeper than 1000 levels/);
  });
});
