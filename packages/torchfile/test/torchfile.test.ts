import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { isPyTuple, PyGlobal, PyNamespace, readTorchCheckpoint, toPlain, torchStateDict, TorchTensor, UnsafePickleError, unpickle, type PyValue } from '@skelflow/torchfile';
import { readTorchFile } from '@skelflow/torchfile/node';

// Fixtures and goldens written by PyTorch 1.13 (test/fixtures/make_fixtures.py); the goldens are
// PyTorch's own `tensor.tolist()` and Python values, not this reader's output.
const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const read = (name: string): PyValue => readTorchCheckpoint(readFileSync(fixture(`${name}.pth`)), `${name}.pth`);
const golden = (name: string): unknown => JSON.parse(readFileSync(fixture(`${name}.json`), 'utf8'));

type Golden = null | boolean | string | { [k: string]: unknown };

/** Compares a read value with its golden description, naming the path of the first difference. */
function expectMatches(value: PyValue, g: Golden, path = '$'): void {
  if (g === null || typeof g === 'boolean' || typeof g === 'string') {
    expect(value, path).toBe(g);
    return;
  }
  const [kind, body] = Object.entries(g)[0]! as [string, unknown];
  switch (kind) {
    case 'bytes':
      expect(value, path).toBeInstanceOf(Uint8Array);
      expect(Array.from(value as Uint8Array), path).toEqual(body);
      return;
    case 'int':
      expect(String(value), path).toBe(body);
      expect(typeof value === 'number' ? Number.isSafeInteger(value) : typeof value === 'bigint', path).toBe(true);
      return;
    case 'float':
      expect(typeof value, path).toBe('number');
      if (typeof body === 'string') expect(String(value), path).toBe(body === 'nan' ? 'NaN' : body);
      else expect(value, path).toBe(body);
      return;
    case 'list':
    case 'tuple': {
      expect(Array.isArray(value), path).toBe(true);
      expect(isPyTuple(value), `${path} tuple`).toBe(kind === 'tuple');
      const items = body as Golden[];
      expect((value as PyValue[]).length, path).toBe(items.length);
      items.forEach((item, i) => expectMatches((value as PyValue[])[i]!, item, `${path}[${i}]`));
      return;
    }
    case 'dict': {
      expect(value, path).toBeInstanceOf(Map);
      const m = value as Map<PyValue, PyValue>;
      const pairs = body as [Golden, Golden][];
      expect([...m.keys()].length, path).toBe(pairs.length);
      const keys = [...m.keys()];
      pairs.forEach(([k, v], i) => {
        expectMatches(keys[i]!, k, `${path} key ${i}`);
        expectMatches(m.get(keys[i]!)!, v, `${path}.${String(keys[i])}`);
      });
      return;
    }
    case 'namespace': {
      expect(value, path).toBeInstanceOf(PyNamespace);
      const attrs = (value as PyNamespace).attributes;
      const want = body as Record<string, Golden>;
      expect(Object.keys(attrs), path).toEqual(Object.keys(want));
      for (const [k, v] of Object.entries(want)) expectMatches(attrs[k]!, v, `${path}.${k}`);
      return;
    }
    case 'tensor': {
      expect(value, path).toBeInstanceOf(TorchTensor);
      const t = value as TorchTensor;
      const want = g as { tensor: string; shape: number[]; data: (number | string)[] };
      expect(t.dtype, path).toBe(want.tensor);
      expect([...t.shape], path).toEqual(want.shape);
      const got = Array.from(t.toArray() as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? String(v) : v));
      const expected = want.data.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v));
      if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') {
        // Python's floats are doubles: the golden is the float32 value widened, exactly.
        expect(got, path).toEqual(expected.map((v) => (typeof v === 'number' ? Math.fround(v) : v)));
      } else {
        expect(got, path).toEqual(expected);
      }
      return;
    }
    default:
      throw new Error(`unknown golden kind ${kind}`);
  }
}

describe('readTorchCheckpoint (PyTorch 1.13 fixtures)', () => {
  for (const name of ['dtypes', 'shapes', 'nested', 'optimizer', 'protocol4', 'bytes_p2']) {
    it(`reads ${name}.pth as PyTorch saved it`, () => {
      expectMatches(read(name), golden(name) as Golden);
    });
  }

  it('keeps views of one storage sharing it, with strides and offsets', () => {
    const sd = read('shapes') as Map<PyValue, PyValue>;
    const base = sd.get('base') as TorchTensor;
    const transposed = sd.get('transposed') as TorchTensor;
    const offset = sd.get('offset') as TorchTensor;
    expect(transposed.storage).toBe(base.storage);
    expect([...transposed.strides]).toEqual([1, 4, 12]);
    expect(offset.offset).toBe(20);
    expect(Array.from(offset.toFloat32())).toEqual([20, 21, 22, 23]);
    expect((sd.get('scalar') as TorchTensor).shape).toEqual([]);
    expect((sd.get('param') as TorchTensor).requiresGrad).toBe(true);
  });

  it('finds the state dict and converts to plain data', () => {
    const ckpt = read('optimizer');
    const sd = torchStateDict(ckpt, 'optimizer.pth');
    expect([...sd.keys()]).toEqual(['weight', 'bias']);
    expect(sd.get('weight')!.shape).toEqual([2, 3]);
    const plain = toPlain(ckpt) as { optimizer: { param_groups: { lr: number; params: number[] }[] } };
    expect(plain.optimizer.param_groups[0]!.lr).toBe(5e-4);
    expect(plain.optimizer.param_groups[0]!.params).toEqual([0, 1]);
    const nested = toPlain(read('nested')) as Record<string, unknown>;
    expect(nested.args).toMatchObject({ seg_len: 24, R: 3, flow_permutation: 'invcov', vid_res: null });
    expect(nested.big).toBe('1180591620717411303424');
  });

  it('reads from disk through the node entry', async () => {
    expect(await readTorchFile(fixture('nested.pth'))).toBeInstanceOf(Map);
    await expect(readTorchFile(fixture('missing.pth'))).rejects.toThrow(InputError);
  });
});

describe('readTorchCheckpoint refuses what it must not run or cannot read', () => {
  it.each([
    ['malicious_os_system', 'posix.system'],
    // protocol 2 writes Python 2 module names (fix_imports): builtins → __builtin__.
    ['malicious_eval', '__builtin__.eval'],
  ])('%s.pth names %s: refused with the global named', (name, global) => {
    let err: unknown;
    try {
      read(name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsafePickleError);
    expect(err).toBeInstanceOf(InputError);
    expect((err as UnsafePickleError).global).toBe(global);
    expect((err as Error).message).toContain(`${name}.pth: data.pkl byte`);
  });

  it('refuses subprocess and STACK_GLOBAL names before anything is called', () => {
    const noStorage = (): never => {
      throw new Error('unreachable');
    };
    // protocol 2: GLOBAL 'subprocess\nPopen\n'
    const g = latin1('\x80\x02csubprocess\nPopen\n');
    expect(() => unpickle(g, noStorage, 'x.pkl')).toThrow(/refused to load global 'subprocess.Popen'/);
    // protocol 4: SHORT_BINUNICODE 'builtins', SHORT_BINUNICODE 'exec', STACK_GLOBAL
    const s = Uint8Array.from([0x80, 4, 0x8c, 8, ...new TextEncoder().encode('builtins'), 0x8c, 4, ...new TextEncoder().encode('exec'), 0x93]);
    expect(() => unpickle(s, noStorage, 'x.pkl')).toThrow(UnsafePickleError);
    // An allowed class is still not callable except as its documented use.
    const call = latin1('\x80\x02ctorch\nFloatStorage\n)R.');
    expect(() => unpickle(call, noStorage, 'x.pkl')).toThrow(/'torch.FloatStorage' cannot be called/);
  });

  it('hand-built protocol-2 pickle: ints, floats, strings, tuples, memo', () => {
    // {'a': (1, -2, 3.5), 'b': [None, True, 'x'], 'c': <memo of the tuple>}
    const bytes = Uint8Array.from([
      0x80, 2, 0x7d, 0x71, 0, 0x28,
      0x58, 1, 0, 0, 0, 0x61, 0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x47, 0x40, 0x0c, 0, 0, 0, 0, 0, 0, 0x87, 0x71, 1,
      0x58, 1, 0, 0, 0, 0x62, 0x5d, 0x28, 0x4e, 0x88, 0x58, 1, 0, 0, 0, 0x78, 0x65,
      0x58, 1, 0, 0, 0, 0x63, 0x68, 1,
      0x75, 0x2e,
    ]);
    const v = unpickle(bytes, () => {
      throw new Error('unreachable');
    }, 'hand.pkl') as Map<PyValue, PyValue>;
    expect(v.get('a')).toEqual([1, -2, 3.5]);
    expect(isPyTuple(v.get('a'))).toBe(true);
    expect(v.get('b')).toEqual([null, true, 'x']);
    expect(v.get('c')).toBe(v.get('a'));
  });

  it('names the problem for truncated, non-zip, legacy and compressed files', () => {
    const good = readFileSync(fixture('nested.pth'));
    expect(() => readTorchCheckpoint(good.subarray(0, good.length - 30), 'cut.pth')).toThrow(/cut\.pth: not a ZIP archive/);
    expect(() => readTorchCheckpoint(new TextEncoder().encode('{"state_dict": {}}'), 'x.json')).toThrow(/x\.json: not a PyTorch checkpoint/);
    expect(() => readTorchCheckpoint(Uint8Array.from([0x80, 2, 0x8a, 10]), 'old.pt')).toThrow(/legacy torch\.save file/);
    // Flip one byte of a storage: the CRC catches it.
    const bad = Uint8Array.from(good);
    const at = bad.length - 200;
    bad[at] = bad[at]! ^ 0xff;
    expect(() => readTorchCheckpoint(bad, 'bad.pth')).toThrow(InputError);
    // Mark data.pkl as deflated in the central directory: refused with a reason, not misread.
    const deflated = Uint8Array.from(good);
    const cd = findCentral(deflated, 'nested/data.pkl');
    deflated[cd + 10] = 8;
    expect(() => readTorchCheckpoint(deflated, 'z.pth')).toThrow(/z\.pth: nested\/data\.pkl: compressed ZIP member \(method 8, deflate\)/);
  });

  it('refuses a tensor reaching beyond its storage', () => {
    const ok = readTorchCheckpoint(readFileSync(fixture('shapes.pth')), 'shapes.pth') as Map<PyValue, PyValue>;
    const base = ok.get('base') as TorchTensor;
    expect(() => new TorchTensor(base.storage, 20, [2, 3], [3, 1], false, 's', 'base')).toThrow(/reaches element 25 of a storage of 24/);
    expect(new PyGlobal('torch', 'FloatStorage').toString()).toBe('torch.FloatStorage');
  });
});

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function findCentral(bytes: Uint8Array, name: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const enc = new TextEncoder().encode(name);
  for (let i = 0; i + 46 < bytes.length; i++) {
    if (view.getUint32(i, true) !== 0x02014b50) continue;
    const n = view.getUint16(i + 28, true);
    if (n === enc.length && enc.every((c, j) => bytes[i + 46 + j] === c)) return i;
  }
  throw new Error(`no central entry ${name}`);
}
