/**
 * `@skelflow/hyperbolic` — Poincaré-ball geometry and HGCN-style layers for TensorFlow.js.
 *
 * @packageDocumentation
 */
export * from './poincare_ball.js';
export * from './hyperbolic_linear.js';
