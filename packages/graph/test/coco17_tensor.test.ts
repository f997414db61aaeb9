import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';
import { coco17ToOpenPose18 } from '@skelflow/pose';
import { coco17ToOpenPose18Tensor } from '../src/index.js';
import * as tf from '@tensorflow/tfjs-core';

// Hand-built person: joint j of person p has x = 10·j + p, y = 100 + j, confidence = 0.5 + j/100.
function person(p: number): number[] {
  return Array.from({ length: 17 }, (_, j) => [10 * j + p, 100 + j, 0.5 + j / 100]).flat();
}

// The expected OpenPose rows come from the array conversion of @skelflow/pose, whose own tests
// derive them from joint names; here the tensor op must agree with it on every axis.
function expectedOpenPose(p: number): number[] {
  return Array.from(coco17ToOpenPose18(person(p)));
}

describe.each(['cpu', 'wasm'] as const)('coco17ToOpenPose18Tensor on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it('matches the array version on [..., 17, C] (default joint axis -2)', () => {
    const x = tf.tensor3d([...person(0), ...person(1)], [2, 17, 3]);
    const y = coco17ToOpenPose18Tensor(x);
    expect(y.shape).toEqual([2, 18, 3]);
    const want = [...expectedOpenPose(0), ...expectedOpenPose(1)];
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    tf.dispose([x, y]);
  });

  it('works on the joint axis of [B, C, T, V] and is differentiable', () => {
    const before = tf.memory().numTensors;
    const data = [...person(0), ...person(1)]; // [2 persons (as T), 17, 3]
    const x = tf.tidy(() => tf.transpose(tf.reshape(tf.tensor1d(data), [1, 2, 17, 3]), [0, 3, 1, 2])); // [1, 3, 2, 17]
    const y = coco17ToOpenPose18Tensor(x, { jointAxis: -1 });
    expect(y.shape).toEqual([1, 3, 2, 18]);
    const yt = tf.transpose(y, [0, 2, 3, 1]);
    const back = yt.dataSync();
    const want = [...expectedOpenPose(0), ...expectedOpenPose(1)];
    Array.from(back).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    // d/dx Σ y: every COCO joint appears once, except the shoulders which also feed half the neck.
    const g = tf.grad((t: tf.Tensor) => tf.sum(coco17ToOpenPose18Tensor(t, { jointAxis: 3 })))(x);
    const gv = Array.from(g.dataSync());
    gv.forEach((v, i) => expect(v).toBeCloseTo(i % 17 === 5 || i % 17 === 6 ? 1.5 : 1, 6));
    tf.dispose([x, y, yt, g]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a tensor without 17 joints on the axis', () => {
    const x = tf.zeros([2, 18, 3]);
    expect(() => coco17ToOpenPose18Tensor(x)).toThrow(ShapeError);
    x.dispose();
  });
});
