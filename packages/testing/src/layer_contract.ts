import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeIntoModule, encodeModule, type Module } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { BACKENDS, forEachBackend, onBackend, type TestBackend } from './backends.js';
import { maxAbs, maxAbsDiffArrays } from './tensors.js';

/** A float64 array with its shape (row-major), what {@link LayerCase.reference} works on. */
export interface NdArray {
  data: Float64Array;
  shape: number[];
}

/**
 * How a layer's train mode differs from its eval mode:
 * - `same`: identical outputs, no state changes (Linear, LayerNorm, convolutions);
 * - `stateful`: train mode uses batch statistics and updates buffers, eval mode uses the buffers
 *   (BatchNorm);
 * - `stochastic`: train mode draws random numbers (Dropout); gradient checks run in eval mode only.
 */
export type TrainBehaviour = 'same' | 'stateful' | 'stochastic';

/** A layer under test. */
export interface LayerCase<M extends Module = Module> {
  name: string;
  /**
   * Builds the layer, called with the backend already selected. The same seed must give the same
   * module (parameters *and* buffers) on every backend; make parameters non-trivial here (an
   * identity init hides mistakes).
   */
  make: (seed: number) => M;
  /** Input shapes; axis 0 of every input is the batch. */
  inputs: number[][];
  /** Expected output shape. */
  output: number[];
  /** The forward call; default `m.call(...xs)`. */
  forward?: (m: M, xs: tf.Tensor[]) => tf.Tensor;
  /** See {@link TrainBehaviour}. */
  train: TrainBehaviour;
  /** Names and shapes of the state dict (the PyTorch names where the layer has a twin), parameters first. */
  state: { parameters: Record<string, number[]>; buffers?: Record<string, number[]> };
  /**
   * The layer's equations in float64, from the inputs and the module's state read before the call:
   * the expected output (row-major). Checked in eval mode and, unless `stochastic`, in train mode.
   */
  reference?: (xs: NdArray[], state: Record<string, NdArray>, training: boolean) => ArrayLike<number>;
  /** Central-difference step (default 1e-2; the entries are O(1)). */
  fdStep?: number;
  /** Tolerance of the gradient check, relative to max(1, max |∂L/∂θ|) (default 3e-4; the worst case of the nn suite is 7e-5). */
  gradTolerance?: number;
}

/** Options of {@link layerContract}. */
export interface LayerContractOptions {
  /** Backends to run on; default {@link BACKENDS}. */
  backends?: readonly TestBackend[];
}

const REF_TOL = 2e-5; // float32 outputs vs the float64 equations, relative to max(1, max |y|)
const AGREE_TOL = 1e-5; // cpu vs wasm, relative to max(1, max |·|)
const MAX_FD_ENTRIES = 24; // per tensor; larger tensors are checked on a seeded subset

/** The forward of a case (its `forward` or `m.call(...xs)`). */
function run<M extends Module>(c: LayerCase<M>, m: M, xs: tf.Tensor[]): tf.Tensor {
  if (c.forward) return c.forward(m, xs);
  return (m as unknown as { call: (...a: tf.Tensor[]) => tf.Tensor }).call(...xs);
}

/** The case's inputs: N(0, 1) from `Rng(seed)`, as float32 tensors. */
function inputsFor(c: LayerCase, seed: number): tf.Tensor[] {
  const rng = new Rng(`inputs/${seed}`);
  return c.inputs.map((shape) => {
    const n = shape.reduce((a, d) => a * d, 1);
    return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape, 'float32');
  });
}

/** The fixed random projection R of the output that makes the scalar loss L = Σ R ⊙ y. */
function projection(shape: number[]): Float64Array {
  const rng = new Rng('projection');
  const n = shape.reduce((a, d) => a * d, 1);
  return Float64Array.from({ length: n }, () => rng.normal());
}

function readState(m: Module): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [name, v] of m.stateDict()) out[name] = { data: Float64Array.from(v.dataSync()), shape: [...v.shape] };
  return out;
}

/** L = Σ R ⊙ y accumulated in float64 (so the loss itself adds no float32 rounding). */
function lossOf<M extends Module>(c: LayerCase<M>, m: M, xs: tf.Tensor[], r: Float64Array): number {
  const y = run(c, m, xs);
  const v = y.dataSync();
  y.dispose();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += r[i]! * v[i]!;
  return s;
}

interface Gradients {
  output: Float32Array;
  /** Gradients by name: `input0`, `input1`, … then the parameter names. */
  grads: Map<string, Float32Array>;
}

/** Output and autodiff gradients of L = Σ R ⊙ y with respect to every input and parameter. */
function gradients<M extends Module>(c: LayerCase<M>, m: M, xs: tf.Tensor[], r: Float64Array): Gradients {
  const inputVars = xs.map((x, i) => tf.variable(x, true, `layer_contract_input${i}_${Math.random().toString(36).slice(2)}`));
  const params = m.namedParameters();
  let output: Float32Array | null = null;
  const rt = tf.tensor(Float32Array.from(r), c.output);
  try {
    const { value, grads } = tf.variableGrads(() => {
      const y = run(c, m, inputVars);
      if (!output) output = Float32Array.from(y.dataSync());
      return tf.sum(tf.mul(y, rt)) as tf.Scalar;
    }, [...inputVars, ...params.map(([, v]) => v)]);
    const out = new Map<string, Float32Array>();
    for (const [name, v] of [...inputVars.map((iv, i) => [`input${i}`, iv] as const), ...params]) {
      const g = grads[v.name];
      expect(g, `${c.name}: no gradient reaches ${name}`).toBeDefined();
      out.set(name, Float32Array.from(g!.dataSync()));
    }
    tf.dispose([value, ...Object.values(grads)]);
    return { output: output!, grads: out };
  } finally {
    tf.dispose([rt, ...inputVars]);
  }
}

/** Entries of a tensor of `size` to difference: all, or a seeded subset of MAX_FD_ENTRIES. */
function fdEntries(size: number, key: string): number[] {
  if (size <= MAX_FD_ENTRIES) return Array.from({ length: size }, (_, i) => i);
  return new Rng(`fd/${key}`).permutation(size).slice(0, MAX_FD_ENTRIES).sort((a, b) => a - b);
}

/**
 * Central differences of L with respect to entry `i` of `base`, with Richardson extrapolation
 * (4·D(h/2) − D(h))/3 (truncation error O(h⁴)); each step is the float32-rounded one actually taken.
 */
function centralDifference(base: Float32Array, i: number, h: number, evalAt: (values: Float32Array) => number): number {
  const d = (step: number): number => {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = base[i]! + step;
    minus[i] = base[i]! - step;
    return (evalAt(plus) - evalAt(minus)) / (plus[i]! - minus[i]!);
  };
  return (4 * d(h / 2) - d(h)) / 3;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relTol: number, what: string): void {
  const err = maxAbsDiffArrays(actual, expected);
  const scale = Math.max(1, maxAbs(expected));
  expect(err, `${what}: max |Δ| = ${err.toExponential(2)} > ${relTol}·${scale.toPrecision(3)}`).toBeLessThanOrEqual(relTol * scale);
}

function disposeAll(m: Module, xs: tf.Tensor[]): void {
  tf.dispose(xs);
  m.dispose();
}

/** What one backend computes for a case, as plain arrays (for the cross-backend comparison). */
function fingerprint(c: LayerCase, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const r = projection(c.output);
  const modes: boolean[] = c.train === 'stochastic' ? [false] : [false, true];
  for (const training of modes) {
    const m = c.make(seed).train(training);
    const xs = inputsFor(c, seed);
    const g = gradients(c, m, xs, r);
    out[`${training ? 'train' : 'eval'} output`] = g.output;
    for (const [n, v] of g.grads) out[`${training ? 'train' : 'eval'} ∂L/∂${n}`] = v;
    disposeAll(m, xs);
  }
  if (c.train === 'stochastic') {
    // Seeded train-mode randomness (Dropout masks) is drawn on the JS side: identical everywhere.
    const m = c.make(seed).train(true);
    const xs = inputsFor(c, seed);
    for (let k = 0; k < 2; k++) {
      const y = run(c, m, xs);
      out[`train output, call ${k}`] = y.dataSync() as Float32Array;
      y.dispose();
    }
    disposeAll(m, xs);
  }
  return out;
}

/**
 * The contract every `@skelflow/nn` layer runs, on each backend (cpu, wasm), per case:
 * 1. output shape, and the layer's float64 equations (`reference`) in eval and train mode;
 * 2. state dict names and shapes (PyTorch's where there is a twin);
 * 3. no tensor leak over repeated forward calls in both modes and over a gradient computation;
 * 4. autodiff gradients of L = Σ R ⊙ y (R a fixed random projection) with respect to every
 *    parameter and every input against central finite differences (eval mode; train mode too
 *    unless stochastic);
 * 5. train/eval behaviour ({@link TrainBehaviour}); in eval mode every sample is independent of
 *    the rest of the batch and calls change no buffer;
 * 6. save/load through `encodeModule`/`decodeIntoModule` into a differently seeded twin
 *    reproduces the outputs exactly;
 * and once across backends: cpu and wasm agree on outputs and gradients for the same seed (and on
 * seeded train-mode randomness).
 *
 * @example
 * ```ts
 * layerContract('Linear', [{ name: 'Linear 4→3', make: (s) => new Linear(4, 3, { seed: s }),
 *   inputs: [[2, 4]], output: [2, 3], train: 'same',
 *   state: { parameters: { weight: [3, 4], bias: [3] } } }]);
 * ```
 */
export function layerContract(title: string, cases: LayerCase<any>[], options: LayerContractOptions = {}): void {
  const backends = options.backends ?? BACKENDS;
  forEachBackend(`${title}: layer contract`, () => {
    describe.each(cases as LayerCase[])('$name', (c) => {
      const seed = 7;

      it('has the output shape and follows its equations (float64 reference)', () => {
        for (const training of c.train === 'stochastic' ? [false] : [false, true]) {
          const m = c.make(seed).train(training);
          const xs = inputsFor(c, seed);
          const state = readState(m);
          const y = run(c, m, xs);
          expect(y.shape, c.name).toEqual(c.output);
          expect(y.dtype).toBe('float32');
          if (c.reference) {
            const nd = xs.map((x) => ({ data: Float64Array.from(x.dataSync()), shape: [...x.shape] }));
            expectClose(y.dataSync(), c.reference(nd, state, training), REF_TOL, `${c.name} (${training ? 'train' : 'eval'}) vs its equations`);
          }
          y.dispose();
          disposeAll(m, xs);
        }
      });

      it('has the declared state dict (names, shapes, parameters vs buffers)', () => {
        const m = c.make(seed);
        const shapes = (entries: [string, tf.Variable][]) => Object.fromEntries(entries.map(([n, v]) => [n, v.shape]));
        expect(shapes(m.namedParameters())).toEqual(c.state.parameters);
        expect(shapes(m.namedBuffers())).toEqual(c.state.buffers ?? {});
        for (const [n, v] of m.namedParameters()) expect(v.trainable, n).toBe(true);
        for (const [n, v] of m.namedBuffers()) expect(v.trainable, n).toBe(false);
        m.dispose();
      });

      it('leaks no tensors over repeated forward calls and a gradient computation', () => {
        const m = c.make(seed);
        const xs = inputsFor(c, seed);
        const r = projection(c.output);
        const round = () => {
          for (const training of [true, false]) {
            m.train(training);
            for (let k = 0; k < 2; k++) run(c, m, xs).dispose();
            gradients(c, m, xs, r);
          }
        };
        round(); // warm-up: kernel setup
        const before = tf.memory().numTensors;
        round();
        round();
        expect(tf.memory().numTensors).toBe(before);
        disposeAll(m, xs);
      });

      it('has gradients of every parameter and input that match central finite differences', () => {
        const h = c.fdStep ?? 1e-2;
        const tol = c.gradTolerance ?? 3e-4;
        const r = projection(c.output);
        for (const training of c.train === 'stochastic' ? [false] : [false, true]) {
          const mode = training ? 'train' : 'eval';
          const m = c.make(seed).train(training);
          const xs = inputsFor(c, seed);
          const { grads } = gradients(c, m, xs, r);
          // Inputs.
          xs.forEach((x, k) => {
            const base = x.dataSync() as Float32Array;
            const entries = fdEntries(x.size, `${c.name}/input${k}`);
            const fd = entries.map((i) =>
              centralDifference(base, i, h, (vals) => {
                const moved = xs.map((xx, j) => (j === k ? tf.tensor(vals, xx.shape, 'float32') : xx));
                const l = lossOf(c, m, moved, r);
                moved[k]!.dispose();
                return l;
              }),
            );
            const g = grads.get(`input${k}`)!;
            expectClose(entries.map((i) => g[i]!), fd, tol, `${c.name} (${mode}) ∂L/∂input${k}`);
          });
          // Parameters.
          for (const [name, v] of m.namedParameters()) {
            const base = v.dataSync().slice() as Float32Array;
            const entries = fdEntries(v.size, `${c.name}/${name}`);
            const fd = entries.map((i) =>
              centralDifference(base, i, h, (vals) => {
                tf.tidy(() => v.assign(tf.tensor(vals, v.shape, 'float32')));
                return lossOf(c, m, xs, r);
              }),
            );
            tf.tidy(() => v.assign(tf.tensor(base, v.shape, 'float32')));
            const g = grads.get(name)!;
            expectClose(entries.map((i) => g[i]!), fd, tol, `${c.name} (${mode}) ∂L/∂${name}`);
          }
          disposeAll(m, xs);
        }
      });

      it('behaves as declared in train and eval mode; eval samples are independent and change no buffer', () => {
        const m = c.make(seed);
        const xs = inputsFor(c, seed);
        const buffers = () => m.namedBuffers().map(([, v]) => Array.from(v.dataSync()));
        const out = (training: boolean) => {
          m.train(training);
          const y = run(c, m, xs);
          const v = Float32Array.from(y.dataSync());
          y.dispose();
          return v;
        };
        // Eval: deterministic, no buffer changes, each sample alone gives its row of the batch.
        const b0 = buffers();
        const e1 = out(false);
        const e2 = out(false);
        expect(Array.from(e2)).toEqual(Array.from(e1));
        expect(buffers()).toEqual(b0);
        const firsts = xs.map((x) => tf.slice(x, [0], [1]));
        m.eval();
        const alone = run(c, m, firsts);
        const rowSize = e1.length / c.output[0]!;
        expectClose(alone.dataSync(), e1.subarray(0, rowSize), AGREE_TOL, `${c.name}: sample 0 alone vs in its batch (eval)`);
        tf.dispose([alone, ...firsts]);
        expect(buffers()).toEqual(b0);
        // Train.
        const t1 = out(true);
        const t2 = out(true);
        const differs = (a: Float32Array, b: Float32Array) => maxAbsDiffArrays(a, b) > 1e-4 * Math.max(1, maxAbs(a));
        if (c.train === 'same') {
          expectClose(t1, e1, 1e-6, `${c.name}: train vs eval output`);
          expect(buffers()).toEqual(b0);
        } else if (c.train === 'stateful') {
          expect(differs(t1, e1), `${c.name}: train output should use batch statistics`).toBe(true);
          expect(buffers(), `${c.name}: train mode should update buffers`).not.toEqual(b0);
          expectClose(t2, t1, 1e-6, `${c.name}: train output of the same batch`);
        } else {
          expect(differs(t1, e1), `${c.name}: train output should be random`).toBe(true);
          expect(differs(t1, t2), `${c.name}: two train calls should draw differently`).toBe(true);
          expect(buffers()).toEqual(b0);
          // Same seed, same draws.
          const twin = c.make(seed).train(true);
          const y = run(c, twin, xs);
          expect(Array.from(y.dataSync())).toEqual(Array.from(t1));
          y.dispose();
          twin.dispose();
        }
        disposeAll(m, xs);
      });

      it('saves and loads its state (encodeModule → decodeIntoModule) and reproduces the outputs', async () => {
        const a = c.make(seed);
        const xs = inputsFor(c, seed);
        if (c.train === 'stateful') run(c, a.train(true), xs).dispose(); // buffers away from their init
        const { modelJson, weights } = await encodeModule(a, { kind: c.name });
        const b = c.make(seed + 1000);
        decodeIntoModule(b, modelJson, weights, c.name);
        for (const [name, v] of a.stateDict()) expect(Array.from(b.stateDict().get(name)!.dataSync()), name).toEqual(Array.from(v.dataSync()));
        for (const training of c.train === 'stochastic' ? [false] : [false, true]) {
          a.train(training);
          b.train(training);
          const ya = run(c, a, xs);
          const yb = run(c, b, xs);
          expect(Array.from(yb.dataSync()), `${c.name} (${training ? 'train' : 'eval'})`).toEqual(Array.from(ya.dataSync()));
          tf.dispose([ya, yb]);
        }
        b.dispose();
        disposeAll(a, xs);
      });
    });
  }, backends);

  if (backends.length > 1) {
    describe(`${title}: layer contract across backends`, () => {
      it.each(cases as LayerCase[])('$name: ' + backends.join(' and ') + ' agree on outputs and gradients for the same seed', async (c) => {
        const seed = 11;
        const prints: Record<string, Float32Array>[] = [];
        for (const backend of backends) prints.push(await onBackend(backend, () => fingerprint(c, seed)));
        const [ref, ...others] = prints;
        for (const other of others) {
          expect(Object.keys(other!)).toEqual(Object.keys(ref!));
          for (const [k, v] of Object.entries(ref!)) expectClose(other![k]!, v, AGREE_TOL, `${c.name}: ${k}`);
        }
      });
    });
  }
}
