import * as tf from '@tensorflow/tfjs-core';
import { normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { layerContract, perturbParameters, type LayerCase } from '@skelflow/testing';
import { BatchNorm, Conv1d, Dropout, LayerNorm, Linear, Mlp, PointwiseConv, TemporalConv, type Activation, type TemporalConvMethod } from '../src/index.js';
import { batchNormRef, conv1dRef, layerNormRef, linearRef, mlpRef, pointwiseRef, temporalConvRef } from './reference.js';

// Every @skelflow/nn layer runs the shared layer contract (@skelflow/testing) on cpu and wasm.

function linear(inF: number, outF: number, batch: number[], bias = true): LayerCase<Linear> {
  return {
    name: `Linear ${inF}→${outF}${bias ? '' : ' (no bias)'} on [${batch}, ${inF}]`,
    make: (seed) => new Linear(inF, outF, { seed, bias }),
    inputs: [[...batch, inF]],
    output: [...batch, outF],
    train: 'same',
    state: { parameters: bias ? { weight: [outF, inF], bias: [outF] } : { weight: [outF, inF] } },
    reference: ([x], s) => linearRef(x!, s.weight!, s.bias),
  };
}

function mlp(sizes: number[], activation: Activation, finalActivation: Activation, dropout = 0): LayerCase<Mlp> {
  const stride = dropout > 0 ? 3 : 2;
  const parameters: Record<string, number[]> = {};
  for (let k = 0; k + 1 < sizes.length; k++) {
    parameters[`${k * stride}.weight`] = [sizes[k + 1]!, sizes[k]!];
    parameters[`${k * stride}.bias`] = [sizes[k + 1]!];
  }
  return {
    name: `MLP [${sizes}] ${activation} → ${finalActivation}${dropout ? `, dropout ${dropout}` : ''}`,
    make: (seed) => new Mlp(sizes, { seed, activation, finalActivation, dropout, leakySlope: 0.1 }),
    inputs: [[3, sizes[0]!]],
    output: [3, sizes[sizes.length - 1]!],
    train: dropout > 0 ? 'stochastic' : 'same',
    state: { parameters },
    reference: ([x], s) => mlpRef(x!, s, activation, finalActivation, 0.1),
  };
}

function layerNorm(shape: number[], lead: number[], options: { elementwiseAffine?: boolean; bias?: boolean } = {}): LayerCase<LayerNorm> {
  const affine = options.elementwiseAffine ?? true;
  const withBias = affine && (options.bias ?? true);
  return {
    name: `LayerNorm [${shape}] on [${lead}, ${shape}]${affine ? (withBias ? '' : ' (no bias)') : ' (no affine)'}`,
    make: (seed) => {
      const ln = new LayerNorm(shape, { ...options, eps: 1e-5 });
      perturbParameters(ln, seed);
      return ln;
    },
    inputs: [[...lead, ...shape]],
    output: [...lead, ...shape],
    train: 'same',
    state: { parameters: { ...(affine ? { weight: shape } : {}), ...(withBias ? { bias: shape } : {}) } },
    reference: ([x], s) => layerNormRef(x!, shape.length, 1e-5, s.weight, s.bias),
  };
}

function batchNorm(channels: number, shape: number[], affine = true): LayerCase<BatchNorm> {
  return {
    name: `BatchNorm(${channels}${affine ? '' : ', affine false'}) on [${shape}]`,
    make: (seed) => {
      const bn = new BatchNorm(channels, { affine });
      perturbParameters(bn, seed);
      // Non-trivial running statistics, so that eval mode differs from the identity.
      const rng = new Rng(`bn/${seed}`);
      tf.tidy(() => {
        bn.runningMean.assign(normalTensor(rng, [channels], 0, 0.5));
        bn.runningVar.assign(tf.exp(normalTensor(rng, [channels], 0, 0.5)));
      });
      return bn;
    },
    inputs: [shape],
    output: shape,
    train: 'stateful',
    state: {
      parameters: affine ? { weight: [channels], bias: [channels] } : {},
      buffers: { runningMean: [channels], runningVar: [channels], numBatchesTracked: [] },
    },
    reference: ([x], s, training) => batchNormRef(x!, s, training),
  };
}

function pointwise(cin: number, cout: number, shape: number[]): LayerCase<PointwiseConv> {
  return {
    name: `PointwiseConv ${cin}→${cout} on [${shape}]`,
    make: (seed) => new PointwiseConv(cin, cout, { seed }),
    inputs: [shape],
    output: [shape[0]!, cout, ...shape.slice(2)],
    train: 'same',
    state: { parameters: { weight: [cout, cin], bias: [cout] } },
    reference: ([x], s) => pointwiseRef(x!, s.weight!, s.bias),
  };
}

function temporal(cin: number, cout: number, kt: number, shape: number[], method: TemporalConvMethod = 'auto', bias = true): LayerCase<TemporalConv> {
  return {
    name: `TemporalConv ${cin}→${cout}, Kt ${kt}, ${method}${bias ? '' : ', no bias'} on [${shape}]`,
    make: (seed) => new TemporalConv(cin, cout, kt, { seed, method, bias }),
    inputs: [shape],
    output: [shape[0]!, cout, ...shape.slice(2)],
    train: 'same',
    state: { parameters: bias ? { weight: [cout, cin, kt], bias: [cout] } : { weight: [cout, cin, kt] } },
    reference: ([x], s) => temporalConvRef(x!, s.weight!, s.bias),
  };
}

function conv1(cin: number, cout: number, k: number, shape: number[], g: { stride?: number; padding?: number; dilation?: number }, bias = true): LayerCase<Conv1d> {
  const s = g.stride ?? 1;
  const p = g.padding ?? 0;
  const d = g.dilation ?? 1;
  const tOut = Math.floor((shape[1]! + 2 * p - d * (k - 1) - 1) / s) + 1;
  return {
    name: `Conv1d ${cin}→${cout}, k ${k}, stride ${s}, pad ${p}, dil ${d}${bias ? '' : ', no bias'} on [${shape}]`,
    make: (seed) => new Conv1d(cin, cout, k, { seed, ...g, bias }),
    inputs: [shape],
    output: [shape[0]!, tOut, cout],
    train: 'same',
    state: { parameters: bias ? { weight: [cout, cin, k], bias: [cout] } : { weight: [cout, cin, k] } },
    reference: ([x], st) => conv1dRef(x!, st.weight!, st.bias, s, p, d),
  };
}

const dropout: LayerCase<Dropout> = {
  name: 'Dropout(0.3) on [4, 6]',
  make: (seed) => new Dropout(0.3, { seed }),
  inputs: [[4, 6]],
  output: [4, 6],
  train: 'stochastic',
  state: { parameters: {} },
  reference: ([x]) => x!.data, // eval mode: the identity
};

layerContract('@skelflow/nn', [
  linear(4, 3, [2, 3]),
  linear(5, 2, [3], false),
  mlp([4, 6, 3], 'tanh', 'sigmoid'),
  mlp([3, 5, 2], 'leakyRelu', 'elu'),
  mlp([3, 4, 4, 2], 'silu', 'identity'),
  mlp([3, 5, 5, 2], 'relu', 'identity', 0.2),
  layerNorm([5], [3, 2]),
  layerNorm([3, 4], [2], { bias: false }),
  layerNorm([6], [3], { elementwiseAffine: false }),
  dropout,
  batchNorm(3, [4, 3, 5, 2]),
  batchNorm(2, [3, 2, 4], false),
  pointwise(3, 2, [2, 3, 4, 2]),
  pointwise(1, 3, [2, 1, 3, 2]),
  temporal(2, 3, 3, [2, 2, 5, 3]),
  temporal(2, 2, 3, [2, 2, 6, 2], 'im2col'),
  temporal(2, 2, 5, [2, 2, 5, 1], 'toeplitz', false),
  temporal(2, 3, 1, [2, 2, 4, 3]),
  conv1(3, 2, 3, [2, 5, 3], { padding: 1 }),
  conv1(2, 3, 4, [2, 6, 2], { stride: 2, padding: 1 }),
  conv1(2, 2, 4, [1, 7, 2], { stride: 2, padding: 1 }, false),
  conv1(2, 2, 3, [2, 9, 2], { padding: 3, dilation: 3 }),
  conv1(3, 2, 1, [2, 4, 3], {}),
]);
