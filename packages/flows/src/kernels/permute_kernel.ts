import { registerLayerKernel, type LayerPlan } from '@skelflow/fused';

// The fused engine's kernel of channel permutations (ReverseChannels, ShuffleChannels).

/** A fixed or stored channel permutation as fused-engine plan data. */
export interface PermutePlan extends LayerPlan {
  kind: 'permute';
  channels: number;
  /** Fixed order `y[:, i] = x[:, perm[i]]` (channel reversal), used when `permBuffer` is −1. */
  perm: number[];
  /** Buffer offset of a stored order (ShuffleChannels), or −1. */
  permBuffer: number;
}

/** The order `y[:, c] = x[:, perm[c]]` of a permutation plan (read from its buffer when stored). */
export function permutation(L: PermutePlan, S: Float64Array): number[] {
  if (L.permBuffer < 0) return L.perm;
  const p: number[] = [];
  for (let c = 0; c < L.channels; c++) p.push(S[L.permBuffer + c]! | 0);
  return p;
}

function permuteForward(L: PermutePlan, S: Float64Array, x: Float64Array, y: Float64Array, B: number, N: number): void {
  const C = L.channels;
  const perm = permutation(L, S);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) y.set(x.subarray((b * C + perm[c]!) * N, (b * C + perm[c]! + 1) * N), (b * C + c) * N);
  }
}

function permuteBackward(L: PermutePlan, S: Float64Array, dy: Float64Array, dx: Float64Array, B: number, N: number): void {
  const C = L.channels;
  const perm = permutation(L, S);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) dx.set(dy.subarray((b * C + c) * N, (b * C + c + 1) * N), (b * C + perm[c]!) * N);
  }
}

/** The registered layer kernel of `'permute'` plans; its eval path relabels channels instead of moving them. */
export const permuteKernel = registerLayerKernel<PermutePlan>({
  kind: 'permute',
  module: import.meta.url,
  forward(L, a) {
    permuteForward(L, a.S, a.x, a.y, a.B, a.dims.N);
  },
  backward(L, a) {
    permuteBackward(L, a.S, a.dy, a.dx, a.B, a.dims.N);
  },
  evalPrepare(L, _P, S) {
    return { perm: permutation(L, S), tmp: new Int32Array(L.channels) };
  },
  evalSample(L, prep, a) {
    const { perm, tmp } = prep as { perm: number[]; tmp: Int32Array };
    for (let c = 0; c < L.channels; c++) tmp[c] = a.off[perm[c]!]!;
    a.off.set(tmp);
    return 0;
  },
});
