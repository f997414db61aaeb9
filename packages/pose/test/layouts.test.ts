import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { COCO17, COCO17_TO_OPENPOSE18_ORDER, coco17ToOpenPose18, getSkeleton, OPENPOSE18 } from '../src/index.js';

// Hand-built person: joint j of person p has x = 10·j + p, y = 100 + j, confidence = 0.5 + j/100.
function person(p: number): number[] {
  return Array.from({ length: 17 }, (_, j) => [10 * j + p, 100 + j, 0.5 + j / 100]).flat();
}

// The expected OpenPose row for person p, derived from joint *names* (not from the order table):
// OpenPose joint "x" is COCO joint "x", and the neck is the shoulders' mean on every channel.
function expectedOpenPose(p: number): number[] {
  const coco = person(p);
  return OPENPOSE18.jointNames.flatMap((name) => {
    if (name === 'neck') return [0, 1, 2].map((c) => (coco[5 * 3 + c]! + coco[6 * 3 + c]!) / 2);
    const s = COCO17.jointNames.indexOf(name);
    expect(s, name).toBeGreaterThanOrEqual(0);
    return [0, 1, 2].map((c) => coco[s * 3 + c]!);
  });
}

describe('layouts (backend-free)', () => {
  it('has the published joint counts, centres and edges', () => {
    expect(COCO17.jointNames).toHaveLength(17);
    expect(COCO17.edges).toHaveLength(19);
    expect(OPENPOSE18.jointNames).toHaveLength(18);
    expect(OPENPOSE18.center).toBe(1);
    expect(OPENPOSE18.jointNames[1]).toBe('neck');
    expect(OPENPOSE18.edges).toEqual([
      [4, 3], [3, 2], [7, 6], [6, 5], [13, 12], [12, 11], [10, 9], [9, 8], [11, 5], [8, 2], [5, 1], [2, 1],
      [0, 1], [15, 0], [14, 0], [17, 15], [16, 14],
    ]);
    expect(getSkeleton('openpose')).toBe(OPENPOSE18);
    expect(getSkeleton('coco17')).toBe(COCO17);
    expect(() => getSkeleton('nope' as 'coco17')).toThrow(InputError);
  });

  it('openpose bones not touching the neck are COCO bones under the name mapping', () => {
    // A wrong joint-name order in either layout would break this.
    const cocoPairs = new Set(COCO17.edges.map(([a, b]) => [COCO17.jointNames[a], COCO17.jointNames[b]].sort().join('|')));
    const opEdges = OPENPOSE18.edges.filter(([a, b]) => a !== 1 && b !== 1);
    expect(opEdges).toHaveLength(14);
    for (const [a, b] of opEdges) {
      const key = [OPENPOSE18.jointNames[a], OPENPOSE18.jointNames[b]].sort().join('|');
      expect(cocoPairs.has(key), key).toBe(true);
    }
  });

  it('order table is STG-NF\'s', () => {
    expect([...COCO17_TO_OPENPOSE18_ORDER]).toEqual([0, 17, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3]);
  });

  it('converts a plain Float32Array [2, 17, 3] → [2, 18, 3]', () => {
    const out = coco17ToOpenPose18(new Float32Array([...person(0), ...person(1)]));
    expect(out).toBeInstanceOf(Float32Array);
    expect(out).toHaveLength(2 * 18 * 3);
    const want = [...expectedOpenPose(0), ...expectedOpenPose(1)];
    out.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 5));
    // Spot checks by hand: neck of person 1 = mean of joints 5 (x 51) and 6 (x 61); joint 2 = COCO r-shoulder.
    expect(out[18 * 3 + 1 * 3 + 0]).toBe(56);
    expect(out[18 * 3 + 1 * 3 + 2]).toBeCloseTo(0.555, 6);
    expect(out[2 * 3 + 0]).toBe(60);
  });

  it('converts with other channel counts and rejects bad lengths', () => {
    const xy = Float32Array.from({ length: 34 }, (_, i) => i);
    const out = coco17ToOpenPose18(xy, { channels: 2 });
    expect(out).toHaveLength(36);
    expect([out[2], out[3]]).toEqual([(10 + 12) / 2, (11 + 13) / 2]);
    expect(() => coco17ToOpenPose18(new Float32Array(50))).toThrow(InputError);
    expect(() => coco17ToOpenPose18(xy, { channels: 0 })).toThrow(InputError);
  });
});

