/** Eigen-decomposition of a real symmetric matrix, eigenvalues in descending order. */
export interface SymmetricEigen {
  /** Eigenvalues λ₀ ≥ λ₁ ≥ … (length n). */
  values: Float64Array;
  /** Eigenvectors as rows: vector i is `vectors.subarray(i·n, (i+1)·n)`, unit length. */
  vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of a real symmetric `n × n` matrix (row-major; only its values
 * are read, it is not modified): Householder reduction to tridiagonal form followed by the
 * implicit QL algorithm, as EISPACK's `tred2`/`tql2` (via JAMA). Deterministic, float64, O(n³).
 * The sign of each eigenvector is fixed so that its largest-magnitude entry is positive.
 *
 * References: Wilkinson & Reinsch, Handbook for Automatic Computation II (1971); JAMA
 * `EigenvalueDecomposition` (public domain).
 *
 * @example
 * ```ts
 * symmetricEigen(Float64Array.of(2, 1, 1, 2), 2).values; // [3, 1]
 * ```
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n * n} values, got ${a.length}`);
  const V: Float64Array[] = [];
  for (let i = 0; i < n; i++) V.push(Float64Array.from(a.subarray(i * n, (i + 1) * n)));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 1) return { values: Float64Array.of(a[0]!), vectors: Float64Array.of(1) };
  // A is symmetric, so its rows are also the rows of Vᵀ, which tred2 works on.
  tred2(V, d, e, n);
  const W = V;
  tql2(W, d, e, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y]! - d[x]! || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, i) => {
    values[i] = d[src]!;
    const v = W[src]!;
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(v[k]!) > Math.abs(v[big]!)) big = k;
    const sign = v[big]! < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[i * n + k] = sign * v[k]!;
  });
  return { values, vectors };
}

/**
 * Householder tridiagonalisation (EISPACK tred2 via JAMA) on the transpose T = Vᵀ of JAMA's V, so
 * the O(n³) loops run along contiguous rows; on return T's rows are the transformation's columns.
 */
function tred2(T: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = T[j]![n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = T[j]![i - 1]!;
        T[j]![i] = 0;
        T[i]![j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        T[i]![j] = f;
        g = e[j]! + T[j]![j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += T[j]![k]! * d[k]!;
          e[k] = e[k]! + T[j]![k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) T[j]![k] = T[j]![k]! - (f * e[k]! + g * d[k]!);
        d[j] = T[j]![i - 1]!;
        T[j]![i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    T[i]![n - 1] = T[i]![i]!;
    T[i]![i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = T[i + 1]![k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += T[i + 1]![k]! * T[j]![k]!;
        for (let k = 0; k <= i; k++) T[j]![k] = T[j]![k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) T[i + 1]![k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = T[j]![n - 1]!;
    T[j]![n - 1] = 0;
  }
  T[n - 1]![n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e); W holds the eigenvectors as rows (the transpose of JAMA's V). */
function tql2(W: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error('symmetricEigen: no convergence');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const wi = W[i]!;
          const wi1 = W[i + 1]!;
          for (let k = 0; k < n; k++) {
            const t = wi1[k]!;
            wi1[k] = s * wi[k]! + c * t;
            wi[k] = c * wi[k]! - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
