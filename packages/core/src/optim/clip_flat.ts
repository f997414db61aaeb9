// The flat-array twin of clip.ts, for the fused engine's training loop.

/**
 * PyTorch's `clip_grad_norm_` on a flat gradient: if the global L2 norm exceeds `maxNorm`, scales
 * the gradient by `maxNorm/(norm + 1e-6)`. Returns the norm before clipping.
 */
export function clipGradNormInPlace(grads: Float64Array, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += grads[i]! * grads[i]!;
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * coef;
  return norm;
}
