import type { Recipe } from '@skelflow/model';

/** The registered kind. */
export const PCA_GAUSSIAN_KIND = 'pca-gaussian';

/** Config of the baseline: the training recipe plus the rule for the number of components. */
export interface PcaGaussianConfig extends Recipe {
  /** Keep the fewest components explaining this fraction of the variance (default 0.95). */
  variance: number;
  /** Upper bound on the components kept (default 64). */
  maxComponents: number;
  /** A fixed number of components; 0 = choose by `variance` (default). */
  components: number;
}
