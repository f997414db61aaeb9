export { SkelflowError, InputError, ShapeError, WeightsError, assertShape, isSkelflowError, TrainingDivergedError, TrainingInterruptedError, type TrainingPoint } from './errors.js';
export { Rng, type RngState, defaultInitBound } from './random.js';
export { type TrainingState } from './training_state.js';
export { jsonPreview } from './json_preview.js';
