import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { clipNameFromPoseFile, parsePoseTrackJson, writeNpy } from '../src/index.js';
import { readGtDir, readPoseDir } from '../src/node.js';
import { expectInputError } from '@skelflow/testing';

const kp = (base: number) => Array.from({ length: 51 }, (_, i) => base + i * 0.5);
const det = (base: number, score = 1.5) => ({ keypoints: kp(base), scores: score });


describe('parsePoseTrackJson', () => {
  it('refuses a key repeated in one object (JSON.parse keeps the last silently), naming file, place, line and column', () => {
    const d = JSON.stringify(det(1));
    expectInputError(() => parsePoseTrackJson(`{"1": {"001": ${d}},\n "1": {"002": ${d}}}`, 'dup.json'), /^dup\.json: person 1 \(line 2, column 2\)/, /duplicate person key "1"/);
    expectInputError(() => parsePoseTrackJson(`{"1": {"001": ${d}, "001": ${d}}}`, 'dupf.json'), /person 1, frame 001 \(line 1/, /duplicate frame key "001"/);
    expectInputError(() => parsePoseTrackJson(`{"1": {"001": {"keypoints": [], "scores": 1, "scores": 2}}}`, 'dupk.json'), /person 1, frame 001/, /duplicate key "scores"/);
    // Escaped spellings of one key are the same key; a key inside a string value is not a key.
    expectInputError(() => parsePoseTrackJson(`{"1": {"001": ${d}}, "\\u0031": {"002": ${d}}}`, 'esc.json'), /esc\.json: person 1/, /duplicate person key "1"/);
    expect(parsePoseTrackJson(`{"1": {"001": ${d}}, "2": {"001": ${d}}}`, 'ok.json').size).toBe(2);
  });

  it('refuses coordinates beyond 100 image sizes and values that overflow float32, naming joint and value', () => {
    const big = kp(0);
    big[0] = 85_601; // nose x, > 100 × 856
    expectInputError(() => parsePoseTrackJson(JSON.stringify({ '3': { '007': { keypoints: big, scores: 1 } } }), 'x.json'), /^x\.json: person 3, frame 007/, /joint 0 \(nose\) x = 85601 is outside the sane range ±85600/);
    big[0] = 85_600;
    expect(parsePoseTrackJson(JSON.stringify({ '3': { '007': { keypoints: big, scores: 1 } } }), 'x.json').size).toBe(1);
    const tall = kp(0);
    tall[4] = -48_001; // left_eye y, > 100 × 480
    expectInputError(() => parsePoseTrackJson(JSON.stringify({ '3': { '007': { keypoints: tall, scores: 1 } } }), 'y.json'), /person 3, frame 007/, /joint 1 \(left_eye\) y = -48001/);
    expect(parsePoseTrackJson(JSON.stringify({ '3': { '007': { keypoints: tall, scores: 1 } } }), 'y.json', { imageSize: [1920, 1080] }).size).toBe(1);
    const conf = kp(0);
    conf[2] = 1e39;
    expectInputError(() => parsePoseTrackJson(JSON.stringify({ '3': { '007': { keypoints: conf, scores: 1 } } }), 'c.json'), /person 3, frame 007/, /value 1e\+39 at keypoints\[2\] \(joint 0 \(nose\) confidence\) overflows float32/);
    expectInputError(() => parsePoseTrackJson(JSON.stringify({ '3': { '007': { keypoints: kp(0), scores: -1e39 } } }), 's.json'), /person 3, frame 007/, /"scores" -1e\+39 overflows float32/);
  });

  it('parses people in numeric ID order and frames in numeric order', () => {
    // Unpadded keys: string order would put "10" before "9" and "100" before "11".
    const text = JSON.stringify({
      '10': { '100': det(3), '9': det(1), '11': det(2) },
      '9': { '002': det(7), '001': det(6) },
    });
    const tracks = parsePoseTrackJson(text, 'clip.json');
    expect([...tracks.keys()]).toEqual(['9', '10']);
    const p10 = tracks.get('10')!;
    expect(p10.frames).toEqual([9, 11, 100]);
    expect(p10.keypoints).toBeInstanceOf(Float32Array);
    expect(p10.keypoints.length).toBe(3 * 51);
    // Row order follows the frames: frame 9 holds det(1), frame 100 det(3).
    expect(p10.keypoints[0]).toBe(1);
    expect(p10.keypoints[51]).toBe(2);
    expect(p10.keypoints[102]).toBe(3);
    expect(p10.keypoints[102 + 50]).toBe(Math.fround(3 + 25));
    expect(Array.from(p10.scores)).toEqual([1.5, 1.5, 1.5]);
    expect(tracks.get('9')!.frames).toEqual([1, 2]);
  });

  it('stores float32 values, as the original casts them', () => {
    const k = kp(0);
    k[0] = 841.996;
    const t = parsePoseTrackJson(JSON.stringify({ '1': { '000': { keypoints: k, scores: 2.03386 } } }), 'c.json');
    expect(t.get('1')!.keypoints[0]).toBe(Math.fround(841.996));
    expect(t.get('1')!.scores[0]).toBe(Math.fround(2.03386));
  });

  it('merges a person given as a list of dicts (later keys win)', () => {
    const text = JSON.stringify({ '3': [{ '001': det(1), '002': det(2) }, { '002': det(20), '003': det(3) }] });
    const t = parsePoseTrackJson(text, 'list.json').get('3')!;
    expect(t.frames).toEqual([1, 2, 3]);
    expect(t.keypoints[51]).toBe(20);
    expect(t.keypoints[102]).toBe(3);
  });

  it('returns an empty map for a clip with no person, unless requireNonEmpty', () => {
    expect(parsePoseTrackJson('{}', 'none.json').size).toBe(0);
    expectInputError(() => parsePoseTrackJson('{}', 'none.json', { requireNonEmpty: true }), /^none\.json:/, /no tracked person/);
    expectInputError(() => parsePoseTrackJson('{"4": {}}', 'ghost.json', { requireNonEmpty: true }), /^ghost\.json:/);
  });

  describe('bad input throws InputError naming the file and person/frame', () => {
    it('empty file', () => {
      expectInputError(() => parsePoseTrackJson('', 'empty.json'), /^empty\.json:/, /empty file/);
      expectInputError(() => parsePoseTrackJson('  \n\t', 'blank.json'), /^blank\.json:/, /empty file/);
    });

    it('malformed JSON, with line, column and position', () => {
      const text = '{\n  "1": {\n    "000": {"keypoints": [1, 2,], "scores": 1}\n  }\n}';
      // The stray ']' after "2," is on line 3; `    "000": {"keypoints": [1, 2,` is 31 characters.
      const e = expectInputError(() => parsePoseTrackJson(text, 'bad.json'), /^bad\.json:/, /malformed JSON/, /line 3, column 32/);
      expect(e.location).toContain(`position ${text.indexOf(',]') + 1}`);
      expectInputError(() => parsePoseTrackJson('{"1": {"000": ', 'cut.json'), /^cut\.json:/, /end of input/);
      expectInputError(() => parsePoseTrackJson("{'1': {}}", 'py.json'), /^py\.json:/, /line 1, column 2/);
    });

    it('top level not an object', () => {
      expectInputError(() => parsePoseTrackJson('[1, 2]', 'arr.json'), /^arr\.json:/, /top level must be an object/);
      expectInputError(() => parsePoseTrackJson('null', 'null.json'), /^null\.json:/, /got null/);
    });

    it('keypoints of the wrong length', () => {
      const text = JSON.stringify({ '7': { '012': { keypoints: kp(0).slice(0, 50), scores: 1 } } });
      expectInputError(() => parsePoseTrackJson(text, 'short.json'), /^short\.json:/, /person 7, frame 012/, /50 values, expected 51/);
      const t54 = JSON.stringify({ '7': { '012': { keypoints: [...kp(0), 1, 2, 3], scores: 1 } } });
      expectInputError(() => parsePoseTrackJson(t54, 'long.json'), /person 7, frame 012/, /54 values/);
      expectInputError(() => parsePoseTrackJson('{"7": {"012": {"scores": 1}}}', 'nokp.json'), /person 7, frame 012/, /missing "keypoints"/);
    });

    it('NaN / Infinity (as Python json.dump writes them) and non-numeric coordinates', () => {
      const good = kp(0).join(', ');
      const nanText = `{"2": {"001": {"keypoints": [${good}], "scores": 1},\n "002": {"keypoints": [1.0, NaN, ${kp(0).slice(2).join(', ')}], "scores": 1}}}`;
      expectInputError(() => parsePoseTrackJson(nanText, 'nan.json'), /^nan\.json:/, /person 2, frame 002/, /non-finite value NaN at keypoints\[1\] \(joint 0 y\)/);
      const infText = `{"2": {"001": {"keypoints": [${kp(0).slice(0, 5).join(', ')}, -Infinity, ${kp(0).slice(6).join(', ')}], "scores": 1}}}`;
      expectInputError(() => parsePoseTrackJson(infText, 'inf.json'), /person 2, frame 001/, /non-finite value -Infinity at keypoints\[5\]/);
      const k = kp(0) as unknown[];
      k[4] = 'abc';
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '2': { '003': { keypoints: k, scores: 1 } } }), 'str.json'), /^str\.json:/, /person 2, frame 003/, /non-numeric value the string "abc" at keypoints\[4\]/);
      k[4] = null;
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '2': { '003': { keypoints: k, scores: 1 } } }), 'null.json'), /person 2, frame 003/, /non-numeric value null/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '2': { '003': { keypoints: kp(0), scores: 'x' } } }), 'sc.json'), /person 2, frame 003/, /"scores" must be a finite number/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '2': { '003': { keypoints: kp(0) } } }), 'nosc.json'), /person 2, frame 003/, /missing "scores"/);
    });

    it('frame and person keys that are not non-negative integers', () => {
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '1': { '-3': det(0) } }), 'neg.json'), /^neg\.json:/, /person 1, frame "-3"/, /not a non-negative integer/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '1': { '1.5': det(0) } }), 'frac.json'), /person 1, frame "1\.5"/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '1': { 'abc.jpg': det(0) } }), 'name.json'), /frame "abc\.jpg"/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ p1: { '000': det(0) } }), 'pid.json'), /^pid\.json:/, /person "p1"/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '1': { '7': det(0), '007': det(1) } }), 'dup.json'), /person 1, frame/, /same frame/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '1': 5 }), 'val.json'), /person 1/, /object of frames/);
      expectInputError(() => parsePoseTrackJson(JSON.stringify({ '1': { '000': [1, 2] } }), 'det.json'), /person 1, frame 000/, /detection must be an object/);
    });
  });
});

describe('clipNameFromPoseFile', () => {
  it('keeps the part before _alphapose', () => {
    expect(clipNameFromPoseFile('01_0014_alphapose_tracked_person.json')).toBe('01_0014');
    expect(clipNameFromPoseFile('/d/pose/test/abnormal_scene_2_scenario_6_alphapose_tracked_person.json')).toBe('abnormal_scene_2_scenario_6');
    expect(clipNameFromPoseFile('C:\\x\\12_0173_alphapose_tracked_person.json')).toBe('12_0173');
  });
});

describe('readPoseDir / readGtDir', () => {
  it('read sorted files, derive clip names and name the failing file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-pose-'));
    try {
      fs.writeFileSync(path.join(dir, '01_0015_alphapose_tracked_person.json'), JSON.stringify({ '1': { '000': det(0) } }));
      fs.writeFileSync(path.join(dir, '01_0014_alphapose_tracked_person.json'), '{}');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
      fs.writeFileSync(path.join(dir, '01_0014.npy'), writeNpy([0, 1, 1], [3], '|u1'));
      const clips = await readPoseDir(dir);
      expect(clips.map((c) => c.name)).toEqual(['01_0014', '01_0015']);
      expect(clips[1].tracks.get('1')!.frames).toEqual([0]);
      const gt = await readGtDir(dir, 'shanghaitech');
      expect(gt.map((g) => [g.name, g.nFrames, Array.from(g.gtAbnormal)])).toEqual([['01_0014', 3, [0, 1, 1]]]);

      const bad = path.join(dir, '02_0001_alphapose_tracked_person.json');
      fs.writeFileSync(bad, JSON.stringify({ '5': { '010': { keypoints: [1, 2], scores: 1 } } }));
      await expect(readPoseDir(dir)).rejects.toThrow(new RegExp(`${bad.replace(/[.\\]/g, '\\$&')}: person 5, frame 010`));
      await expect(readPoseDir(dir)).rejects.toBeInstanceOf(InputError);
      fs.writeFileSync(path.join(dir, '02_0001.npy'), new Uint8Array([1, 2, 3]));
      await expect(readGtDir(dir, 'shanghaitech')).rejects.toThrow(/02_0001\.npy: byte 0: not a \.npy file/);
      await expect(readPoseDir(path.join(dir, 'missing'))).rejects.toThrow(/missing: cannot read directory/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
