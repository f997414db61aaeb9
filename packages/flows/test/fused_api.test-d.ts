import type { FlowPlan, FusableConditioner, FusedPlanContext } from '@skelflow/core';
import { describe, expectTypeOf, it } from 'vitest';
import { FusedAdamax, FusedFlow, clipGradNormInPlace, compileFlow, type CompileResult, type FusedLogProbOptions, type NormalizingFlow } from '../src/index.js';

describe('public API of the fused engine', () => {
  it('compiles a flow or says why not', () => {
    expectTypeOf(FusedFlow.tryCreate).parameters.toEqualTypeOf<[NormalizingFlow, readonly number[]]>();
    expectTypeOf(FusedFlow.tryCreate).returns.toEqualTypeOf<FusedFlow | { reason: string }>();
    expectTypeOf(compileFlow).returns.toEqualTypeOf<CompileResult>();
    expectTypeOf<FusableConditioner['fusedPlan']>().toEqualTypeOf<(ctx: FusedPlanContext) => import('@skelflow/core').ConditionerPlan | null>();
  });

  it('scores float32 segments and trains on flat vectors', () => {
    expectTypeOf<FusedFlow['logProb']>().toEqualTypeOf<(x: Float32Array, options?: FusedLogProbOptions) => Float64Array>();
    expectTypeOf<FusedFlow['nllBitsPerDim']>().returns.toEqualTypeOf<Float64Array>();
    expectTypeOf<FusedFlow['lossAndGrad']>().toEqualTypeOf<(x: Float32Array | Float64Array, labels?: ArrayLike<number>) => number>();
    expectTypeOf<FusedFlow['params']>().toEqualTypeOf<Float64Array>();
    expectTypeOf<FusedFlow['grads']>().toEqualTypeOf<Float64Array>();
    expectTypeOf<FusedFlow['plan']>().toEqualTypeOf<FlowPlan>();
    expectTypeOf<FusedLogProbOptions>().toEqualTypeOf<{ threads?: number; minPerThread?: number }>();
    expectTypeOf<FusedAdamax['step']>().toEqualTypeOf<(params: Float64Array, grads: Float64Array) => void>();
    expectTypeOf(clipGradNormInPlace).toEqualTypeOf<(grads: Float64Array, maxNorm: number) => number>();
  });
});
