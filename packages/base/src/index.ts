export { SkelflowError, InputError, ShapeError, WeightsError, assertShape, isSkelflowError } from './errors.js';
export { Rng, defaultInitBound } from './random.js';
export { jsonPreview } from './json_preview.js';
