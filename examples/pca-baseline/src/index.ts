// @skelflow/pca-gaussian: the density baseline. Browser-clean; save/load on disk need './node'.
export { fitPpca, ppcaLogDensity, type PpcaOptions, type PpcaParams } from './ppca.js';
export { PCA_GAUSSIAN_KIND, type PcaGaussianConfig } from './config.js';
export { PcaGaussianModel } from './model.js';
export { pcaGaussianFamily } from './family.js';
