export { type DsnfConfig, type DsnfLoss, resolveDsnfConfig, type ResolvedDsnfConfig } from './config.js';
export { createDsnf, Dsnf, type DsnfObjectiveOptions, type DsnfPerturbation, type DsnfScoreOptions } from './model.js';
export { trainDsnf, type TrainDsnfOptions } from './train.js';
export { DSNF_KIND, dsnfFromSavedFiles } from './files.js';
export { dsnfFamily, DsnfAnomalyModel, type DsnfFamilyConfig } from './family.js';
