import type { ConditionerPlan, FlowPlan, Fusable, FusableFlow, FusedPlanContext, PlanNode } from '@skelflow/fused';
import { FusedAdamax, clipGradNormInPlace } from '@skelflow/core';
import { FusedFlow, compileFlow, type CompileOptions, type CompileResult, type FusedLogProbOptions } from '@skelflow/fused';
import { describe, expectTypeOf, it } from 'vitest';
import { AffineCoupling, ActNorm, Chain, ClassConditionalGaussianPrior, NormalizingFlow, type ActNormPlan, type AffineCouplingPlan } from '../src/index.js';

// The locked public API of the fused engine (now @skelflow/fused) as the flows use it.
describe('public API of the fused engine', () => {
  it('compiles a flow or says why not', () => {
    expectTypeOf(FusedFlow.tryCreate).parameters.toEqualTypeOf<[FusableFlow, readonly number[], CompileOptions?]>();
    expectTypeOf(FusedFlow.tryCreate).returns.toEqualTypeOf<FusedFlow | { reason: string }>();
    expectTypeOf(compileFlow).returns.toEqualTypeOf<CompileResult>();
    expectTypeOf<Fusable['fusedPlan']>().toEqualTypeOf<(ctx: FusedPlanContext) => PlanNode | PlanNode[] | null>();
    expectTypeOf<CompileOptions>().toEqualTypeOf<{ contextShape?: readonly number[] }>();
  });

  it('the flows describe themselves through the hook', () => {
    expectTypeOf<NormalizingFlow>().toMatchTypeOf<FusableFlow>();
    expectTypeOf<ActNorm>().toMatchTypeOf<Fusable>();
    expectTypeOf<Chain>().toMatchTypeOf<Fusable>();
    expectTypeOf<AffineCoupling>().toMatchTypeOf<Fusable>();
    expectTypeOf<ClassConditionalGaussianPrior>().toMatchTypeOf<Fusable>();
    expectTypeOf<ActNorm['fusedPlan']>().returns.toEqualTypeOf<ActNormPlan>();
    expectTypeOf<AffineCouplingPlan['net']>().toEqualTypeOf<ConditionerPlan>();
  });

  it('scores float32 segments and trains on flat vectors, with an optional context', () => {
    expectTypeOf<FusedFlow['logProb']>().toEqualTypeOf<(x: Float32Array, options?: FusedLogProbOptions) => Float64Array>();
    expectTypeOf<FusedFlow['nllBitsPerDim']>().returns.toEqualTypeOf<Float64Array>();
    expectTypeOf<FusedFlow['lossAndGrad']>().toEqualTypeOf<
      (x: Float32Array | Float64Array, labels?: ArrayLike<number>, context?: Float32Array | Float64Array) => number
    >();
    expectTypeOf<FusedFlow['params']>().toEqualTypeOf<Float64Array>();
    expectTypeOf<FusedFlow['grads']>().toEqualTypeOf<Float64Array>();
    expectTypeOf<FusedFlow['plan']>().toEqualTypeOf<FlowPlan>();
    expectTypeOf<FusedLogProbOptions>().toEqualTypeOf<{ threads?: number; minPerThread?: number; context?: Float32Array | Float64Array }>();
    expectTypeOf<FusedAdamax['step']>().toEqualTypeOf<(params: Float64Array, grads: Float64Array) => void>();
    expectTypeOf(clipGradNormInPlace).toEqualTypeOf<(grads: Float64Array, maxNorm: number) => number>();
  });
});
