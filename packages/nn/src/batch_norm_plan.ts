import type { BatchNorm } from './batch_norm.js';
import type { BatchNormPlan, FusedPlanContext } from '@skelflow/core';

/** The fused engine's description of a {@link BatchNorm}. */
export function batchNormPlan(bn: BatchNorm, ctx: FusedPlanContext): BatchNormPlan {
  return {
    channels: bn.channels,
    weight: bn.weight ? ctx.param(bn.weight) : -1,
    bias: bn.bias ? ctx.param(bn.bias) : -1,
    runningMean: ctx.buffer(bn.runningMean),
    runningVar: ctx.buffer(bn.runningVar),
    numBatchesTracked: ctx.buffer(bn.numBatchesTracked),
    eps: bn.eps,
    momentum: bn.momentum,
  };
}
