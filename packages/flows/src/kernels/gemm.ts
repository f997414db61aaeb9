// A float64 matrix product for the vector kernels (concat-mlp, linear-lu): out = A·Bᵀ with both
// operands row-major and contiguous over the inner index, computed in 4×4 output tiles held in
// locals (8 loads per 16 multiply-adds instead of 2 per one), as core's float64 BatchMatMul.

/**
 * `out[oOff + r·cols + c] (+)= Σ_p A[aOff + r·k + p] · Bm[bOff + c·k + p]` for r < rows, c < cols;
 * accumulates into `out` when `accumulate`, else overwrites. Every output sums its k products in
 * order p = 0…k−1.
 */
export function gemmABt(
  A: Float64Array, aOff: number, rows: number, Bm: Float64Array, bOff: number, cols: number, k: number,
  out: Float64Array, oOff: number, accumulate: boolean,
): void {
  const r4 = rows - (rows % 4);
  const c4 = cols - (cols % 4);
  const put = (r: number, c: number, v: number): void => {
    const o = oOff + r * cols + c;
    out[o] = accumulate ? out[o]! + v : v;
  };
  for (let r = 0; r < r4; r += 4) {
    const a0 = aOff + r * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let c = 0; c < c4; c += 4) {
      const b0 = bOff + c * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!, x1 = A[a1 + p]!, x2 = A[a2 + p]!, x3 = A[a3 + p]!;
        const y0 = Bm[b0 + p]!, y1 = Bm[b1 + p]!, y2 = Bm[b2 + p]!, y3 = Bm[b3 + p]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      put(r, c, s00); put(r, c + 1, s01); put(r, c + 2, s02); put(r, c + 3, s03);
      put(r + 1, c, s10); put(r + 1, c + 1, s11); put(r + 1, c + 2, s12); put(r + 1, c + 3, s13);
      put(r + 2, c, s20); put(r + 2, c + 1, s21); put(r + 2, c + 2, s22); put(r + 2, c + 3, s23);
      put(r + 3, c, s30); put(r + 3, c + 1, s31); put(r + 3, c + 2, s32); put(r + 3, c + 3, s33);
    }
  }
  // Edges: the rows and columns the 4×4 tiles left out.
  for (let r = 0; r < rows; r++) {
    const a = aOff + r * k;
    for (let c = r < r4 ? c4 : 0; c < cols; c++) {
      const b = bOff + c * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[a + p]! * Bm[b + p]!;
      put(r, c, s);
    }
  }
}

/** `dst[c·rows + r] = src[sOff + r·cols + c]`: the transpose of a row-major `[rows, cols]` block. */
export function transposeInto(src: Float64Array, sOff: number, rows: number, cols: number, dst: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const s = sOff + r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[s + c]!;
  }
}
