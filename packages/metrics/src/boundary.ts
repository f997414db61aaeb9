// Internal: SciPy ndimage boundary modes, as an index mapping. SciPy fills its line buffer
// by copying from the line and then from what it already copied, which for every mode is
// the periodic extension below; writing it as a mapping makes inputs shorter than the
// filter radius (where the pattern repeats several times) fall out for free.
import { MetricsInputError } from './errors';

/** Boundary handling of the filters, with SciPy `ndimage` names and semantics. */
export type BoundaryMode = 'reflect' | 'mirror' | 'nearest' | 'wrap' | 'constant';

const MODES: readonly BoundaryMode[] = ['reflect', 'mirror', 'nearest', 'wrap', 'constant'];

export function checkMode(mode: unknown, source: string): BoundaryMode {
  if (!MODES.includes(mode as BoundaryMode)) {
    throw new MetricsInputError(source, undefined, `unknown boundary mode ${String(mode)} (expected ${MODES.join(', ')})`);
  }
  return mode as BoundaryMode;
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}

/**
 * Index into a line of length n for a position j that may lie outside [0, n), or -1 for
 * 'constant' (meaning: use cval).
 */
function extendIndex(j: number, n: number, mode: BoundaryMode): number {
  if (j >= 0 && j < n) return j;
  switch (mode) {
    case 'reflect': {
      // d c b a | a b c d | d c b a  (half-sample symmetric, period 2n)
      const m = mod(j, 2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
    case 'mirror': {
      // d c b | a b c d | c b a  (whole-sample symmetric, period 2n - 2); SciPy treats a
      // one-sample line as 'nearest'.
      if (n === 1) return 0;
      const m = mod(j, 2 * n - 2);
      return m < n ? m : 2 * n - 2 - m;
    }
    case 'nearest':
      return j < 0 ? 0 : n - 1;
    case 'wrap':
      return mod(j, n);
    case 'constant':
      return -1;
  }
}

/** The line with `before` samples prepended and `after` appended, extended per `mode`. */
export function padLine(
  x: ArrayLike<number>,
  before: number,
  after: number,
  mode: BoundaryMode,
  cval: number,
): Float64Array {
  const n = x.length;
  const out = new Float64Array(n + before + after);
  for (let p = 0; p < out.length; p++) {
    const idx = extendIndex(p - before, n, mode);
    out[p] = idx < 0 ? cval : x[idx];
  }
  return out;
}
