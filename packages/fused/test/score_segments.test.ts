import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import { initBackend, Module } from '@skelflow/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LazyFusedFlow, scoreFlowSegments, type FlowSegmentScorer, type FusableFlow, type Fusable, type PlanNode } from '../src/index.js';
import { normal, scale } from './fixtures/scale_kernels.js';

// The scoring helper shared by the flow models, on a one-layer flow y = a·x with a standard normal
// prior. Oracle, by hand: log p(x) = D log a − ½ Σ ((a x)² + log 2π); score = log p / (D ln 2).

const SHAPE = [2, 3, 1] as const;
const D = 6;

function flowOf(kind: string, a: tf.Variable): FusableFlow {
  const layer: Fusable = { fusedPlan: (ctx) => ({ kind, a: 0, c: ctx.eventShape[0] }) as PlanNode };
  const transform = { fusedPlan: (ctx: { describe: (c: unknown, n: string) => PlanNode | PlanNode[] }) => [ctx.describe(layer, '0')].flat() };
  const prior: Fusable = { fusedPlan: () => ({ kind: normal.kind, varianceEps: 0 }) as PlanNode };
  return { transform, prior, namedParameters: () => [['a', a]], namedBuffers: () => [] };
}

function exactScores(x: Float32Array, a: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < x.length / D; b++) {
    let lp = D * Math.log(a);
    for (let i = 0; i < D; i++) lp += -0.5 * ((x[b * D + i]! * a) ** 2 + Math.log(2 * Math.PI));
    out.push(lp / (D * Math.LN2));
  }
  return out;
}

/** A module whose tensor NLL is the same flow, recording the mode it was called in. */
class Tiny extends Module {
  modes: boolean[] = [];
  constructor(readonly a: tf.Variable) {
    super();
  }
  nll(x: tf.Tensor4D): tf.Tensor {
    this.modes.push(this.training);
    const a = this.a;
    return tf.tidy(() => {
      const z = tf.mul(tf.reshape(x, [x.shape[0], D]), a);
      const lp = tf.add(tf.mul(-0.5, tf.sum(tf.add(tf.square(z), Math.log(2 * Math.PI)), 1)), tf.mul(D, tf.log(a)));
      return tf.div(lp, -D * Math.LN2);
    });
  }
}

describe.each(['cpu', 'wasm'] as const)('scoreFlowSegments on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });
  const n = 64;
  const x = Float32Array.from({ length: n * D }, (_, i) => Math.sin(0.7 * i));

  function scorer(kind = scale.kind): { s: FlowSegmentScorer; m: Tiny; a: tf.Variable } {
    const a = tf.variable(tf.scalar(1.5));
    const m = new Tiny(a);
    return { s: { source: 'Tiny.scoreSegments', segmentShape: SHAPE, module: m, nll: (t) => m.nll(t), fused: new LazyFusedFlow(flowOf(kind, a), SHAPE) }, m, a };
  }

  it('the fused and tensor engines both give the hand-computed scores; the fused engine re-reads the weights', () => {
    const { s, a } = scorer();
    const want = exactScores(x, 1.5);
    const fused = scoreFlowSegments(x, s, { engine: 'fused', threads: 0 });
    const tfjs = scoreFlowSegments(x, s, { engine: 'tfjs', batchSize: 7 });
    want.forEach((v, i) => {
      expect(fused[i]).toBeCloseTo(v, 5);
      expect(tfjs[i]).toBeCloseTo(v, 5);
    });
    a.assign(tf.scalar(0.5));
    const after = scoreFlowSegments(x, s, { threads: 0 });
    exactScores(x, 0.5).forEach((v, i) => expect(after[i]).toBeCloseTo(v, 5));
    s.fused.dispose();
    a.dispose();
  });

  it('reports progress per step, scores on tensors in eval mode and restores the mode, without leaks', () => {
    const { s, m, a } = scorer();
    const seen: number[] = [];
    scoreFlowSegments(x, s, { engine: 'fused', threads: 0, batchSize: 10, onProgress: (d, t) => seen.push(d, t) });
    expect(seen).toEqual([10, 64, 20, 64, 30, 64, 40, 64, 50, 64, 60, 64, 64, 64]);
    seen.length = 0;
    const before = tf.memory().numTensors;
    scoreFlowSegments(x, s, { engine: 'tfjs', batchSize: 30, onProgress: (d) => seen.push(d) });
    expect(seen).toEqual([30, 60, 64]);
    expect(m.modes).toEqual([false, false, false]);
    expect(m.training).toBe(true);
    m.eval();
    scoreFlowSegments(x, s, { engine: 'tfjs' });
    expect(m.training).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    s.fused.dispose();
    a.dispose();
  });

  it('a bad length is a ShapeError and a missing fused engine an InputError, both naming the caller', () => {
    const { s, a } = scorer('no-such-kind');
    expect(() => scoreFlowSegments(x.subarray(1), s)).toThrow(ShapeError);
    expect(() => scoreFlowSegments(x.subarray(1), s)).toThrow(/^Tiny\.scoreSegments: segment data of length 383 is not a multiple of 2·3·1$/);
    try {
      scoreFlowSegments(x, s, { engine: 'fused' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toContain("this model has no fused engine: transform.0: no fused kernel is registered for kind 'no-such-kind'");
      expect([(e as InputError).source, (e as InputError).location]).toEqual(['Tiny.scoreSegments', 'engine']);
    }
    expect(s.fused.get()).toBeNull();
    // 'auto' falls back to tensors; no segments need no engine.
    exactScores(x, 1.5).forEach((v, i) => expect(scoreFlowSegments(x, s)[i]).toBeCloseTo(v, 5));
    expect(scoreFlowSegments(new Float32Array(0), s, { engine: 'fused' })).toEqual(new Float32Array(0));
    a.dispose();
  });
});
