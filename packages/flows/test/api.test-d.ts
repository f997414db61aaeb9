import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@skelflow/core';
import { describe, expectTypeOf, it } from 'vitest';
import { ActNorm, ConcatContextMlp, ConditionalAffineCoupling, ConditionalGlow, InvertibleLinearLU, type ConditionalGlowOptions, type GlowForwardResult, type GlowInverseResult, AdditiveCoupling, AffineCoupling, Chain, DiagonalGaussianPrior, ClassConditionalGaussianPrior, InvertibleConv1x1, InvertibleConv1x1LU, NormalizingFlow, ReverseChannels, ShuffleChannels, type AffineCouplingOptions, type Bijector, type BijectorModule, type Conditioner, type ConditionerModule, type FlowForwardResult, type FlowInputs, type ForwardResult, type InverseResult, type Prior, type PriorInputs, type PriorModule } from '../src/index.js';

describe('public API of @skelflow/flows', () => {
  it('keeps the bijector contracts', () => {
    expectTypeOf<Bijector['forward']>().parameters.toEqualTypeOf<[tf.Tensor, (tf.Tensor | undefined)?]>();
    expectTypeOf<Bijector['forward']>().returns.toEqualTypeOf<ForwardResult>();
    expectTypeOf<Bijector['inverse']>().returns.toEqualTypeOf<InverseResult>();
    expectTypeOf<ForwardResult>().toEqualTypeOf<{ y: tf.Tensor; logDet: tf.Tensor }>();
    expectTypeOf<InverseResult>().toEqualTypeOf<{ x: tf.Tensor; logDet: tf.Tensor }>();
    expectTypeOf<Conditioner['call']>().toEqualTypeOf<(x1: tf.Tensor, context?: tf.Tensor) => tf.Tensor>();
    expectTypeOf<Prior['logProb']>().toEqualTypeOf<(z: tf.Tensor, inputs?: PriorInputs) => tf.Tensor>();
    expectTypeOf<Prior['sample']>().parameters.toEqualTypeOf<[number, number | string, (PriorInputs | undefined)?]>();
    expectTypeOf<PriorInputs>().toEqualTypeOf<{ labels?: tf.Tensor; context?: tf.Tensor }>();
    expectTypeOf<BijectorModule>().toEqualTypeOf<Module & Bijector>();
    expectTypeOf<ConditionerModule>().toEqualTypeOf<Module & Conditioner>();
    expectTypeOf<PriorModule>().toEqualTypeOf<Module & Prior>();
  });

  it('makes every bijector a Module that implements Bijector', () => {
    expectTypeOf<Chain>().toExtend<BijectorModule>();
    expectTypeOf<ActNorm>().toExtend<BijectorModule>();
    expectTypeOf<ReverseChannels>().toExtend<BijectorModule>();
    expectTypeOf<ShuffleChannels>().toExtend<BijectorModule>();
    expectTypeOf<InvertibleConv1x1>().toExtend<BijectorModule>();
    expectTypeOf<InvertibleConv1x1LU>().toExtend<BijectorModule>();
    expectTypeOf<AffineCoupling>().toExtend<BijectorModule>();
    expectTypeOf<AdditiveCoupling>().toExtend<BijectorModule>();
    expectTypeOf<DiagonalGaussianPrior>().toExtend<PriorModule>();
    expectTypeOf<ClassConditionalGaussianPrior>().toExtend<PriorModule>();
    expectTypeOf<NormalizingFlow>().toExtend<Module>();
  });

  it('locks the constructor signatures', () => {
    expectTypeOf(Chain).constructorParameters.toEqualTypeOf<[BijectorModule[]]>();
    expectTypeOf(ActNorm).constructorParameters.toEqualTypeOf<[number, ({ scale?: number } | undefined)?]>();
    expectTypeOf(ReverseChannels).constructorParameters.toEqualTypeOf<[]>();
    expectTypeOf(ShuffleChannels).constructorParameters.toEqualTypeOf<[number, number | string]>();
    expectTypeOf(InvertibleConv1x1).constructorParameters.toEqualTypeOf<[number, number | string]>();
    expectTypeOf(InvertibleConv1x1LU).constructorParameters.toEqualTypeOf<[number, number | string]>();
    expectTypeOf(AffineCoupling).constructorParameters.toEqualTypeOf<[ConditionerModule, (AffineCouplingOptions | undefined)?]>();
    expectTypeOf(AdditiveCoupling).constructorParameters.toEqualTypeOf<[ConditionerModule, ({ split?: number } | undefined)?]>();
    expectTypeOf(NormalizingFlow).constructorParameters.toEqualTypeOf<[BijectorModule, PriorModule]>();
    expectTypeOf<AffineCouplingOptions['paramLayout']>().toEqualTypeOf<'cross' | 'half' | undefined>();
    expectTypeOf<AffineCouplingOptions['scaleFn']>().toEqualTypeOf<'sigmoid2' | 'exp' | 'softclamp' | undefined>();
    expectTypeOf<AffineCouplingOptions['order']>().toEqualTypeOf<'shiftThenScale' | 'scaleThenShift' | undefined>();
  });

  it('locks the member names used by checkpoint loaders', () => {
    expectTypeOf<ActNorm>().toHaveProperty('bias').toEqualTypeOf<tf.Variable>();
    expectTypeOf<ActNorm>().toHaveProperty('logs').toEqualTypeOf<tf.Variable>();
    expectTypeOf<ActNorm>().toHaveProperty('initialized').toEqualTypeOf<tf.Variable>();
    expectTypeOf<ActNorm['markInitialized']>().toEqualTypeOf<() => void>();
    expectTypeOf<InvertibleConv1x1>().toHaveProperty('weight').toEqualTypeOf<tf.Variable>();
    expectTypeOf<InvertibleConv1x1LU>().toHaveProperty('logS').toEqualTypeOf<tf.Variable>();
    expectTypeOf<AffineCoupling>().toHaveProperty('net').toEqualTypeOf<ConditionerModule>();
    expectTypeOf<ClassConditionalGaussianPrior>().toHaveProperty('radius').toEqualTypeOf<tf.Variable>();
  });

  it('types the flow methods', () => {
    expectTypeOf<NormalizingFlow['logProb']>().toEqualTypeOf<(x: tf.Tensor, inputs?: FlowInputs) => tf.Tensor>();
    expectTypeOf<NormalizingFlow['nllBitsPerDim']>().toEqualTypeOf<(x: tf.Tensor, inputs?: FlowInputs) => tf.Tensor>();
    expectTypeOf<NormalizingFlow['forwardWithLogProb']>().returns.toEqualTypeOf<FlowForwardResult>();
    expectTypeOf<FlowForwardResult>().toEqualTypeOf<{ z: tf.Tensor; logDet: tf.Tensor; logPz: tf.Tensor; logProb: tf.Tensor }>();
    expectTypeOf<NormalizingFlow['sample']>().toEqualTypeOf<(n: number, seed: number | string, inputs?: FlowInputs) => tf.Tensor>();
  });

  it('types the conditional Glow on vectors', () => {
    expectTypeOf<InvertibleLinearLU>().toExtend<BijectorModule>();
    expectTypeOf<ConditionalAffineCoupling>().toExtend<BijectorModule>();
    expectTypeOf<ConcatContextMlp>().toExtend<ConditionerModule>();
    expectTypeOf<ConditionalGlow>().toExtend<NormalizingFlow>();
    expectTypeOf(InvertibleLinearLU).constructorParameters.toEqualTypeOf<[number, number | string]>();
    expectTypeOf(ConditionalGlow).constructorParameters.toEqualTypeOf<[ConditionalGlowOptions]>();
    expectTypeOf<ConditionalGlow['forward']>().toEqualTypeOf<(h: tf.Tensor, context?: tf.Tensor) => GlowForwardResult>();
    expectTypeOf<ConditionalGlow['inverse']>().toEqualTypeOf<(z: tf.Tensor, context?: tf.Tensor) => GlowInverseResult>();
    expectTypeOf<GlowForwardResult>().toEqualTypeOf<{ z: tf.Tensor; logDet: tf.Tensor }>();
    expectTypeOf<GlowInverseResult>().toEqualTypeOf<{ h: tf.Tensor; logDet: tf.Tensor }>();
    expectTypeOf<ConditionalGlow['config']>().toEqualTypeOf<Required<ConditionalGlowOptions>>();
  });
});
