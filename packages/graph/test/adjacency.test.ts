import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { buildAdjacency, hopDistance, normalizeDigraph, SkeletonGraph } from '../src/index.js';
import { COCO17, OPENPOSE18, type Skeleton } from '@skelflow/pose';

// Adjacency construction is plain JavaScript (float64, then one float32 rounding): it never touches
// a tfjs backend, so unlike the layer suites this one is not parametrised over cpu/wasm.

const chain = (n: number, center = 0): Skeleton => ({
  name: `chain${n}`,
  jointNames: Array.from({ length: n }, (_, i) => `j${i}`),
  edges: Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as const),
  center,
});

function expectMatrices(actual: number[][][], expected: number[][][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((m, k) => m.forEach((row, i) => row.forEach((x, j) => {
    expect(x, `A[${k}][${i}][${j}]`).toBeCloseTo(expected[k]![i]![j]!, 12);
  })));
}

describe('hop distance and normalisation', () => {
  it('computes capped hop distances on a chain', () => {
    expect(hopDistance(4, [[0, 1], [1, 2], [2, 3]], 2)).toEqual([
      [0, 1, 2, Infinity],
      [1, 0, 1, 2],
      [2, 1, 0, 1],
      [Infinity, 2, 1, 0],
    ]);
  });

  it('finds the openpose18 diameter 8 (every pair within 8 hops, some pair at exactly 8)', () => {
    const d = hopDistance(18, OPENPOSE18.edges, 20).flat();
    expect(Math.max(...d)).toBe(8);
    expect(hopDistance(18, OPENPOSE18.edges, 7).flat().some((x) => x === Infinity)).toBe(true);
  });

  it('coco17 is connected', () => {
    expect(hopDistance(17, COCO17.edges, 17).flat().every(Number.isFinite)).toBe(true);
  });

  it('normalises columns and leaves empty columns zero', () => {
    expect(normalizeDigraph([[1, 1, 0], [0, 1, 0], [0, 2, 0]])).toEqual([[1, 0.25, 0], [0, 0.25, 0], [0, 0.5, 0]]);
  });
});

describe('SkeletonGraph', () => {
  it('STG-NF graph: openpose18, uniform, maxHop 8 is ones(1,18,18)/18', () => {
    const g = new SkeletonGraph('openpose18', { strategy: 'uniform', maxHop: 8 });
    expect(g.shape).toEqual([1, 18, 18]);
    expect(g.data.length).toBe(324);
    const v = Math.fround(1 / 18);
    expect(g.data.every((x) => x === v)).toBe(true);
    // ST-GCN's name for the layout is accepted too.
    expect(new SkeletonGraph('openpose', { maxHop: 8 }).data).toEqual(g.data);
  });

  it('openpose18 with maxHop 7 is not uniform', () => {
    const g = buildAdjacency(OPENPOSE18, { strategy: 'uniform', maxHop: 7 });
    expect(new Set(g.data).size).toBeGreaterThan(1);
    expect(g.data.some((x) => x === 0)).toBe(true);
  });

  // 3-node chain 0–1–2, centre 0, maxHop 1. Adjacency within 1 hop (self-links included):
  // [[1,1,0],[1,1,1],[0,1,1]], column sums [2,3,2], so N = A·D⁻¹ = [[1/2,1/3,0],[1/2,1/3,1/2],[0,1/3,1/2]].
  const N3 = [[1 / 2, 1 / 3, 0], [1 / 2, 1 / 3, 1 / 2], [0, 1 / 3, 1 / 2]];

  it('uniform on a 3-chain is N', () => {
    expectMatrices(new SkeletonGraph(chain(3), { strategy: 'uniform', maxHop: 1 }).toArray(), [N3]);
  });

  it('distance on a 3-chain splits N by hop', () => {
    const g = new SkeletonGraph(chain(3), { strategy: 'distance', maxHop: 1 });
    expectMatrices(g.toArray(), [
      [[1 / 2, 0, 0], [0, 1 / 3, 0], [0, 0, 1 / 2]],
      [[0, 1 / 3, 0], [1 / 2, 0, 1 / 2], [0, 1 / 3, 0]],
    ]);
  });

  it('distance on a 3-chain with maxHop 2: all pairs, N = ones/3', () => {
    const t = 1 / 3;
    expectMatrices(new SkeletonGraph(chain(3), { strategy: 'distance', maxHop: 2 }).toArray(), [
      [[t, 0, 0], [0, t, 0], [0, 0, t]],
      [[0, t, 0], [t, 0, t], [0, t, 0]],
      [[0, 0, t], [0, 0, 0], [t, 0, 0]],
    ]);
  });

  it('dilation keeps only hops 0, 2, ...', () => {
    // hops {0, 2}: adjacency [[1,0,1],[0,1,0],[1,0,1]], column sums [2,1,2].
    expectMatrices(new SkeletonGraph(chain(3), { strategy: 'distance', maxHop: 2, dilation: 2 }).toArray(), [
      [[1 / 2, 0, 0], [0, 1, 0], [0, 0, 1 / 2]],
      [[0, 0, 1 / 2], [0, 0, 0], [1 / 2, 0, 0]],
    ]);
  });

  it('spatial on a 3-chain (centre 0): root, root+close, further', () => {
    // Centre distances dc = [0, 1, ∞] (2 is beyond maxHop). Pair (j, i) at hop 1 goes to close when
    // dc[j] > dc[i]: (1,0) and (2,1); to further when dc[j] < dc[i]: (0,1) and (1,2).
    const g = new SkeletonGraph(chain(3), { strategy: 'spatial', maxHop: 1 });
    expect(g.shape).toEqual([3, 3, 3]);
    expectMatrices(g.toArray(), [
      [[1 / 2, 0, 0], [0, 1 / 3, 0], [0, 0, 1 / 2]],
      [[0, 0, 0], [1 / 2, 0, 0], [0, 1 / 3, 0]],
      [[0, 1 / 3, 0], [0, 0, 1 / 2], [0, 0, 0]],
    ]);
  });

  it('spatial on a 4-chain reproduces ST-GCN: joints both beyond maxHop from the centre are "root"', () => {
    // N: column sums [2,3,3,2]. dc = [0, 1, ∞, ∞]; (2,3) and (3,2) compare ∞ === ∞ → root.
    const g = new SkeletonGraph(chain(4), { strategy: 'spatial', maxHop: 1 });
    expectMatrices(g.toArray(), [
      [[1 / 2, 0, 0, 0], [0, 1 / 3, 0, 0], [0, 0, 1 / 3, 0], [0, 0, 0, 1 / 2]],
      [[0, 0, 0, 0], [1 / 2, 0, 0, 0], [0, 1 / 3, 0, 1 / 2], [0, 0, 1 / 3, 0]],
      [[0, 1 / 3, 0, 0], [0, 0, 1 / 3, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    ]);
  });

  it('spatial partitions sum to the uniform matrix and have K = 2·maxHop + 1', () => {
    for (const maxHop of [1, 2, 3]) {
      const s = new SkeletonGraph('openpose18', { strategy: 'spatial', maxHop });
      const u = new SkeletonGraph('openpose18', { strategy: 'uniform', maxHop });
      expect(s.shape[0]).toBe(2 * maxHop + 1);
      const sum = u.A[0]!.map((row, i) => row.map((_, j) => s.A.reduce((acc, m) => acc + m[i]![j]!, 0)));
      expectMatrices([sum], u.A);
    }
  });

  it('float32 data matches the float64 matrices', () => {
    const g = new SkeletonGraph('coco17', { strategy: 'spatial', maxHop: 2 });
    const [k, v] = g.shape;
    for (let p = 0; p < k; p++) for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) {
      expect(g.data[(p * v + i) * v + j]).toBe(Math.fround(g.A[p]![i]![j]!));
    }
  });

  it('rejects bad options and layouts', () => {
    expect(() => new SkeletonGraph('openpose18', { maxHop: -1 })).toThrow(InputError);
    expect(() => new SkeletonGraph('openpose18', { dilation: 0 })).toThrow(InputError);
    expect(() => new SkeletonGraph('openpose18', { strategy: 'nope' as 'uniform' })).toThrow(InputError);
    expect(() => new SkeletonGraph('h36m' as 'coco17')).toThrow(InputError);
    expect(() => new SkeletonGraph({ ...chain(3), edges: [[0, 3]] })).toThrow(InputError);
    expect(() => new SkeletonGraph({ ...chain(3), center: 5 })).toThrow(InputError);
  });
});
