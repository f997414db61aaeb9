import type * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, it } from 'vitest';
import type { BatchNorm } from '@skelflow/nn';
import type { InputError, Rng, SkelflowError } from '@skelflow/base';
import type { Module, Optimizer, StepResult } from '@skelflow/core';
import { Adam, Adamax, clipGradNorm, initBackend, parseCheckpointJson, trainStep } from '@skelflow/core';
import type { StgNf, StgNfConfig } from '@skelflow/stg-nf';
import { createStgNf, stgNfFromCheckpoint } from '@skelflow/stg-nf';
import { loadStgNf } from '@skelflow/stg-nf/node';

describe('@skelflow/core public API', () => {
  it('backends, optimisers and training steps', () => {
    expectTypeOf(initBackend).parameter(0).toEqualTypeOf<'wasm' | 'cpu' | 'webgl' | 'webgpu' | 'auto' | undefined>();
    expectTypeOf(initBackend).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(new Adamax([])).toMatchTypeOf<Optimizer>();
    expectTypeOf(new Adam([])).toMatchTypeOf<Optimizer>();
    expectTypeOf(trainStep).returns.toEqualTypeOf<StepResult>();
    expectTypeOf(clipGradNorm).returns.toEqualTypeOf<{ grads: tf.Tensor[]; norm: number }>();
    expectTypeOf<InputError>().toMatchTypeOf<SkelflowError>();
    expectTypeOf<BatchNorm>().toMatchTypeOf<Module>();
    expectTypeOf<Rng['permutation']>().returns.toEqualTypeOf<number[]>();
    expectTypeOf(parseCheckpointJson).parameters.toEqualTypeOf<[string, string]>();
  });
});

describe('@skelflow/stg-nf public API', () => {
  it('builds, loads and scores', () => {
    expectTypeOf(createStgNf).parameter(0).toEqualTypeOf<StgNfConfig | undefined>();
    expectTypeOf(createStgNf).returns.toEqualTypeOf<StgNf>();
    expectTypeOf(loadStgNf).returns.toEqualTypeOf<Promise<StgNf>>();
    expectTypeOf(stgNfFromCheckpoint).returns.toEqualTypeOf<StgNf>();
    expectTypeOf<StgNf['scoreSegments']>().returns.toEqualTypeOf<Float32Array>();
    expectTypeOf<StgNf['nll']>().returns.toEqualTypeOf<tf.Tensor>();
  });
});
