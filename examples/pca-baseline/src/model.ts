import { InputError } from '@skelflow/base';
import { nodeHook, poseSegmentInput, type AnomalyModel, type InputSpec, type SaveOptions, type ScoreOptions } from '@skelflow/model';
import { PCA_GAUSSIAN_KIND, type PcaGaussianConfig } from './config.js';
import { ppcaLogDensity, type PpcaParams } from './ppca.js';
import type { writePcaGaussian } from './persist.js';

/**
 * The PCA-Gaussian baseline behind the {@link AnomalyModel} contract: flattens each normalised
 * `[2, T, 18]` segment and scores it by its log-density (nats) under a probabilistic PCA
 * Gaussian fitted to the normal training segments. Before training (or after `create`) it has
 * no parameters and refuses to score.
 */
export class PcaGaussianModel implements AnomalyModel {
  /** `pca-gaussian`. */
  readonly kind = PCA_GAUSSIAN_KIND;
  /** `[C, segLen, V]` pose segments: STG-NF's `[2, segLen, 18]` by default; 3-D and COCO-17 by `--dims`/`--layout`. */
  readonly input: InputSpec;
  private fitted: PpcaParams | null;

  constructor(
    /** The config the model was created with. */
    readonly config: PcaGaussianConfig,
    params: PpcaParams | null = null,
  ) {
    this.input = poseSegmentInput(config);
    this.fitted = null;
    if (params) this.setParams(params);
  }

  /** The fitted parameters, or null before training. */
  get params(): PpcaParams | null {
    return this.fitted;
  }

  /** Replaces the parameters (what training does). */
  setParams(params: PpcaParams): void {
    const d = this.input.channels * this.input.segLen * this.input.joints;
    if (params.dim !== d) throw new InputError(`parameters of dimension ${params.dim}; this model's segments have ${d} values`, { source: 'PcaGaussianModel' });
    this.fitted = params;
  }

  /** Log-density in nats of each segment; higher = more normal. `onProgress` is called once at the end. */
  scoreSegments(data: Float32Array, options: ScoreOptions = {}): Float64Array {
    if (!this.fitted) throw new InputError('the model is not trained', { source: 'PcaGaussianModel.scoreSegments' });
    const per = this.fitted.dim;
    if (data.length % per !== 0) {
      throw new InputError(`segment data of length ${data.length} is not a multiple of ${this.input.channels}·${this.input.segLen}·${this.input.joints}`, {
        source: 'PcaGaussianModel.scoreSegments',
      });
    }
    const n = data.length / per;
    const batch = Math.max(1, options.batchSize ?? n);
    const out = new Float64Array(n);
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      out.set(ppcaLogDensity(this.fitted, data.subarray(s * per, e * per)), s);
      options.onProgress?.(e, n);
    }
    return out;
  }

  /**
   * Saves `config.json` (kind, formatVersion, config, the fit's summary, `meta`) and
   * `params.bin` (float64 little-endian: mean `[D]`, eigenvalues `[k]`, components `[k, D]`). Node
   * only, after importing `@skelflow/pca-gaussian/node`.
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    if (!this.fitted) throw new InputError('the model is not trained; nothing to save', { source: 'PcaGaussianModel.save' });
    await nodeHook<typeof writePcaGaussian>('pca-gaussian:save', '@skelflow/pca-gaussian/node')(dir, this.config, this.fitted, options);
  }

  /** Nothing to free (plain typed arrays); the model stays usable. */
  dispose(): void {}
}
