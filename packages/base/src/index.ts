export { SkelflowError, InputError, ShapeError, WeightsError, assertShape } from './errors.js';
export { Rng, defaultInitBound } from './random.js';
