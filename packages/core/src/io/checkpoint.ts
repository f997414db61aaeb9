import { InputError, jsonPreview } from '@skelflow/base';

/** One tensor of a checkpoint, row-major (C order). */
export interface CheckpointTensor {
  shape: number[];
  dtype: string;
  data: Float32Array;
}

/** A PyTorch checkpoint exported to JSON: training arguments and the state dict by PyTorch name. */
export interface CheckpointJson {
  args: Record<string, unknown>;
  tensors: Map<string, CheckpointTensor>;
}

const DTYPES = new Set(['float32', 'float64', 'int64', 'int32', 'uint8', 'bool']);

/**
 * Parses a checkpoint JSON of the form `{args, state_dict: {name: {shape, dtype, data}}}` (PyTorch
 * names, NCHW conv weights), validating every entry. Numbers are stored as float32 (integer buffers
 * such as `num_batches_tracked` are exact up to 2²⁴).
 *
 * @param text - the file's contents.
 * @param source - the file name, used in error messages.
 * @example
 * ```ts
 * const ckpt = parseCheckpointJson(fs.readFileSync(p, 'utf8'), p);
 * ckpt.tensors.get('flow.layers.0.actnorm.bias')!.shape; // [1, 2, 1, 1]
 * ```
 */
export function parseCheckpointJson(text: string, source: string): CheckpointJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { source });
  }
  return checkpointFromObject(raw, source);
}

/**
 * Validates an already parsed checkpoint JSON (what `JSON.parse` or `await res.json()` gives) as
 * {@link parseCheckpointJson} does.
 *
 * @example
 * ```ts
 * const ckpt = checkpointFromObject(await (await fetch(url)).json(), url);
 * ```
 * @throws InputError naming the entry when the object is not `{args?, state_dict: {name: {shape, dtype, data}}}`.
 */
export function checkpointFromObject(raw: unknown, source: string): CheckpointJson {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError('expected an object with "state_dict"', { source });
  }
  const obj = raw as Record<string, unknown>;
  const sd = obj.state_dict;
  if (typeof sd !== 'object' || sd === null || Array.isArray(sd)) {
    throw new InputError('missing or invalid "state_dict" object', { source });
  }
  const args = (typeof obj.args === 'object' && obj.args !== null ? obj.args : {}) as Record<string, unknown>;
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, entry] of Object.entries(sd as Record<string, unknown>)) {
    const location = `state_dict.${name}`;
    if (typeof entry !== 'object' || entry === null) throw new InputError('expected {shape, dtype, data}', { source, location });
    const { shape, dtype, data } = entry as Record<string, unknown>;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new InputError('"shape" must be an array of non-negative integers', { source, location });
    }
    if (typeof dtype !== 'string' || !DTYPES.has(dtype)) {
      throw new InputError(`unsupported dtype ${jsonPreview(dtype)}`, { source, location });
    }
    if (!Array.isArray(data)) throw new InputError('"data" must be an array of numbers', { source, location });
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new InputError(`"data" has ${data.length} values but shape [${shape}] needs ${n}`, { source, location });
    }
    const arr = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = data[i];
      const num = typeof v === 'boolean' ? Number(v) : v;
      if (typeof num !== 'number' || !Number.isFinite(num)) {
        throw new InputError(`value ${jsonPreview(v)} at index ${i} is not a finite number`, { source, location });
      }
      if (Math.abs(num) > 3.4028234663852886e38) {
        throw new InputError(`value ${num} at index ${i} overflows float32`, { source, location });
      }
      arr[i] = num;
    }
    tensors.set(name, { shape: shape as number[], dtype, data: arr });
  }
  return { args, tensors };
}
