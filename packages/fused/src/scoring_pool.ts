import type { FlowPlan } from './plan.js';

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

/**
 * The worker entry next to this module: `dist/worker.js` beside the bundle, `src/worker.ts` beside
 * the TypeScript source (dev: loaded through tsx when it is installed, else the handshake fails
 * and scoring stays on the calling thread).
 */
function workerEntry(): { url: string; typescript: boolean } | null {
  let here: string;
  try {
    here = import.meta.url;
  } catch {
    return null;
  }
  if (typeof here !== 'string' || !here.startsWith('file:')) return null;
  const typescript = /\.[cm]?ts$/.test(here);
  return { url: new URL(typescript ? './worker.ts' : './worker.js', here).href, typescript };
}

// A tiny CommonJS loader for the ES-module entry: a failed import (no TypeScript loader, a kernel
// module that cannot load) answers the handshake with 2 at once, because the caller blocks on the
// flag and would otherwise only notice at the timeout.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.ctrl);
(async () => {
  if (workerData.typescript) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch(() => {
  Atomics.store(ctrl, 0, 2);
  Atomics.notify(ctrl, 0);
});
`;

interface Slot {
  worker: NodeWorker;
  ctrl: Int32Array;
}

/** Samples per claimed chunk: small enough to balance the threads, large enough to amortise a claim. */
const CHUNK = 32;

/** Waits (blocking) until a worker sets its flag; 0 on timeout. */
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
 * allows on the main thread). Each worker runs `worker.ts` and imports the kernel modules the
 * plan needs before it answers the handshake. Workers are unref'd, so they never keep a process
 * alive.
 */
export class ScoringPool {
  private readonly slots: Slot[] = [];
  private broken = false;

  private constructor(
    private readonly wt: WorkerThreadsModule,
    private readonly entry: { url: string; typescript: boolean },
    private readonly modules: string[],
  ) {}

  /** One fewer than the machine's cores in Node (the caller is the other), else 0. */
  static defaultThreads(): number {
    const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
    if (!os || !nodeBuiltin('node:worker_threads')) return 0;
    return Math.max(0, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  }

  /**
   * A pool whose workers import `modules` (the URLs of the kernel modules a plan needs), or `null`
   * where worker threads, shared memory or a file URL for the entry are unavailable.
   */
  static create(modules: string[]): ScoringPool | null {
    const wt = nodeBuiltin<WorkerThreadsModule>('node:worker_threads');
    const entry = workerEntry();
    if (!wt || !entry || typeof SharedArrayBuffer === 'undefined') return null;
    return new ScoringPool(wt, entry, modules);
  }

  private slot(i: number): Slot | null {
    if (this.broken) return null;
    while (this.slots.length <= i) {
      const ctrl = new Int32Array(new SharedArrayBuffer(4));
      let worker: NodeWorker;
      try {
        worker = new this.wt.Worker(BOOTSTRAP, {
          eval: true,
          workerData: { ctrl: ctrl.buffer, entry: this.entry.url, typescript: this.entry.typescript, modules: this.modules },
        });
      } catch {
        this.broken = true;
        return null;
      }
      worker.unref();
      // Handshake: the worker sets 1 once its kernels are loaded, 2 if they cannot be; a worker
      // that cannot start must not leave a caller blocked.
      if (waitFlag(ctrl, 10_000) !== 1) {
        void worker.terminate();
        this.broken = true;
        return null;
      }
      this.slots.push({ worker, ctrl });
    }
    return this.slots[i]!;
  }

  /** Shared input/context/output/counter memory, reused across calls (grown when too small). */
  private shared: { x: Float32Array; ctx: Float64Array; out: Float64Array; counter: Int32Array } | null = null;

  private sharedFor(values: number, contextValues: number, n: number): { x: Float32Array; ctx: Float64Array; out: Float64Array; counter: Int32Array } {
    const cur = this.shared;
    if (cur && cur.x.length >= values && cur.ctx.length >= contextValues && cur.out.length >= n) return cur;
    const next = {
      x: new Float32Array(new SharedArrayBuffer(Math.max(values, cur?.x.length ?? 0) * 4)),
      ctx: new Float64Array(new SharedArrayBuffer(Math.max(contextValues, cur?.ctx.length ?? 0, 1) * 8)),
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
    plan: FlowPlan, params: Float64Array, buffers: Float64Array, x: Float32Array, context: Float64Array | null, n: number, extra: number, out: Float64Array,
    local: (x: Float32Array, context: Float64Array | null, n: number, out: Float64Array) => void,
  ): void {
    const event = plan.channels * plan.frames * plan.joints;
    const K = plan.contextSize;
    const ctxOf = (start: number, end: number): Float64Array | null => (context ? context.subarray(start * K, end * K) : null);
    const slots: Slot[] = [];
    for (let i = 0; i < extra; i++) {
      const slot = this.slot(i);
      if (!slot) break;
      slots.push(slot);
    }
    if (slots.length === 0) {
      local(x, context, n, out);
      return;
    }
    const sh = this.sharedFor(n * event, context ? n * K : 0, n);
    sh.x.set(x.subarray(0, n * event));
    if (context) sh.ctx.set(context.subarray(0, n * K));
    Atomics.store(sh.counter, 0, 0);
    for (const slot of slots) {
      Atomics.store(slot.ctrl, 0, 0);
      slot.worker.postMessage({
        kind: 'logProb', plan, params, buffers, x: sh.x.buffer, context: context ? sh.ctx.buffer : null, out: sh.out.buffer, counter: sh.counter.buffer, n, chunk: CHUNK, event,
      });
    }
    const done = new Uint8Array(Math.ceil(n / CHUNK));
    for (;;) {
      const c = Atomics.add(sh.counter, 0, 1);
      const start = c * CHUNK;
      if (start >= n) break;
      const end = Math.min(n, start + CHUNK);
      local(x.subarray(start * event, end * event), ctxOf(start, end), end - start, out.subarray(start, end));
      done[c] = 1;
    }
    let failed = false;
    for (const slot of slots) if (waitFlag(slot.ctrl, 600_000) !== 1) failed = true;
    for (let c = 0; c < done.length; c++) {
      if (done[c]) continue;
      const start = c * CHUNK;
      const end = Math.min(n, start + CHUNK);
      if (failed) local(x.subarray(start * event, end * event), ctxOf(start, end), end - start, out.subarray(start, end));
      else out.set(sh.out.subarray(start, end), start);
    }
    if (failed) this.broken = true;
  }

  /** Workers started and not marked broken. */
  get liveWorkers(): number {
    return this.broken ? 0 : this.slots.length;
  }

  /** Stops the workers. */
  close(): void {
    for (const s of this.slots) void s.worker.terminate();
    this.slots.length = 0;
  }
}
