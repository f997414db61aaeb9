/**
 * `@skelflow/linalg`: dense float64 linear algebra in plain TypeScript, shared by the models that
 * need it outside tfjs (the PCA baseline's fit, MSG-Flow's context whitening). No dependencies.
 *
 * @packageDocumentation
 */
export { symmetricEigen, type SymmetricEigen } from './symmetric_eigen.js';
