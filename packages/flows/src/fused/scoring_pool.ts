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
      // Claim chunks from the shared counter until none are left (the caller does the same).
      const x = new Float32Array(job.x);
      const out = new Float64Array(job.out);
      const counter = new Int32Array(job.counter);
      for (;;) {
        const start = Atomics.add(counter, 0, 1) * job.chunk;
        if (start >= job.n) break;
        const end = Math.min(job.n, start + job.chunk);
        kernels.logProbSamples(job.plan, job.params, job.buffers, ws, x.subarray(start * job.event, end * job.event), end - start, out.subarray(start, end));
      }
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

/** Samples per claimed chunk: small enough to balance the threads, large enough to amortise a claim. */
const CHUNK = 32;

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

  /** Shared input/output/counter memory, reused across calls (grown when too small). */
  private shared: { x: Float32Array; out: Float64Array; counter: Int32Array } | null = null;

  private sharedFor(values: number, n: number): { x: Float32Array; out: Float64Array; counter: Int32Array } {
    const cur = this.shared;
    if (cur && cur.x.length >= values && cur.out.length >= n) return cur;
    const next = {
      x: new Float32Array(new SharedArrayBuffer(Math.max(values, cur?.x.length ?? 0) * 4)),
      out: new Float64Array(new SharedArrayBuffer(Math.max(n, cur?.out.length ?? 0) * 8)),
      counter: new Int32Array(new SharedArrayBuffer(4)),
    };
    this.shared = next;
    return next;
  }

  /**
   * Evaluates `n` samples on this thread and `extra` workers, which claim chunks of `CHUNK`
   * samples from a shared counter until none are left (so a slower thread simply takes fewer).
   * `local` runs a range on this thread. If a worker is unavailable or fails, its claimed chunks
   * are redone here.
   */
  logProb(
    plan: FlowPlan, params: Float64Array, buffers: Float64Array, x: Float32Array, n: number, extra: number, out: Float64Array,
    local: (x: Float32Array, n: number, out: Float64Array) => void,
  ): void {
    const event = plan.channels * plan.frames * plan.joints;
    const slots: Slot[] = [];
    for (let i = 0; i < extra; i++) {
      const slot = this.slot(i);
      if (!slot) break;
      slots.push(slot);
    }
    if (slots.length === 0) {
      local(x, n, out);
      return;
    }
    const sh = this.sharedFor(n * event, n);
    sh.x.set(x.subarray(0, n * event));
    Atomics.store(sh.counter, 0, 0);
    for (const slot of slots) {
      Atomics.store(slot.ctrl, 0, 0);
      slot.worker.postMessage({ kind: 'logProb', plan, params, buffers, x: sh.x.buffer, out: sh.out.buffer, counter: sh.counter.buffer, n, chunk: CHUNK, event });
    }
    const done = new Uint8Array(Math.ceil(n / CHUNK));
    for (;;) {
      const c = Atomics.add(sh.counter, 0, 1);
      const start = c * CHUNK;
      if (start >= n) break;
      const end = Math.min(n, start + CHUNK);
      local(x.subarray(start * event, end * event), end - start, out.subarray(start, end));
      done[c] = 1;
    }
    let failed = false;
    for (const slot of slots) if (waitFlag(slot.ctrl, 600_000) !== 1) failed = true;
    for (let c = 0; c < done.length; c++) {
      if (done[c]) continue;
      const start = c * CHUNK;
      const end = Math.min(n, start + CHUNK);
      if (failed) local(x.subarray(start * event, end * event), end - start, out.subarray(start, end));
      else out.set(sh.out.subarray(start, end), start);
    }
    if (failed) this.broken = true;
  }

  /** Workers started and not marked broken. */
  get liveWorkers(): number {
    return this.broken ? 0 : this.slots.length;
  }

  close(): void {
    for (const s of this.slots) void s.worker.terminate();
    this.slots.length = 0;
  }
}
