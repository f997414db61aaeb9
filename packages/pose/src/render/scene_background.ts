import { InputError, Rng } from '@skelflow/base';

/**
 * A scene's procedural background: per channel, a base level plus a few oriented sinusoidal
 * gratings defined on the *whole frame* in source pixels, so that a person's crop shows the part
 * of the scene behind them (as a real RGB crop would) and two scenes look different everywhere.
 */
export interface SceneTexture {
  /** The scene id it was made for. */
  readonly scene: string;
  /** Number of channels C. */
  readonly channels: number;
  /** Value of channel `c` at source pixel `(x, y)`, in [0, 1]. */
  valueAt(x: number, y: number, c: number): number;
}

const GRATINGS = 3;

/**
 * Makes the deterministic background of one scene: every number is drawn from
 * `new Rng(\`${seed}/scene-background/${scene}\`)`, so the same (seed, scene) gives the same
 * texture on every platform and different scenes (or seeds) give different ones.
 *
 * Per channel c: `base_c + Σ_k a_k·sin(2π(x·cos θ_k + y·sin θ_k)/λ_k + φ_k)`, base in
 * [0.25, 0.55], three gratings with amplitude in [0.04, 0.12], wavelength λ in [24, 240] px,
 * orientation and phase uniform; the sum stays inside [0, 1].
 *
 * @param scene scene id (the `SS` of a clip name `SS_CCCC`, see {@link sceneIdFromClipName})
 * @param channels C ≥ 1
 * @param seed any number or string; default 0
 *
 * @example
 * ```ts
 * const bg = sceneTexture('01', 3, 7);
 * bg.valueAt(100, 200, 0); // a number in [0, 1], the same on every run
 * ```
 */
export function sceneTexture(scene: string, channels: number, seed: number | string = 0): SceneTexture {
  if (!(Number.isInteger(channels) && channels >= 1)) {
    throw new InputError(`channels must be a positive integer, got ${channels}`, { source: 'sceneTexture' });
  }
  const rng = new Rng(`${seed}/scene-background/${scene}`);
  const base = new Float64Array(channels);
  // Per channel and grating: kx, ky (2π·direction/λ), phase, amplitude.
  const g = new Float64Array(channels * GRATINGS * 4);
  for (let c = 0; c < channels; c++) {
    base[c] = 0.25 + 0.3 * rng.uniform();
    for (let k = 0; k < GRATINGS; k++) {
      const theta = Math.PI * rng.uniform();
      const lambda = 24 + 216 * rng.uniform();
      const o = (c * GRATINGS + k) * 4;
      g[o] = (2 * Math.PI * Math.cos(theta)) / lambda;
      g[o + 1] = (2 * Math.PI * Math.sin(theta)) / lambda;
      g[o + 2] = 2 * Math.PI * rng.uniform();
      g[o + 3] = 0.04 + 0.08 * rng.uniform();
    }
  }
  return {
    scene,
    channels,
    valueAt(x: number, y: number, c: number): number {
      let v = base[c];
      for (let k = 0, o = c * GRATINGS * 4; k < GRATINGS; k++, o += 4) v += g[o + 3] * Math.sin(g[o] * x + g[o + 1] * y + g[o + 2]);
      return v;
    },
  };
}

/**
 * The scene id of a clip: the `SS` of a ShanghaiTech-style name `SS_CCCC` (digits, underscore,
 * digits — the demo dataset and the mocap builder name clips this way).
 *
 * @throws InputError when the name has no such prefix (give the scene explicitly instead)
 *
 * @example
 * ```ts
 * sceneIdFromClipName('02_0014'); // '02'
 * ```
 */
export function sceneIdFromClipName(name: string): string {
  const m = /^(\d+)_\d+$/.exec(name);
  if (m === null) {
    throw new InputError(`clip name ${JSON.stringify(name)} has no scene prefix SS_CCCC; pass the scene explicitly (sceneOf)`, {
      source: 'sceneIdFromClipName',
      location: `clip ${name}`,
    });
  }
  return m[1];
}
