import * as tf from '@tensorflow/tfjs-core';
// Importing tfjs-layers registers the gradients of the core ops; tfjs-core alone has none.
import '@tensorflow/tfjs-layers';
import { SkelflowError } from '@skelflow/base';

/** Backends `@skelflow` selects by name. `auto` = wasm in Node, the tfjs default elsewhere. */
export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu' | 'auto';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/**
 * Selects and initialises a tfjs backend. In Node the wasm backend is the default (it ships its
 * `.wasm` and is far faster than `cpu` on conv-heavy code); if it cannot start, `cpu` is used and
 * the returned name says so. The `SKELFLOW_BACKEND` environment variable overrides `auto`.
 *
 * @param name - `wasm`, `cpu`, `webgl`, `webgpu` or `auto` (default).
 * @returns the name of the backend actually in use.
 * @example
 * ```ts
 * import { initBackend } from '`@skelflow/core`';
 * const used = await initBackend('cpu'); // 'cpu'
 * ```
 */
export async function initBackend(name: BackendName = 'auto'): Promise<string> {
  let wanted: BackendName = name;
  if (wanted === 'auto') {
    const env = isNode ? process.env.SKELFLOW_BACKEND : undefined;
    wanted = (env as BackendName | undefined) ?? (isNode ? 'wasm' : 'auto');
  }
  if (wanted === 'auto') {
    await tf.ready();
    return tf.getBackend();
  }
  await ensureRegistered(wanted);
  if (tf.getBackend() === wanted && tf.findBackend(wanted)) return wanted;
  const ok = await tf.setBackend(wanted);
  if (!ok) {
    if (wanted === 'wasm') {
      await ensureRegistered('cpu');
      await tf.setBackend('cpu');
      await tf.ready();
      return 'cpu';
    }
    throw new SkelflowError(`backend '${wanted}' could not be initialised`);
  }
  await tf.ready();
  return tf.getBackend();
}

async function ensureRegistered(name: Exclude<BackendName, 'auto'>): Promise<void> {
  if (name === 'wasm') {
    if (!tf.findBackendFactory('wasm')) await import('@tensorflow/tfjs-backend-wasm');
    // Always (idempotent): the backend may have been registered by someone else's import, and its
    // missing or float32-accumulating kernels must be replaced before training on it.
    (await import('./register_wasm_kernels.js')).registerWasmKernels();
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
