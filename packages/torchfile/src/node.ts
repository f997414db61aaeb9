// Node-only: reading a checkpoint from disk. Kept out of the main entry so browser bundles never see node:fs.
import { readFile } from 'node:fs/promises';
import { InputError } from '@skelflow/base';
import { readTorchCheckpoint } from './checkpoint.js';
import type { PyValue } from './values.js';

/**
 * Reads a `torch.save` file from disk with {@link readTorchCheckpoint}.
 *
 * @example
 * ```ts
 * const ckpt = await readTorchFile('checkpoints/ShanghaiTech_85_9.tar');
 * ```
 * @throws InputError when the file cannot be read or is not a checkpoint.
 */
export async function readTorchFile(path: string): Promise<PyValue> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`, { source: path });
  }
  return readTorchCheckpoint(bytes, path);
}
