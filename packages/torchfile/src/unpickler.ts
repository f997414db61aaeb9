import { InputError } from '@skelflow/base';
import { STORAGE_DTYPES } from './dtype.js';
import { TorchStorage, TorchTensor } from './tensor.js';
import { PyGlobal, PyNamespace, pyTuple, type PyValue } from './values.js';

/**
 * A pickle named a global (a class or function) the reader does not allow. Unpickling calls
 * whatever globals a pickle names, so a checkpoint could run `os.system`; only the few that state
 * dicts, optimiser state and training arguments need are allowed ({@link ALLOWED_GLOBALS}).
 */
export class UnsafePickleError extends InputError {
  static override readonly code: string = 'SKELFLOW_UNSAFE_PICKLE';
  /** The refused global, `module.name` (e.g. `posix.system`, `builtins.eval`). */
  readonly global: string;
  constructor(global: string, options: { source?: string; location?: string }) {
    super(`refused to load global '${global}': a checkpoint needs only tensors, dicts, OrderedDict and argparse.Namespace (see ALLOWED_GLOBALS); the file may be malicious`, options);
    this.global = global;
  }
}

/** The globals a checkpoint may name: what `torch.save` of state dicts, optimiser state and `argparse.Namespace` uses. */
export const ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'argparse.Namespace',
  '_codecs.encode',
  '__builtin__.bytes',
  'builtins.bytes',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
];
const ALLOWED = new Set(ALLOWED_GLOBALS);

/** Reads the storage a persistent id `('storage', StorageType, key, location, numel)` names. */
export type StorageLoader = (key: string, storageType: string, location: string, numel: number) => TorchStorage;

/** `functools.reduce`-style call of an allowed global. */
function call(fn: PyValue, args: PyValue, source: string, at: string): PyValue {
  if (!(fn instanceof PyGlobal) || !Array.isArray(args)) throw new InputError('REDUCE on something not callable', { source, location: at });
  const name = fn.toString();
  switch (name) {
    case 'collections.OrderedDict':
      if (args.length !== 0) throw new InputError('OrderedDict with arguments is not supported', { source, location: at });
      return new Map();
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride, requiresGrad] = args;
      if (!(storage instanceof TorchStorage) || typeof offset !== 'number' || !Array.isArray(size) || !Array.isArray(stride)) {
        throw new InputError('malformed _rebuild_tensor_v2 arguments', { source, location: at });
      }
      return new TorchTensor(storage, offset, size as number[], stride as number[], requiresGrad === true, source, at);
    }
    case '_codecs.encode': {
      // How protocol 2 pickles bytes: _codecs.encode(text, 'latin1'), each char one byte.
      const [text, encoding] = args;
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
        throw new InputError('_codecs.encode is only read for (str, "latin1"), as protocol 2 pickles bytes', { source, location: at });
      }
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 255) throw new InputError('_codecs.encode: character beyond latin1', { source, location: at });
        out[i] = c;
      }
      return out;
    }
    case '__builtin__.bytes':
    case 'builtins.bytes':
      // Protocol 2 pickles b'' as bytes(); nothing else is read.
      if (args.length !== 0) throw new InputError('bytes(...) with arguments is not supported', { source, location: at });
      return new Uint8Array(0);
    case 'torch._utils._rebuild_parameter': {
      // (data, requires_grad, backward_hooks)
      const [data, requiresGrad] = args;
      if (!(data instanceof TorchTensor)) throw new InputError('malformed _rebuild_parameter arguments', { source, location: at });
      return new TorchTensor(data.storage, data.offset, data.shape, data.strides, requiresGrad === true, source, at);
    }
    default:
      throw new InputError(`'${name}' cannot be called`, { source, location: at });
  }
}

/**
 * A restricted unpickler for `torch.save`'s `data.pkl` (pickle protocols 2-5, binary opcodes):
 * builds {@link PyValue}s, resolves storages through `loadStorage` (the persistent ids of
 * `BINPERSID`), and refuses every global outside {@link ALLOWED_GLOBALS} with an
 * {@link UnsafePickleError} before anything could be called. Nothing is ever executed: allowed
 * globals are interpreted by this reader.
 *
 * Reference: Python's `Lib/pickle.py` (`_Unpickler`) and `Lib/pickletools.py` (opcode table);
 * PyTorch's `torch/serialization.py` (`_load`, `persistent_load`).
 *
 * @throws UnsafePickleError for a refused global; InputError for an unknown opcode or malformed data.
 */
export function unpickle(bytes: Uint8Array, loadStorage: StorageLoader, source: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let p = 0;
  let op = 0;
  let opAt = 0;
  const at = (): string => `data.pkl byte ${opAt}`;
  const need = (n: number): void => {
    if (p + n > bytes.length) throw new InputError('pickle truncated', { source, location: at() });
  };
  const u8 = (): number => (need(1), bytes[p++]!);
  const u16 = (): number => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = (): number => (need(4), (p += 4), view.getUint32(p - 4, true));
  const i32 = (): number => (need(4), (p += 4), view.getInt32(p - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getUint32(p, true) + view.getUint32(p + 4, true) * 2 ** 32;
    p += 8;
    if (!Number.isSafeInteger(v)) throw new InputError('length beyond 2^53', { source, location: at() });
    return v;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    p += n;
    return bytes.subarray(p - n, p);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw new InputError('pickle truncated (no newline)', { source, location: at() });
    const s = decoder.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) throw new InputError('pickle stack underflow', { source, location: at() });
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw new InputError('pickle stack underflow', { source, location: at() });
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw new InputError('pickle has no MARK to pop to', { source, location: at() });
    return stack.splice(m);
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED.has(full)) throw new UnsafePickleError(full, { source, location: at() });
    return new PyGlobal(module, name);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof Map)) throw new InputError('SETITEM(S) on something not a dict', { source, location: at() });
    if (items.length % 2) throw new InputError('SETITEMS with an odd number of items', { source, location: at() });
    for (let i = 0; i < items.length; i += 2) target.set(items[i]!, items[i + 1]!);
  };
  const append = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) throw new InputError('APPEND(S) on something not a list', { source, location: at() });
    target.push(...items);
  };
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    opAt = p;
    op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new InputError('pickle protocol above 5', { source, location: at() });
        break;
      case 0x95: // FRAME (protocol 4): a length prefix only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new InputError(`pickle ends with ${stack.length} values on the stack`, { source, location: at() });
        return stack[0]!;
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length > 0 && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFromBytes(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longFromBytes(take(i32())));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(take(u64())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x54: // BINSTRING (protocol 1 str)
        stack.push(decoder.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(pyTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(pyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(pyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(pyTuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(pyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const d = new Map<PyValue, PyValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) throw new InputError(`pickle memo has no entry ${i}`, { source, location: at() });
        stack.push(memo.get(i)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new InputError('STACK_GLOBAL needs two strings', { source, location: at() });
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args, source, at()));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal) || cls.toString() !== 'argparse.Namespace') {
          throw new InputError(`cannot instantiate '${String(cls)}'`, { source, location: at() });
        }
        stack.push(new PyNamespace({}));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state) or obj.__dict__.update(state)
        const state = pop();
        const obj = top();
        if (obj instanceof PyNamespace && state instanceof Map) {
          const attrs = obj.attributes as Record<string, PyValue>;
          for (const [k, v] of state) if (typeof k === 'string') attrs[k] = v;
        } else if (obj instanceof Map && state instanceof Map) {
          // OrderedDict's instance attributes (a state dict's `_metadata`): not part of its items.
        } else {
          throw new InputError('BUILD on an unsupported object', { source, location: at() });
        }
        break;
      }
      case 0x51: {
        // BINPERSID: torch's ('storage', storage_type, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PyGlobal) || typeof pid[3] !== 'string' || typeof pid[4] !== 'number') {
          throw new InputError('unsupported persistent id (expected a torch storage)', { source, location: at() });
        }
        stack.push(loadStorage(String(pid[2]), pid[1].name, pid[3], pid[4]));
        break;
      }
      default:
        throw new InputError(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))})`, { source, location: at() });
    }
  }
}
