// The kernel contract test (vitest only): runs a flow on the fused engine and on tfjs autodiff
// through its tensor modules, and requires the two to agree on values, log-determinants, latents,
// gradients with respect to parameters and inputs, and the buffers (BatchNorm running statistics,
// ActNorm initialisation) after a train step — on every backend asked for. Any package can run it
// on flows built from its own layers to check the kernels it registers.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, type BackendName } from '@skelflow/core';
import { FusedFlow, findFastPath, type FusableFlow } from '@skelflow/fused';
import { beforeAll, describe, expect, it } from 'vitest';

/** What the contract needs of a tensor flow (`@skelflow/flows`' `NormalizingFlow` is one). */
export interface ContractFlow extends FusableFlow {
  readonly transform: { forward(x: tf.Tensor, context?: tf.Tensor): { y: tf.Tensor; logDet: tf.Tensor } };
  readonly prior: { logProb(z: tf.Tensor, inputs?: { labels?: tf.Tensor; context?: tf.Tensor }): tf.Tensor };
  logProb(x: tf.Tensor, inputs?: { context?: tf.Tensor; labels?: tf.Tensor }): tf.Tensor;
  parameters(): tf.Variable[];
  train(): unknown;
  eval(): unknown;
  dispose(): void;
}

/** One configuration to check. */
export interface KernelContractCase {
  name: string;
  /** A new flow; the same seed must give the same weights (the contract builds twins). */
  build(seed: number): ContractFlow;
  /** Event shape of one sample, e.g. `[C, T, V]`. */
  eventShape: number[];
  /** Per-sample context shape of a conditional flow, e.g. `[K]`. */
  contextShape?: number[];
  /** Prior components (+1 / −1) per sample, for a labelled prior. */
  labels?: number[];
  /** Samples per batch; default 6. */
  batch?: number;
  /**
   * Which whole-flow fast path must run the plan: its name, `null` for none (the generic
   * layer-by-layer kernels), or undefined for no check.
   */
  fastPath?: string | null;
}

/** Options of {@link describeKernelContract}. */
export interface KernelContractOptions {
  /** Backends to run on; default cpu and wasm. */
  backends?: BackendName[];
  /** Also require scoring on one worker thread to run (and agree); default false. */
  workers?: boolean;
  /** Relative tolerance of gradients (to the gradient's norm); default 2e-4. */
  gradTolerance?: number;
}

const max = (a: number, b: number): number => (a > b ? a : b);

/**
 * Registers, under `describe(title)`, two tests per case and backend: a train step (loss, every
 * parameter gradient, the input gradient, every buffer and parameter afterwards) and eval (log p
 * on the one-sample path and through workers, the latent z and the log-determinant of the batch
 * forward), each against tfjs autodiff on the tensor modules, plus no leaked tensors.
 *
 * @example
 * ```ts
 * import { describeKernelContract } from '@skelflow/testing';
 * describeKernelContract('my coupling kernel', [{ name: 'default', eventShape: [4], build: (seed) => myFlow(seed) }]);
 * ```
 */
export function describeKernelContract(title: string, cases: KernelContractCase[], options: KernelContractOptions = {}): void {
  const backends = options.backends ?? ['cpu', 'wasm'];
  const gradTol = options.gradTolerance ?? 2e-4;
  describe.each(backends)(`${title} — kernel contract on %s`, (backend) => {
    beforeAll(async () => {
      expect(await initBackend(backend)).toBe(backend);
    });

    describe.each(cases)('$name', (c) => {
      const B = c.batch ?? 6;
      const event = c.eventShape.reduce((a, d) => a * d, 1);
      const K = (c.contextShape ?? []).reduce((a, d) => a * d, 1);
      const rng = new Rng(17);
      const xData = Float32Array.from({ length: B * event }, () => rng.normal());
      const ctxData = c.contextShape ? Float32Array.from({ length: B * K }, () => rng.normal()) : undefined;
      const labels = c.labels ? Float32Array.from(c.labels) : undefined;
      const compile = (flow: ContractFlow): FusedFlow => {
        const f = FusedFlow.tryCreate(flow, c.eventShape, c.contextShape ? { contextShape: c.contextShape } : {});
        if (!(f instanceof FusedFlow)) throw new Error(`${c.name}: no fused engine: ${f.reason}`);
        if (c.fastPath !== undefined) expect(findFastPath(f.plan, 'trainForward')?.path.name ?? null).toBe(c.fastPath);
        return f;
      };
      const inputs = (): { context?: tf.Tensor; labels?: tf.Tensor } => ({
        ...(ctxData ? { context: tf.tensor(ctxData, [B, ...c.contextShape!]) } : {}),
        ...(labels ? { labels: tf.tensor1d(labels) } : {}),
      });

      it('train step: loss, parameter and input gradients, buffers and parameters afterwards', () => {
        const before = tf.memory().numTensors;
        const flow = c.build(5);
        const twin = c.build(5);
        flow.train();
        twin.train();
        const f = compile(twin);
        const loss = f.lossAndGrad(xData, labels, ctxData);
        const dx = f.inputGradient();
        const x0 = tf.tensor(xData, [B, ...c.eventShape]);
        const x = tf.variable(x0);
        const params = flow.parameters();
        const inp = inputs();
        // The fused loss: mean NLL in bits per dimension.
        const { value, grads } = tf.variableGrads(
          () => tf.div(tf.neg(tf.mean(flow.logProb(x, inp))), Math.LN2 * event) as tf.Scalar,
          [...params, x],
        );
        const ref = value.dataSync()[0]!;
        expect(Math.abs(loss - ref), 'loss').toBeLessThan(2e-5 * max(1, Math.abs(ref)));
        const byName = new Map(flow.namedParameters());
        let gNorm = 0;
        for (const p of f.layout.params) for (const g of grads[byName.get(p.name)!.name]!.dataSync()) gNorm += g * g;
        gNorm = Math.sqrt(gNorm);
        expect(gNorm, 'gradient norm').toBeGreaterThan(1e-4);
        // The tensor path's own float32 error bounds the comparison, relative to the whole gradient.
        for (const p of f.layout.params) {
          const g = grads[byName.get(p.name)!.name]!.dataSync();
          for (let i = 0; i < p.size; i++) expect(Math.abs(f.grads[p.offset + i]! - g[i]!), `∂/∂${p.name}[${i}]`).toBeLessThan(gradTol * gNorm);
        }
        const gx = grads[x.name]!.dataSync();
        let xNorm = 0;
        for (const g of gx) xNorm += g * g;
        xNorm = Math.sqrt(xNorm);
        expect(xNorm, 'input gradient norm').toBeGreaterThan(1e-6);
        for (let i = 0; i < gx.length; i++) expect(Math.abs(dx[i]! - gx[i]!), `∂/∂x[${i}]`).toBeLessThan(gradTol * xNorm);
        // Buffers after the train-mode forward (running statistics, flags) and parameters
        // (data-dependent initialisation) — the fused copy written back must equal the tensor one.
        f.push();
        const ours = new Map([...twin.namedBuffers(), ...twin.namedParameters()].map(([n, b]) => [n, b.dataSync()]));
        for (const [n, b] of [...flow.namedBuffers(), ...flow.namedParameters()]) {
          const a = b.dataSync();
          const o = ours.get(n)!;
          for (let i = 0; i < a.length; i++) expect(Math.abs(o[i]! - a[i]!), `${n}[${i}] after the step`).toBeLessThan(1e-5 * max(1, Math.abs(a[i]!)));
        }
        tf.dispose([x0, x, value, ...Object.values(grads), ...Object.values(inp)]);
        flow.dispose();
        twin.dispose();
        f.dispose();
        expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
      });

      it('eval: log p (one-sample path and worker), latent z and log-determinant', () => {
        const before = tf.memory().numTensors;
        const flow = c.build(9);
        // A train-mode pass first, so running statistics and initialisations are not at their defaults.
        flow.train();
        const x = tf.tensor(xData, [B, ...c.eventShape]);
        const inp = inputs();
        tf.dispose(flow.logProb(x, inp));
        flow.eval();
        const f = compile(flow);
        // Scoring has no labels (a mixture prior scores its +1 component), as the fused engine.
        const refT = flow.logProb(x, inp.context ? { context: inp.context } : {});
        const ref = refT.dataSync();
        const lp = f.logProb(xData, { threads: 0, ...(ctxData ? { context: ctxData } : {}) });
        for (let i = 0; i < B; i++) expect(Math.abs(lp[i]! - ref[i]!), `log p[${i}]`).toBeLessThan(2e-5 * event);
        const lpw = f.logProb(xData, { threads: 1, minPerThread: 1, ...(ctxData ? { context: ctxData } : {}) });
        if (options.workers) expect(f.workerThreads, 'worker threads').toBe(1);
        expect(Array.from(lpw)).toEqual(Array.from(lp));
        // The batch (training-layout) forward: z and log|det| against the tensor transform.
        const z = f.encode(xData, ctxData);
        const fwd = flow.transform.forward(x, inp.context);
        const zRef = fwd.y.dataSync();
        for (let i = 0; i < z.length; i++) expect(Math.abs(z[i]! - zRef[i]!), `z[${i}]`).toBeLessThan(1e-4 * max(1, Math.abs(zRef[i]!)));
        const zt = tf.tensor(Float32Array.from(z), [B, ...c.eventShape]);
        const lpz = flow.prior.logProb(zt);
        const priorZ = lpz.dataSync();
        const ldRef = fwd.logDet.dataSync();
        for (let i = 0; i < B; i++) expect(Math.abs(lp[i]! - priorZ[i]! - ldRef[i]!), `log|det|[${i}]`).toBeLessThan(2e-5 * event);
        tf.dispose([x, refT, fwd.y, fwd.logDet, zt, lpz, ...Object.values(inp)]);
        flow.dispose();
        f.dispose();
        expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
      });
    });
  });
}
