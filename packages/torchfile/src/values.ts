import type { TorchStorage, TorchTensor } from './tensor.js';

/** `argparse.Namespace` (a training run's arguments): its attributes by name. */
export class PyNamespace {
  constructor(
    /** The attributes, in saved order. */
    readonly attributes: Readonly<Record<string, PyValue>>,
  ) {}
}

/** A class or function the pickle names and the reader allows (e.g. `torch.FloatStorage`), kept as a name. */
export class PyGlobal {
  constructor(
    /** Module, e.g. `torch`. */
    readonly module: string,
    /** Name inside the module, e.g. `FloatStorage`. */
    readonly name: string,
  ) {}
  /** `module.name`. */
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * A Python value as a checkpoint holds it: `None` → null, `bool`, `int` → number (bigint beyond
 * 2⁵³), `float`, `str`, `bytes` → Uint8Array, `list` and `tuple` → arrays ({@link isPyTuple} tells
 * tuples apart), `dict` and `OrderedDict` → `Map` (keys keep their Python type: optimiser state
 * is keyed by ints), `argparse.Namespace` → {@link PyNamespace}, tensors → {@link TorchTensor} (a bare storage → {@link TorchStorage}).
 */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyValue, PyValue> | PyNamespace | TorchTensor | TorchStorage | PyGlobal;

const TUPLES = new WeakSet<object>();

/** Marks an array as a Python tuple (frozen). */
export function pyTuple(items: PyValue[]): PyValue[] {
  TUPLES.add(items);
  return Object.freeze(items) as PyValue[];
}

/** Whether an array came from a Python tuple (rather than a list). */
export function isPyTuple(value: unknown): boolean {
  return typeof value === 'object' && value !== null && TUPLES.has(value);
}
