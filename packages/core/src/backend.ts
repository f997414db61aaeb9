import * as tf from '@tensorflow/tfjs-core';
// The gradients of the core ops (tfjs-core's main entry registers none). `#tfjs-gradients` is a
// subpath import of this package (package.json `imports`): browser bundlers get tfjs-core's own
// ES-module `register_all_gradients` (no tfjs-layers in the bundle); Node, which loads tfjs-core's
// CommonJS build where that file does not exist, gets tfjs-layers, whose Node build registers them.
import '#tfjs-gradients';
import { SkelflowError } from '@skelflow/base';
import { withoutWasmExceptionListeners } from './wasm_listeners.js';

/** Backends `@skelflow` selects by name. `auto`: wasm in Node; webgl, wasm or cpu in a browser (see {@link initBackend}). */
export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu' | 'auto';

/** The names of the tfjs wasm backend's binaries (one is fetched, depending on SIMD and threads support). */
export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /**
   * Where a browser fetches the wasm backend's `.wasm` files: a URL prefix ending in `/` (the folder
   * serving `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm`), or a map from each file name
   * to its URL. Handed to tfjs's `setWasmPaths` before the backend starts. In a browser, `auto`
   * picks wasm only when this is given. Not needed in Node (the files are read from the package).
   */
  wasmPaths?: string | Partial<Record<WasmBinaryName, string>>;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * Selects and initialises a tfjs backend.
 *
 * - **Node**: `auto` is wasm (it ships its `.wasm` and is far faster than `cpu` on conv-heavy
 *   code); if it cannot start, `cpu` is used and the returned name says so. The
 *   `SKELFLOW_BACKEND` environment variable overrides `auto`. The process-wide
 *   `uncaughtException` / `unhandledRejection` listeners the wasm backend's Emscripten runtime
 *   installs are removed again, so the program's own errors keep their stack and exit code 1.
 * - **Browser**: `auto` is webgl when its tfjs package (`@tensorflow/tfjs-backend-webgl`) has been
 *   imported, else wasm when `options.wasmPaths` says where the `.wasm` files are served, else
 *   cpu. An explicit `wasm` whose files cannot be fetched is an error naming where they were
 *   looked for (never a silent fallback to cpu).
 *
 * @param name - `wasm`, `cpu`, `webgl`, `webgpu` or `auto` (default).
 * @returns the name of the backend actually in use.
 * @throws SkelflowError when the backend cannot start (in Node, wasm falls back to cpu instead)
 * @example
 * ```ts
 * import { initBackend } from '@skelflow/core';
 * const used = await initBackend('cpu'); // 'cpu'
 * // In a browser, with the .wasm files copied to /tfjs-wasm/:
 * await initBackend('wasm', { wasmPaths: '/tfjs-wasm/' });
 * ```
 */
export async function initBackend(name: BackendName = 'auto', options: BackendOptions = {}): Promise<string> {
  const wanted = resolveAuto(name, options);
  await ensureRegistered(wanted, options);
  if (tf.getBackend() === wanted && tf.findBackend(wanted)) return wanted;
  const ok = await withoutWasmExceptionListeners(() => tf.setBackend(wanted).catch(() => false));
  if (!ok) {
    if (wanted === 'wasm' && isNode) {
      await ensureRegistered('cpu', options);
      await tf.setBackend('cpu');
      await tf.ready();
      return 'cpu';
    }
    if (wanted === 'wasm') {
      const where =
        options.wasmPaths === undefined
          ? 'next to the page (no wasmPaths given)'
          : typeof options.wasmPaths === 'string'
            ? `under ${options.wasmPaths}`
            : `at ${Object.values(options.wasmPaths).join(', ')}`;
      throw new SkelflowError(
        `the wasm backend could not start: its .wasm files were not found ${where}. Serve the files of ` +
          `@tensorflow/tfjs-backend-wasm/dist/*.wasm and pass initBackend('wasm', { wasmPaths: '<their URL folder>/' }), or use initBackend('cpu')`,
      );
    }
    throw new SkelflowError(`backend '${wanted}' could not be initialised`);
  }
  await tf.ready();
  return tf.getBackend();
}

function resolveAuto(name: BackendName, options: BackendOptions): Exclude<BackendName, 'auto'> {
  if (name !== 'auto') return name;
  if (isNode) {
    const env = process.env.SKELFLOW_BACKEND as BackendName | undefined;
    return env && env !== 'auto' ? env : 'wasm';
  }
  if (tf.findBackendFactory('webgl')) return 'webgl';
  if (options.wasmPaths !== undefined) return 'wasm';
  return 'cpu';
}

async function ensureRegistered(name: Exclude<BackendName, 'auto'>, options: BackendOptions): Promise<void> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths);
    // Always (idempotent): the backend may have been registered by someone else's import, and its
    // missing or float32-accumulating kernels must be replaced before training on it.
    (await import('./register_wasm_kernels.js')).registerWasmKernels();
    (await import('./wasm_data_movement_kernels.js')).registerWasmDataMovementKernels();
    return;
  }
  if (tf.findBackendFactory(name)) return;
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    default:
      throw new SkelflowError(
        `backend '${name}' is not bundled with @skelflow/core; import its tfjs package before calling initBackend`,
      );
  }
}
