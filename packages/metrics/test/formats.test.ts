// Text readers for the RBDC/TBDC file formats.
import { describe, expect, it } from 'vitest';
import { formatDetections, formatTracks, MetricsInputError, parseDetections, parseTracks, rbdcTbdc } from '@skelflow/metrics';
import { loadSharedFixture } from './helpers';

function error(fn: () => unknown): MetricsInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MetricsInputError);
    return e as MetricsInputError;
  }
  throw new Error('expected a MetricsInputError');
}

describe('parseTracks / parseDetections', () => {
  it('reads rows, skipping blank lines and # comments, with CRLF, spaces and a BOM', () => {
    const text = '\ufeff# track_id, frame, x1, y1, x2, y2\r\n0, 12, 10, 20, 50, 90\r\n\r\n1,13,10.5,20,50,9e1 # note\r\n';
    expect(parseTracks(text, 't.txt')).toEqual([
      [0, 12, 10, 20, 50, 90],
      [1, 13, 10.5, 20, 50, 90],
    ]);
  });

  it('one row and no row are fine (the reference crashes on both)', () => {
    expect(parseDetections('3,0,0,9,9,0.5', 'd.txt')).toEqual([[3, 0, 0, 9, 9, 0.5]]);
    expect(parseTracks('', 't.txt')).toEqual([]);
    expect(parseTracks('\n\n', 't.txt')).toEqual([]);
  });

  it('accepts integer-valued floats for ids and frames, and numpy-style infinite scores', () => {
    expect(parseTracks('0.0,3.0,1,1,5,5\n', 't.txt')).toEqual([[0, 3, 1, 1, 5, 5]]);
    expect(parseDetections('1,0,0,9,9,-inf\n2,0,0,9,9,Infinity\n', 'd.txt')).toEqual([
      [1, 0, 0, 9, 9, -Infinity],
      [2, 0, 0, 9, 9, Infinity],
    ]);
  });

  it('wrong column count: names file and line', () => {
    const text = ['0,1,0,0,9,9', '0,2,0,0,9,9', '', '# c', '0,3,0,0,9,9', '0,4,0,0,9,9', '0,5,0,0,9'].join('\n');
    const e = error(() => parseTracks(text, 'tracks/01_0014.txt'));
    expect(e.message).toBe('tracks/01_0014.txt line 7: expected 6 comma-separated numbers, got 5');
    expect([e.source, e.location]).toEqual(['tracks/01_0014.txt', 'line 7']);
  });

  it('a token that is not a number: names column', () => {
    expect(error(() => parseDetections('1,0,0,9,9,0.5\n2,0,abc,9,9,0.5', 'd/v.txt')).message).toBe(
      'd/v.txt line 2: column 3: "abc" is not a number',
    );
    expect(error(() => parseDetections('1,0,,9,9,0.5', 'd/v.txt')).message).toBe('d/v.txt line 1: column 3: "" is not a number');
    expect(error(() => parseDetections('1,0x10,0,9,9,0.5', 'd/v.txt')).location).toBe('line 1');
  });

  it('non-integer frame or id, NaN score, non-finite coordinate, box without area', () => {
    expect(error(() => parseTracks('0.5,1,0,0,9,9', 't.txt')).message).toBe('t.txt line 1: track id must be an integer, got 0.5');
    expect(error(() => parseDetections('1.5,0,0,9,9,1', 'd.txt')).message).toBe('d.txt line 1: frame must be an integer, got 1.5');
    expect(error(() => parseDetections('1,0,0,9,9,nan', 'd.txt')).message).toBe('d.txt line 1: score is NaN');
    expect(error(() => parseDetections('1,0,0,inf,9,1', 'd.txt')).message).toBe('d.txt line 1: box coordinate 3 must be finite, got Infinity');
    expect(error(() => parseTracks('0,1,9,0,0,9', 't.txt')).message).toMatch(/^t\.txt line 1: box \[9, 0, 0, 9\] has no area/);
  });

  it('format* writes what parse* reads back exactly', () => {
    const rows = [
      [0, 5, 0.1 + 0.2, 1e-7, 123.456, 1e21],
      [3, 7, 1, 2, 3, 4],
    ];
    expect(parseTracks(formatTracks(rows), 'x')).toEqual(rows);
    const dets = [[5, 0.1, 0.2, 10.25, 30, 0.123456789012345]];
    expect(formatDetections(dets)).toBe('5,0.1,0.2,10.25,30,0.123456789012345\n');
    expect(parseDetections(formatDetections(dets), 'x')).toEqual(dets);
  });
});

interface RbdcFixture {
  cases: Array<{
    id: string;
    num_frames: number;
    videos: Array<{ name: string; tracks: number[][]; detections: number[][] }>;
    expected: { rbdc?: number; tbdc?: number };
  }>;
}
const fixture = loadSharedFixture<RbdcFixture>('rbdc_tbdc_cases.json');

describe.skipIf(!fixture)('text round trip of the reference cases', () => {
  it('every numeric case gives the reference value after writing and reading the files', () => {
    let n = 0;
    for (const c of fixture!.cases) {
      if (typeof c.expected.rbdc !== 'number') continue;
      const videos = c.videos.map((v) => ({
        name: v.name,
        tracks: parseTracks(formatTracks(v.tracks), `tracks/${v.name}.txt`),
        detections: parseDetections(formatDetections(v.detections), `anomalies/${v.name}.txt`),
      }));
      const r = rbdcTbdc(videos, c.num_frames);
      expect(Math.abs(r.rbdc - c.expected.rbdc), c.id).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(r.tbdc - c.expected.tbdc!), c.id).toBeLessThanOrEqual(1e-6);
      n++;
    }
    expect(n).toBeGreaterThan(10);
  });
});
