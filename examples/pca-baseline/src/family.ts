import { InputError } from '@skelflow/base';
import { nodeHook, poseSegmentFamily, recipeFlags, recipeSegments, type FlagSpec, type ModelFamily, type TrainData, type TrainOptions, type TrainResult } from '@skelflow/model';
import { PCA_GAUSSIAN_KIND, type PcaGaussianConfig } from './config.js';
import { PcaGaussianModel } from './model.js';
import { fitPpca } from './ppca.js';
import type { readPcaGaussian } from './persist.js';

/**
 * STG-NF's segmentation (24 frames, stride 6, horizontal flips) so the two are compared on the
 * same segments; one closed-form "epoch"; 95 % of the variance, at most 64 components.
 */
const RECIPE: PcaGaussianConfig = { segLen: 24, trainStride: 6, flipHorizontal: true, epochs: 1, batchSize: 4096, lr: 0, seed: 0, variance: 0.95, maxComponents: 64, components: 0 };

const FLAGS: readonly FlagSpec[] = [
  ...recipeFlags(RECIPE, ['seg-len']),
  ...recipeFlags(RECIPE, ['dims', 'layout', 'normalization']),
  { name: 'variance', type: 'number', default: RECIPE.variance, help: 'keep the fewest components explaining this fraction of the variance (0, 1]' },
  { name: 'max-components', type: 'int', default: RECIPE.maxComponents, help: 'at most this many components' },
  { name: 'components', type: 'int', default: RECIPE.components, min: 0, help: 'a fixed number of components (0: choose by --variance)' },
];

async function train(
  target: PcaGaussianModel | PcaGaussianConfig,
  data: TrainData,
  options: TrainOptions<PcaGaussianConfig> = {},
): Promise<TrainResult<PcaGaussianModel>> {
  const config: PcaGaussianConfig = { ...RECIPE, ...(target instanceof PcaGaussianModel ? target.config : target), ...options.config };
  const model = target instanceof PcaGaussianModel ? target : new PcaGaussianModel(config);
  if (config.variance > 1) throw new InputError(`variance must be in (0, 1], got ${config.variance}`, { source: 'pca-gaussian', location: 'variance' });
  const dim = model.input.channels * model.input.segLen * model.input.joints;
  const n = data.segments.length / dim;
  if (!Number.isInteger(n) || n < 2) throw new InputError(`training data must hold at least 2 segments of ${dim} values`, { source: 'pca-gaussian.train' });
  if (data.labels?.some((l) => l < 0)) throw new InputError('pca-gaussian is unsupervised: train it on normal segments only', { source: 'pca-gaussian.train' });
  options.onProgress?.({ done: 0, total: 2, message: 'covariance and eigen-decomposition' });
  const params = fitPpca(data.segments, n, dim, { variance: config.variance, maxComponents: config.maxComponents, components: config.components });
  model.setParams(params);
  // The "loss": mean negative log-density per dimension (nats) on the training segments.
  const logp = model.scoreSegments(data.segments);
  const loss = -logp.reduce((a, v) => a + v, 0) / n / dim;
  options.onProgress?.({ done: 2, total: 2, epoch: 0, loss, message: `k = ${params.k}, ${(100 * params.explained).toFixed(1)} % of the variance` });
  return { model, history: [loss], nSegments: n };
}

/**
 * The PCA-Gaussian density baseline as a {@link ModelFamily}: probabilistic PCA on STG-NF's
 * normalised segments, score = log-density. Unsupervised, closed form, no tfjs, deterministic.
 *
 * References: Tipping & Bishop, "Probabilistic Principal Component Analysis", JRSS-B 1999.
 *
 * @example
 * ```ts
 * registry.register(pcaGaussianFamily);
 * const config = pcaGaussianFamily.configure({ variance: 0.99 });
 * const { model } = await pcaGaussianFamily.train(config, pcaGaussianFamily.trainingData({ normal: { clips, source: 'train' } }, config));
 * ```
 */
export const pcaGaussianFamily: ModelFamily<PcaGaussianModel, PcaGaussianConfig> = {
  kind: PCA_GAUSSIAN_KIND,
  summary: 'density baseline: probabilistic PCA (Gaussian in PCA space + isotropic residual) on normalised segments; score = log-density',
  ...poseSegmentFamily(RECIPE, FLAGS),
  create: (config) => new PcaGaussianModel(config),
  trainingData: (set, config, onWarning) => {
    if (set.folders && Object.keys(set.folders).length > 0) throw new InputError('pca-gaussian is unsupervised and takes no abnormal poses', { source: 'pca-gaussian' });
    return { segments: recipeSegments(set.normal.clips, config, set.normal.source, onWarning) };
  },
  train,
  load: async (location) => {
    const read = nodeHook<typeof readPcaGaussian>('pca-gaussian:load', '@skelflow/pca-gaussian/node');
    const { config, params } = await read(location);
    return new PcaGaussianModel(config, params);
  },
};
