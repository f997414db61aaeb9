export { SkelflowError, InputError, ShapeError, WeightsError, assertShape, isSkelflowError } from './errors.js';
export { Rng, defaultInitBound } from './random.js';
