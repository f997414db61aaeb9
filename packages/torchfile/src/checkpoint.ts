import { InputError } from '@skelflow/base';
import { STORAGE_DTYPES } from './dtype.js';
import { TorchStorage, TorchTensor } from './tensor.js';
import { unpickle } from './unpickler.js';
import { PyNamespace, type PyValue } from './values.js';
import { readZipDirectory, zipEntryData } from './zip.js';

/** Whether `bytes` start like a ZIP archive (`PK\x03\x04`), as every `torch.save` file since PyTorch 1.6 does. */
export function isTorchZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Reads a `torch.save` file (the ZIP format of PyTorch ≥ 1.6: `<name>/data.pkl` plus one raw
 * little-endian storage per `<name>/data/<key>`) into plain values: dicts become `Map`s, tensors
 * {@link TorchTensor}s viewing shared storages, `argparse.Namespace` a {@link PyNamespace}. No
 * Python, no code execution: the pickle is interpreted by a restricted reader that refuses every
 * global a state dict, optimiser state or training arguments do not need.
 *
 * Works in browsers and Node (bytes in, values out; see `@skelflow/torchfile/node` for files).
 *
 * Reference: PyTorch `torch/serialization.py` (`_save`, `_load`), `torch/_utils.py`
 * (`_rebuild_tensor_v2`).
 *
 * @param bytes - the whole file.
 * @param source - the file name, for error messages.
 * @example
 * ```ts
 * const ckpt = readTorchCheckpoint(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
 * const sd = (ckpt as Map<PyValue, PyValue>).get('state_dict') as Map<PyValue, PyValue>;
 * (sd.get('flow.layers.0.actnorm.bias') as TorchTensor).toFloat32();
 * ```
 * @throws UnsafePickleError when the pickle names a global outside the allowed list (a malicious file);
 *   InputError for a legacy (pre-1.6) or TorchScript file, a compressed or corrupt archive, a bad pickle.
 */
export function readTorchCheckpoint(bytes: Uint8Array, source = 'checkpoint'): PyValue {
  if (!isTorchZip(bytes)) {
    if (bytes[0] === 0x80) {
      throw new InputError("a legacy torch.save file (PyTorch < 1.6, not a ZIP archive): re-save it with torch.save(obj, path) on PyTorch ≥ 1.6", { source });
    }
    throw new InputError('not a PyTorch checkpoint (expected the ZIP archive torch.save writes)', { source });
  }
  const entries = readZipDirectory(bytes, source);
  const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) {
    throw new InputError('no <name>/data.pkl in the archive: not a torch.save checkpoint', { source });
  }
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (entries.has(`${prefix}constants.pkl`) && entries.has(`${prefix}code/`)) {
    throw new InputError('a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save the state_dict instead', { source });
  }
  const storages = new Map<string, TorchStorage>();
  const loadStorage = (key: string, storageType: string, location: string, numel: number): TorchStorage => {
    const cached = storages.get(key);
    if (cached) return cached;
    const dtype = STORAGE_DTYPES[storageType];
    if (!dtype) throw new InputError(`unsupported storage type torch.${storageType}`, { source, location: `data/${key}` });
    const entry = entries.get(`${prefix}data/${key}`);
    if (!entry) throw new InputError('storage missing from the archive', { source, location: `data/${key}` });
    const storage = new TorchStorage(dtype, key, location, numel, zipEntryData(bytes, entry, source), source);
    storages.set(key, storage);
    return storage;
  };
  return unpickle(zipEntryData(bytes, entries.get(pkl)!, source), loadStorage, source);
}

/**
 * The tensors of a state dict (a `Map` of name → {@link TorchTensor}, as `model.state_dict()`
 * saves), taken from `value` itself or from its `state_dict` / `model_state_dict` / `model` entry.
 *
 * @throws InputError when no such dict is found or an entry is not a tensor.
 */
export function torchStateDict(value: PyValue, source = 'checkpoint'): Map<string, TorchTensor> {
  let sd: PyValue = value;
  if (value instanceof Map && !isTensorMap(value)) {
    sd = ['state_dict', 'model_state_dict', 'model'].map((k) => value.get(k)).find((v) => v instanceof Map && isTensorMap(v)) ?? null;
  }
  if (!(sd instanceof Map)) throw new InputError('no state dict (a dict of tensors, or one under "state_dict") in this checkpoint', { source });
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of sd) {
    if (typeof k !== 'string' || !(v instanceof TorchTensor)) {
      throw new InputError('state dict entry is not a named tensor', { source, location: `state_dict.${String(k)}` });
    }
    out.set(k, v);
  }
  return out;
}

function isTensorMap(m: Map<PyValue, PyValue>): boolean {
  return m.size > 0 && [...m.values()].every((v) => v instanceof TorchTensor);
}

/**
 * Converts a checkpoint value to plain JSON-able data for inspection or for a model's
 * configuration: `Map` → object (keys stringified), {@link PyNamespace} → object, tuples → arrays,
 * bigint → string, tensors → `{ dtype, shape }` (no data), storages → `{ storage, length }`,
 * bytes → `{ bytes: length }`, allowed globals → `module.name`.
 */
export function toPlain(value: PyValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return { bytes: value.length };
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (value instanceof PyNamespace) return Object.fromEntries(Object.entries(value.attributes).map(([k, v]) => [k, toPlain(v)]));
  if (value instanceof TorchTensor) return { dtype: value.dtype, shape: [...value.shape] };
  if (value instanceof TorchStorage) return { storage: value.dtype, length: value.length };
  return String(value);
}
