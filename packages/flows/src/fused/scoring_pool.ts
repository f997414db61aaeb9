import type { FlowPlan } from '@skelflow/core';
import { createFusedKernels } from './kernels.js';

// Node built-ins reached without a static import, so browser bundles of this package stay clean.
interface NodeWorker {
  postMessage(msg: unknown): void;
  terminate(): Promise<number>;
  unref(): void;
}
interface WorkerThreadsModule {
  Worker: new (src: string, opts: { eval: true; workerData: unknown }) => NodeWorker;
}
function nodeBuiltin<T>(name: string): T | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  try {
    return (proc?.getBuiltinModule?.(name) as T | undefined) ?? null;
  } catch {
    return null;
  }
}

/** The worker's program: the kernels' own source, then a loop answering jobs through shared memory. */
function workerSource(): string {
  // Bundlers and dev-time transpilers (esbuild's keepNames) may wrap functions in a __name helper
  // that lives outside the function's text; the worker defines a no-op one. A failure to build the
  // kernels answers the handshake with 2 at once instead of leaving the caller to time out.
  return `
const { parentPort, workerData } = require('node:worker_threads');
var __name = (f) => f;
const ctrl = new Int32Array(workerData.ctrl);
let kernels = null;
let ws = null;
try {
  kernels = (${createFusedKernels.toString()})();
  ws = kernels.createScratch();
} catch (e) {
  Atomics.store(ctrl, 0, 2);
  Atomics.notify(ctrl, 0);
}
parentPort.on('message', (job) => {
  if (!kernels) return;
  try {
    if (job.kind === 'logProb') {
      kernels.logProbSamples(job.plan, job.params, job.buffers, ws, new Float32Array(job.x), job.count, new Float64Array(job.out));
    }
    Atomics.store(ctrl, 0, 1);
  } catch (e) {
    Atomics.store(ctrl, 0, 2);
  }
  Atomics.notify(ctrl, 0);
});
`;
}

interface Slot {
  worker: NodeWorker;
  ctrl: Int32Array;
}

/** Waits (blocking) until a worker sets its flag; false on timeout. */
function waitFlag(ctrl: Int32Array, timeoutMs: number): number {
  const deadline = Date.now() + timeoutMs;
  while (Atomics.load(ctrl, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) return 0;
    Atomics.wait(ctrl, 0, 0, Math.min(left, 1000));
  }
  return Atomics.load(ctrl, 0);
}

/**
 * Worker threads that evaluate a fused flow on shares of a batch while the calling thread does
 * its own share; the call stays synchronous (the caller blocks on `Atomics.wait`, which Node
 * allows on the main thread). Workers are unref'd, so they never keep a process alive.
 */
export class ScoringPool {
  private readonly slots: Slot[] = [];
  private broken = false;

  private constructor(private readonly wt: WorkerThreadsModule) {}

  /** One fewer than the machine's cores in Node (the caller is the other), else 0. */
  static defaultThreads(): number {
    const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
    if (!os || !nodeBuiltin('node:worker_threads')) return 0;
    return Math.max(0, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  }

  /** A pool, or `null` where worker threads or shared memory are unavailable. */
  static create(): ScoringPool | null {
    const wt = nodeBuiltin<WorkerThreadsModule>('node:worker_threads');
    if (!wt || typeof SharedArrayBuffer === 'undefined') return null;
    return new ScoringPool(wt);
  }

  private slot(i: number): Slot | null {
    if (this.broken) return null;
    while (this.slots.length <= i) {
      const ctrl = new Int32Array(new SharedArrayBuffer(4));
      const worker = new this.wt.Worker(workerSource(), { eval: true, workerData: { ctrl: ctrl.buffer } });
      worker.unref();
      // Handshake: a worker that cannot start must not leave a caller blocked.
      worker.postMessage({ kind: 'ping' });
      if (waitFlag(ctrl, 10_000) !== 1) {
        void worker.terminate();
        this.broken = true;
        return null;
      }
      this.slots.push({ worker, ctrl });
    }
    return this.slots[i]!;
  }

  /**
   * Splits `n` samples into `extra + 1` contiguous shares; `local` computes the first on this
   * thread. Falls back to `local` for everything if a worker is unavailable or fails.
   */
  logProb(
    plan: FlowPlan, params: Float64Array, buffers: Float64Array, x: Float32Array, n: number, extra: number, out: Float64Array,
    local: (x: Float32Array, n: number, out: Float64Array) => void,
  ): void {
    const event = plan.channels * plan.frames * plan.joints;
    const shares = extra + 1;
    const bounds = Array.from({ length: shares + 1 }, (_, i) => Math.round((i * n) / shares));
    const jobs: { slot: Slot; start: number; count: number; res: Float64Array }[] = [];
    for (let i = 1; i < shares; i++) {
      const slot = this.slot(i - 1);
      if (!slot) break;
      const start = bounds[i]!;
      const count = bounds[i + 1]! - start;
      const xs = new Float32Array(new SharedArrayBuffer(count * event * 4));
      xs.set(x.subarray(start * event, (start + count) * event));
      const res = new Float64Array(new SharedArrayBuffer(count * 8));
      Atomics.store(slot.ctrl, 0, 0);
      slot.worker.postMessage({ kind: 'logProb', plan, params, buffers, x: xs.buffer, out: res.buffer, count });
      jobs.push({ slot, start, count, res });
    }
    const run = (start: number, end: number): void => {
      if (end > start) local(x.subarray(start * event, end * event), end - start, out.subarray(start, end));
    };
    if (jobs.length === 0) {
      run(0, n);
    } else {
      run(0, jobs[0]!.start);
      const last = jobs[jobs.length - 1]!;
      run(last.start + last.count, n); // shares no worker took
    }
    for (const j of jobs) {
      if (waitFlag(j.slot.ctrl, 600_000) === 1) {
        out.set(j.res, j.start);
      } else {
        this.broken = true;
        run(j.start, j.start + j.count);
      }
    }
  }

  close(): void {
    for (const s of this.slots) void s.worker.terminate();
    this.slots.length = 0;
  }
}
