import { InputError } from '@skelflow/base';
import { getSkeleton, type LayoutName, type Skeleton } from '@skelflow/pose';

/**
 * ST-GCN's partition strategies of a joint's neighbourhood, each giving a stack of K matrices:
 * `uniform` (K = 1), `distance` (one per hop 0..maxHop, K = maxHop + 1), `spatial`
 * (root / centripetal / centrifugal, K = 2·maxHop + 1 for dilation 1).
 */
export type PartitionStrategy = 'uniform' | 'distance' | 'spatial';

/** A `[K, V, V]` stack of partition adjacency matrices, row-major float32 — what GraphConv takes. */
export interface Adjacency {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

/** Options of {@link SkeletonGraph} / {@link buildAdjacency}. */
export interface AdjacencyOptions {
  /** Partition strategy; default `'uniform'` (ST-GCN `Graph`'s default). */
  strategy?: PartitionStrategy;
  /**
   * Largest hop distance treated as a neighbour; default 1 (ST-GCN's). STG-NF passes 8
   * (`--max_hops`), which on openpose18 connects every pair of joints.
   */
  maxHop?: number;
  /** Step between the hops kept (`range(0, maxHop + 1, dilation)`); default 1. */
  dilation?: number;
}

/**
 * Hop distance between every pair of nodes, as ST-GCN's `get_hop_distance` computes it: node j is
 * at distance d from i when d is the smallest power with `(I + E)^d[i, j] > 0` (E the symmetric
 * edge matrix, I the self-links). Pairs farther apart than `maxHop` get `Infinity` — not their true
 * distance — and the spatial partition depends on that (see {@link SkeletonGraph}).
 *
 * Powers are taken as boolean products: only positivity matters, and integer walk counts would
 * overflow on large graphs or hop counts.
 *
 * References: Yan et al., ST-GCN, AAAI 2018 (`net/utils/graph.py`).
 *
 * @param numNodes - number of nodes V.
 * @param edges - undirected edges as index pairs; self-links are added here.
 * @param maxHop - largest distance resolved.
 * @returns V×V distances in 0..maxHop or `Infinity`.
 * @example
 * ```ts
 * hopDistance(3, [[0, 1], [1, 2]], 1); // [[0, 1, Infinity], [1, 0, 1], [Infinity, 1, 0]]
 * ```
 */
export function hopDistance(numNodes: number, edges: readonly (readonly [number, number])[], maxHop: number): number[][] {
  const v = numNodes;
  const step: boolean[][] = Array.from({ length: v }, (_, i) => Array.from({ length: v }, (_, j) => i === j));
  for (const [i, j] of edges) {
    step[i]![j] = true;
    step[j]![i] = true;
  }
  const dist: number[][] = Array.from({ length: v }, (_, i) => Array.from({ length: v }, (_, j) => (i === j ? 0 : Infinity)));
  let reach = step.map((r, i) => r.map((_, j) => i === j)); // (I + E)^0 = I
  for (let d = 1; d <= maxHop; d++) {
    const next = reach.map((row) => {
      const out = new Array<boolean>(v).fill(false);
      for (let k = 0; k < v; k++) {
        if (!row[k]) continue;
        const sk = step[k]!;
        for (let j = 0; j < v; j++) if (sk[j]) out[j] = true;
      }
      return out;
    });
    for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) if (next[i]![j] && dist[i]![j] === Infinity) dist[i]![j] = d;
    reach = next;
  }
  return dist;
}

/**
 * Column-normalises a directed adjacency, `A · D⁻¹` with `D = diag(Σ_i A[i, j])`, so each output
 * node of the graph product averages over its neighbours. All-zero columns stay zero (ST-GCN's
 * `normalize_digraph`) instead of dividing by zero.
 *
 * References: Yan et al., ST-GCN, AAAI 2018.
 *
 * @param a - a square matrix.
 * @returns a new normalised matrix.
 * @example
 * ```ts
 * normalizeDigraph([[1, 1], [0, 1]]); // [[1, 0.5], [0, 0.5]]
 * ```
 */
export function normalizeDigraph(a: readonly (readonly number[])[]): number[][] {
  const v = a.length;
  const col = new Array<number>(v).fill(0);
  for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) col[j]! += a[i]![j]!;
  return a.map((row) => row.map((x, j) => (col[j]! > 0 ? x / col[j]! : 0)));
}

/**
 * A skeleton's partitioned adjacency `A` `[K, V, V]`, built exactly as ST-GCN's (and STG-NF's)
 * `Graph` class: hop distances by matrix powers, one normalised adjacency over all pairs within
 * `maxHop`, then split by the strategy. `A[k][v][w]` weighs input joint v into output joint w
 * (`einsum('nkctv,kvw->nctw')`).
 *
 * Spatial strategy, as the original does it: for each hop h, a pair (j, i) at distance h goes to
 * "root" when j and i are equally far from the centre, "close" when j is farther, "further"
 * otherwise; hop 0 contributes `root`, every other hop `root + close` and `further`. Centre
 * distances are the *capped* hop distances, so two joints both beyond `maxHop` from the centre
 * compare `Infinity === Infinity` and land in root. This is the original's behaviour and kept
 * on purpose: released weights were trained with it.
 *
 * Arithmetic is float64 and the result is rounded once to float32, matching numpy's float64
 * `Graph.A` cast with `torch.tensor(..., dtype=float32)`.
 *
 * References: Yan et al., ST-GCN, AAAI 2018 (`net/utils/graph.py`); Hirschorn & Avidan, STG-NF,
 * ICCV 2023 (`models/STG_NF/graph.py`).
 *
 * @param layout - a layout name or a {@link Skeleton}.
 * @param options - {@link AdjacencyOptions}.
 * @example
 * ```ts
 * const g = new SkeletonGraph('openpose18', { strategy: 'uniform', maxHop: 8 });
 * g.shape; // [1, 18, 18], every entry 1/18
 * new GraphConv(1, 2, g, { seed: 0 });
 * ```
 */
export class SkeletonGraph implements Adjacency {
  readonly skeleton: Skeleton;
  readonly strategy: PartitionStrategy;
  readonly maxHop: number;
  readonly dilation: number;
  readonly numNodes: number;
  readonly center: number;
  /** Hop distances, `Infinity` beyond `maxHop` ({@link hopDistance}). */
  readonly hopDis: number[][];
  /** The partitions in float64, `[K][V][V]`. */
  readonly A: number[][][];
  /** The partitions in float32, row-major `[K, V, V]`. */
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];

  constructor(layout: LayoutName | 'openpose' | Skeleton, options: AdjacencyOptions = {}) {
    this.skeleton = getSkeleton(layout);
    this.strategy = options.strategy ?? 'uniform';
    this.maxHop = options.maxHop ?? 1;
    this.dilation = options.dilation ?? 1;
    if (!Number.isInteger(this.maxHop) || this.maxHop < 0) {
      throw new InputError(`maxHop must be a non-negative integer, got ${this.maxHop}`, { source: 'SkeletonGraph' });
    }
    if (!Number.isInteger(this.dilation) || this.dilation < 1) {
      throw new InputError(`dilation must be a positive integer, got ${this.dilation}`, { source: 'SkeletonGraph' });
    }
    this.numNodes = this.skeleton.jointNames.length;
    this.center = this.skeleton.center;
    this.hopDis = hopDistance(this.numNodes, this.skeleton.edges, this.maxHop);
    this.A = this.partition();
    const v = this.numNodes;
    this.shape = [this.A.length, v, v];
    this.data = new Float32Array(this.A.length * v * v);
    this.A.forEach((m, k) => m.forEach((row, i) => row.forEach((x, j) => (this.data[(k * v + i) * v + j] = x))));
  }

  /** The partitions as nested arrays (float64 values), `[K][V][V]`. */
  toArray(): number[][][] {
    return this.A.map((m) => m.map((r) => r.slice()));
  }

  private partition(): number[][][] {
    const v = this.numNodes;
    const hd = this.hopDis;
    const hops: number[] = [];
    for (let h = 0; h <= this.maxHop; h += this.dilation) hops.push(h);
    const zeros = () => Array.from({ length: v }, () => new Array<number>(v).fill(0));
    const adjacency = zeros();
    for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) if (hops.includes(hd[i]![j]!)) adjacency[i]![j] = 1;
    const norm = normalizeDigraph(adjacency);

    switch (this.strategy) {
      case 'uniform':
        return [norm];
      case 'distance':
        return hops.map((h) => norm.map((row, i) => row.map((x, j) => (hd[i]![j] === h ? x : 0))));
      case 'spatial': {
        const c = this.center;
        const out: number[][][] = [];
        for (const h of hops) {
          const root = zeros();
          const close = zeros();
          const further = zeros();
          for (let i = 0; i < v; i++) {
            for (let j = 0; j < v; j++) {
              if (hd[j]![i] !== h) continue;
              const dj = hd[j]![c]!;
              const di = hd[i]![c]!;
              if (dj === di) root[j]![i] = norm[j]![i]!;
              else if (dj > di) close[j]![i] = norm[j]![i]!;
              else further[j]![i] = norm[j]![i]!;
            }
          }
          if (h === 0) out.push(root);
          else {
            out.push(root.map((row, j) => row.map((x, i) => x + close[j]![i]!)));
            out.push(further);
          }
        }
        return out;
      }
      default:
        throw new InputError(`unknown strategy '${String(this.strategy)}' (uniform, distance, spatial)`, { source: 'SkeletonGraph' });
    }
  }
}

/**
 * Shorthand for `new SkeletonGraph(layout, options)`.
 *
 * References: Yan et al., ST-GCN, AAAI 2018; Hirschorn & Avidan, STG-NF, ICCV 2023.
 *
 * @param layout - a layout name or a {@link Skeleton}.
 * @param options - {@link AdjacencyOptions}.
 * @example
 * ```ts
 * const A = buildAdjacency('openpose18', { strategy: 'spatial', maxHop: 1 }); // shape [3, 18, 18]
 * ```
 */
export function buildAdjacency(layout: LayoutName | 'openpose' | Skeleton, options: AdjacencyOptions = {}): SkeletonGraph {
  return new SkeletonGraph(layout, options);
}
