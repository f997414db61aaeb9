export { SkelflowError, InputError, ShapeError, WeightsError, assertShape, TrainingDivergedError, TrainingInterruptedError, type TrainingPoint } from './errors.js';
export { Rng, type RngState, defaultInitBound } from './random.js';
