import * as tf from '@tensorflow/tfjs-core';
import { layerContract, perturbParameters, type LayerCase } from '@skelflow/testing';
import { MultiHeadAttention, TransformerBlock, TransformerEncoder } from '../src/index.js';
import { blockRef, encoderRef, mhaRef } from './transformer_reference.js';

// The shared layer contract (@skelflow/testing: shapes, float64 equations, state names, leaks,
// finite-difference gradients of every parameter and input, train/eval, save/load, cpu ↔ wasm) on
// the attention blocks, at tiny sizes. The token model takes integer tokens (no input gradient),
// so its gradients are checked in transformer.test.ts.

/** Key padding (1 = padded) of up to 2 sequences of 5 keys; a row keeps at least one key. */
const PADDING = [0, 0, 0, 1, 1, 0, 1, 0, 0, 1];
const padding = (batch: number, tk: number) => tf.tensor2d(PADDING.slice(0, batch * tk), [batch, tk]);

function mhaState(D: number, prefix = ''): Record<string, number[]> {
  return { [`${prefix}inProjWeight`]: [3 * D, D], [`${prefix}inProjBias`]: [3 * D], [`${prefix}outProj.weight`]: [D, D], [`${prefix}outProj.bias`]: [D] };
}

function blockState(D: number, F: number, prefix = ''): Record<string, number[]> {
  return {
    ...mhaState(D, `${prefix}selfAttn.`),
    [`${prefix}linear1.weight`]: [F, D],
    [`${prefix}linear1.bias`]: [F],
    [`${prefix}linear2.weight`]: [D, F],
    [`${prefix}linear2.bias`]: [D],
    [`${prefix}norm1.weight`]: [D],
    [`${prefix}norm1.bias`]: [D],
    [`${prefix}norm2.weight`]: [D],
    [`${prefix}norm2.bias`]: [D],
  };
}

const D = 8;
const H = 2;

const cases: LayerCase<any>[] = [
  {
    name: `MultiHeadAttention self (D ${D}, ${H} heads) on [2, 4, ${D}]`,
    make: (seed: number) => {
      const m = new MultiHeadAttention(D, H, { seed });
      perturbParameters(m, seed);
      return m;
    },
    inputs: [[2, 4, D]],
    output: [2, 4, D],
    train: 'same',
    state: { parameters: mhaState(D) },
    reference: ([x], s) => mhaRef(x!, x!, s, '', { heads: H }),
  } satisfies LayerCase<MultiHeadAttention>,
  {
    name: `MultiHeadAttention cross with key padding: [2, 3, ${D}] attends to [2, 5, ${D}]`,
    make: (seed: number) => {
      const m = new MultiHeadAttention(D, H, { seed });
      perturbParameters(m, seed);
      return m;
    },
    inputs: [[2, 3, D], [2, 5, D]],
    output: [2, 3, D],
    forward: (m, [x, s]) => tf.tidy(() => m.call(x!, { keyValue: s!, keyPaddingMask: padding(x!.shape[0]!, 5) })),
    train: 'same',
    state: { parameters: mhaState(D) },
    reference: ([x, s], st) => mhaRef(x!, s!, st, '', { heads: H, padding: PADDING.slice(0, x!.shape[0]! * 5) }),
  } satisfies LayerCase<MultiHeadAttention>,
  {
    name: `MultiHeadAttention causal self with attention dropout 0.3 on [2, 5, ${D}]`,
    make: (seed: number) => {
      const m = new MultiHeadAttention(D, H, { seed, dropout: 0.3 });
      perturbParameters(m, seed);
      return m;
    },
    inputs: [[2, 5, D]],
    output: [2, 5, D],
    forward: (m, [x]) => m.call(x!, { causal: true }),
    train: 'stochastic',
    state: { parameters: mhaState(D) },
    reference: ([x], s) => mhaRef(x!, x!, s, '', { heads: H, causal: true }),
  } satisfies LayerCase<MultiHeadAttention>,
  {
    name: `TransformerBlock pre-LN, GELU MLP ${D}→16→${D}, causal, on [2, 4, ${D}]`,
    make: (seed: number) => {
      const m = new TransformerBlock(D, H, { seed, dimFeedforward: 16, dropout: 0 });
      perturbParameters(m, seed);
      return m;
    },
    inputs: [[2, 4, D]],
    output: [2, 4, D],
    forward: (m, [x]) => m.call(x!, { causal: true }),
    train: 'same',
    state: { parameters: blockState(D, 16) },
    reference: ([x], s) => blockRef(x!, s, '', { heads: H, causal: true }),
  } satisfies LayerCase<TransformerBlock>,
  {
    name: `TransformerEncoder 2 blocks + final LN, dropout 0.1, causal and key padding, on [2, 5, ${D}]`,
    make: (seed: number) => {
      const m = new TransformerEncoder(D, H, 2, { seed, dimFeedforward: 16, dropout: 0.1 });
      perturbParameters(m, seed);
      return m;
    },
    inputs: [[2, 5, D]],
    output: [2, 5, D],
    forward: (m, [x]) => tf.tidy(() => m.call(x!, { causal: true, keyPaddingMask: padding(x!.shape[0]!, 5) })),
    train: 'stochastic',
    state: { parameters: { ...blockState(D, 16, 'layers.0.'), ...blockState(D, 16, 'layers.1.'), 'norm.weight': [D], 'norm.bias': [D] } },
    reference: ([x], s) => encoderRef(x!, s, '', 2, { heads: H, causal: true, padding: PADDING.slice(0, x!.shape[0]! * 5) }),
  } satisfies LayerCase<TransformerEncoder>,
];

layerContract('@skelflow/nn attention', cases);
