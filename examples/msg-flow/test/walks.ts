import { Rng } from '@skelflow/base';

/** Smooth synthetic walks `[n, 2, T, 18]`, per-joint sinusoids with two speeds (the MSG-Flow tests' data). */
export function walks(n: number, T: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const per = 2 * T * 18;
  const out = new Float32Array(n * per);
  for (let s = 0; s < n; s++) {
    const freq = s % 2 ? 0.3 : 0.8;
    for (let v = 0; v < 18; v++) {
      const ph = rng.uniform() * 6.28;
      for (let t = 0; t < T; t++) {
        out[s * per + t * 18 + v] = 0.4 * Math.sin(freq * t + ph) + 0.05 * rng.normal();
        out[s * per + (T + t) * 18 + v] = (v - 9) / 6 + 0.2 * Math.cos(freq * t + ph) + 0.05 * rng.normal();
      }
    }
  }
  return out;
}
