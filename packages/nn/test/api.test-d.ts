import type * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, it } from 'vitest';
import type { Module } from '@skelflow/core';
import type { Activation, LayerNormOptions, LinearOptions, MlpOptions } from '@skelflow/nn';
import { BatchNorm, Dropout, LayerNorm, Linear, Mlp, PointwiseConv, TemporalConv, applyActivation, channelMatMul, temporalConv } from '@skelflow/nn';
import type { AttentionResult, HiddenAlignment } from '@skelflow/nn';
import { AutoregressiveTokenModel, Embedding, LearnedPositions, MultiHeadAttention, TransformerBlock, TransformerEncoder, causalMask, sinusoidalPositions } from '@skelflow/nn';
import type { Rng } from '@skelflow/base';
import type { LayerCase } from '@skelflow/testing';

describe('@skelflow/nn public API', () => {
  it('layers are Modules with call(x) → Tensor', () => {
    for (const L of [Linear, Mlp, LayerNorm, Dropout, BatchNorm, PointwiseConv, TemporalConv]) expectTypeOf<InstanceType<typeof L>>().toMatchTypeOf<Module>();
    expectTypeOf<Linear['call']>().toEqualTypeOf<(x: tf.Tensor) => tf.Tensor>();
    expectTypeOf<Mlp['call']>().toEqualTypeOf<(x: tf.Tensor) => tf.Tensor>();
    expectTypeOf<LayerNorm['call']>().toEqualTypeOf<(x: tf.Tensor) => tf.Tensor>();
    expectTypeOf<Dropout['call']>().toEqualTypeOf<(x: tf.Tensor) => tf.Tensor>();
    expectTypeOf<Linear['bias']>().toEqualTypeOf<tf.Variable | null>();
    expectTypeOf<LinearOptions['seed']>().toEqualTypeOf<number | string | undefined>();
    expectTypeOf<MlpOptions['activation']>().toEqualTypeOf<Activation | undefined>();
    expectTypeOf<LayerNormOptions['elementwiseAffine']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf(applyActivation).returns.toEqualTypeOf<tf.Tensor>();
    expectTypeOf(channelMatMul).returns.toEqualTypeOf<tf.Tensor>();
    expectTypeOf(temporalConv).returns.toEqualTypeOf<tf.Tensor>();
    expectTypeOf<LayerCase<Linear>['make']>().toEqualTypeOf<(seed: number) => Linear>();
  });

  it('attention blocks and the token model', () => {
    for (const L of [MultiHeadAttention, TransformerBlock, TransformerEncoder, Embedding, LearnedPositions, AutoregressiveTokenModel]) expectTypeOf<InstanceType<typeof L>>().toMatchTypeOf<Module>();
    expectTypeOf<MultiHeadAttention['attend']>().returns.toEqualTypeOf<AttentionResult>();
    expectTypeOf<AutoregressiveTokenModel['nll']>().toEqualTypeOf<(tokens: tf.Tensor) => tf.Tensor>();
    expectTypeOf<AutoregressiveTokenModel['loss']>().returns.toEqualTypeOf<tf.Scalar>();
    expectTypeOf<AutoregressiveTokenModel['hidden']>().parameter(1).toEqualTypeOf<{ alignment?: HiddenAlignment } | undefined>();
    expectTypeOf<AutoregressiveTokenModel['sample']>().parameter(2).toEqualTypeOf<Rng>();
    expectTypeOf(causalMask).returns.toEqualTypeOf<tf.Tensor2D>();
    expectTypeOf(sinusoidalPositions).returns.toEqualTypeOf<tf.Tensor2D>();
  });
});
