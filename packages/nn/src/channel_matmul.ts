import * as tf from '@tensorflow/tfjs-core';

/**
 * Mixes the channels (axis 1) of `x` `[B, Cin, ...]` with `w` `[Cout, Cin]`: a 1×1 convolution
 * without bias, `y[b, o, …] = Σ_i w[o, i] · x[b, i, …]`.
 *
 * Formulated as a batched matMul with `w` broadcast explicitly to the batch: tfjs's gradient of a
 * matMul with an implicitly broadcast batch dimension has the wrong shape, and its conv2d has no
 * filter gradient on wasm. The broadcast is a multiplication with ones rather than `broadcastTo`,
 * whose Tile gradient is a JavaScript loop of one slice and add per batch element.
 *
 * @example
 * ```ts
 * channelMatMul(tf.ones([4, 3, 24, 18]), tf.ones([2, 3])); // [4, 2, 24, 18], every entry 3
 * ```
 */
export function channelMatMul(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [b, cin] = x.shape as number[];
    if (cin === 1) {
      // One input channel: an outer product, one broadcasting multiply instead of B tiny matMuls.
      return tf.mul(x, tf.reshape(w, [1, w.shape[0]!, ...x.shape.slice(2).map(() => 1)]));
    }
    const rest = x.shape.slice(2);
    const n = rest.reduce((a, d) => a * d, 1);
    const cout = w.shape[0]!;
    const x3 = tf.reshape(x, [b!, cin!, n]);
    const w3 = tf.mul(tf.ones([b!, 1, 1]), tf.reshape(w, [1, cout, cin!]));
    return tf.reshape(tf.matMul(w3, x3), [b!, cout, ...rest]);
  });
}

/** Adds a per-channel vector `bias` `[C]` to `x` `[B, C, ...]`. @example `addChannelBias(x, b)` */
export function addChannelBias(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(x, tf.reshape(bias, [1, bias.size, ...x.shape.slice(2).map(() => 1)])));
}
