import { describe, expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { symmetricEigen } from '@skelflow/linalg';

/** A random orthogonal n × n matrix (rows), by Gram–Schmidt on seeded normals. */
function orthogonal(n: number, rng: Rng): Float64Array[] {
  const q: Float64Array[] = [];
  while (q.length < n) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (const u of q) {
      let d = 0;
      for (let i = 0; i < n; i++) d += u[i]! * v[i]!;
      for (let i = 0; i < n; i++) v[i] = v[i]! - d * u[i]!;
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  return q;
}

describe('symmetricEigen', () => {
  it('recovers the eigenvalues and eigenvectors of a matrix built from them', () => {
    const n = 7;
    const lambdas = [9, 5, 4, 2.5, 1, 0.25, -0.5];
    const q = orthogonal(n, new Rng(3));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] = a[i * n + j]! + q[k]![i]! * lambdas[k]! * q[k]![j]!;
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 0; k < n; k++) expect(values[k]).toBeCloseTo(lambdas[k]!, 12);
    for (let k = 0; k < n; k++) {
      // A v = λ v and v = ±q_k.
      let dot = 0;
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[k * n + j]!;
        expect(av).toBeCloseTo(lambdas[k]! * vectors[k * n + i]!, 11);
        dot += vectors[k * n + i]! * q[k]![i]!;
      }
      expect(Math.abs(dot)).toBeCloseTo(1, 12);
    }
    const two = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2).values;
    expect(two[0]).toBeCloseTo(3, 14);
    expect(two[1]).toBeCloseTo(1, 14);
  });

  it('decomposes a larger random symmetric matrix (reconstruction to 1e-10)', () => {
    const n = 60;
    const rng = new Rng(9);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[k * n + i]! * values[k]! * vectors[k * n + j]!;
        worst = Math.max(worst, Math.abs(s - a[i * n + j]!));
      }
    }
    expect(worst).toBeLessThan(1e-10);
    for (let k = 1; k < n; k++) expect(values[k]!).toBeLessThanOrEqual(values[k - 1]!);
  });
});
