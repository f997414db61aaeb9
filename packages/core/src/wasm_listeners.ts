// tfjs-backend-wasm's Emscripten runtime, when it starts in Node, adds process-wide listeners:
// `uncaughtException` rethrows the error (Node then exits with code 7, "uncaught exception handler
// failed", and a trace headed by the wasm bundle) and `unhandledRejection` turns every rejection
// into such an exception. Its own `_dispose` means to remove them but its filter is inverted
// (`!list.indexOf(l) > -1` is always false), so they stay. We remove what appeared while the
// backend started: the process's own error handling is the program's, not a library's.

type ProcessEvents = 'uncaughtException' | 'unhandledRejection';
const EVENTS: ProcessEvents[] = ['uncaughtException', 'unhandledRejection'];

interface ListenerProcess {
  listeners(event: ProcessEvents): ((...args: unknown[]) => void)[];
  removeListener(event: ProcessEvents, listener: (...args: unknown[]) => void): void;
}

function nodeProcess(): ListenerProcess | null {
  const p = (globalThis as { process?: Partial<ListenerProcess> & { versions?: { node?: string } } }).process;
  return p?.versions?.node && typeof p.listeners === 'function' && typeof p.removeListener === 'function' ? (p as ListenerProcess) : null;
}

/**
 * Runs `start` (which may start the wasm backend) and then removes the `uncaughtException` /
 * `unhandledRejection` listeners that were added meanwhile. Outside Node it just runs `start`.
 */
export async function withoutWasmExceptionListeners<T>(start: () => Promise<T>): Promise<T> {
  const proc = nodeProcess();
  if (!proc) return start();
  const before = new Map(EVENTS.map((e) => [e, new Set(proc.listeners(e))]));
  try {
    return await start();
  } finally {
    for (const e of EVENTS) {
      for (const l of proc.listeners(e)) if (!before.get(e)!.has(l)) proc.removeListener(e, l);
    }
  }
}
