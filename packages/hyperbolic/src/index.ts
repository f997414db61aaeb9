/**
 * `@skelflow/hyperbolic` — Poincaré-ball geometry and HGCN-style layers for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { ARTANH_CLAMP, MIN_NORM, PoincareBall, type PoincareBallOptions, PROJ_EPS_FLOAT32, TANH_CLAMP } from './poincare_ball.js';
export { hyperbolicActivation, hyperbolicAggregate, HyperbolicLinear, type HyperbolicLinearOptions } from './hyperbolic_linear.js';
export { HyperbolicActivation, tangentActivationFn, type TangentActivation } from './hyperbolic_activation.js';
export { HgcnLayer, type HgcnLayerOptions, meanAdjacency } from './hgcn_layer.js';
export { hgcnChainTangent, hgcnChainTangentReference } from './hgcn_chain_kernel.js';
