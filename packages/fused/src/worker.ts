// The scoring worker's entry (started by ScoringPool through a small loader). It imports the
// kernel modules the plan needs — each registers its kernels, in this thread's registry — then
// answers the handshake and evaluates chunks of samples claimed from a shared counter.
import { parentPort, workerData } from 'node:worker_threads';
import { logProbSamples } from './engine.js';
import type { FlowPlan } from './plan.js';
import { createScratch } from './scratch.js';

interface Job {
  kind: 'logProb';
  plan: FlowPlan;
  params: Float64Array;
  buffers: Float64Array;
  x: SharedArrayBuffer;
  context: SharedArrayBuffer | null;
  out: SharedArrayBuffer;
  counter: SharedArrayBuffer;
  n: number;
  chunk: number;
  event: number;
}

const data = workerData as { ctrl: SharedArrayBuffer; modules: string[] };
const ctrl = new Int32Array(data.ctrl);

function signal(v: 1 | 2): void {
  Atomics.store(ctrl, 0, v);
  Atomics.notify(ctrl, 0);
}

let ready = true;
try {
  for (const m of data.modules) await import(m);
} catch {
  ready = false;
  signal(2);
}

if (ready) {
  const ws = createScratch();
  parentPort!.on('message', (job: Job) => {
    try {
      const x = new Float32Array(job.x);
      const context = job.context ? new Float64Array(job.context) : null;
      const K = job.plan.contextSize;
      const out = new Float64Array(job.out);
      const counter = new Int32Array(job.counter);
      // Claim chunks from the shared counter until none are left (the caller does the same).
      for (;;) {
        const start = Atomics.add(counter, 0, 1) * job.chunk;
        if (start >= job.n) break;
        const end = Math.min(job.n, start + job.chunk);
        logProbSamples(
          job.plan, job.params, job.buffers, ws, x.subarray(start * job.event, end * job.event), end - start, out.subarray(start, end),
          context ? context.subarray(start * K, end * K) : null,
        );
      }
      signal(1);
    } catch {
      signal(2);
    }
  });
  signal(1);
}
