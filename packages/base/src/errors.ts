/**
 * The brand every `@skelflow` error carries: the `code`s of its class and of every ancestor class,
 * under a registry-wide symbol (`Symbol.for`), so that two copies of `@skelflow/base` (its ESM and
 * CJS builds loaded side by side, or two installed versions) recognise each other's errors.
 */
const BRAND: unique symbol = Symbol.for('@skelflow/base.error-codes') as never;

/** A class with its own stable `code` (see {@link SkelflowError.code}). */
type Coded = { readonly code?: string } & (abstract new (...args: never[]) => unknown);

/**
 * Base class of every error `@skelflow` throws on purpose. `source` names the file or argument the
 * problem came from and `location` the place inside it (a key path, row, person/frame), so a
 * command-line front end can print one line instead of a stack trace.
 *
 * Identity survives duplicate copies of the package: each class has a stable static `code`
 * (`SKELFLOW_INPUT`…), every error carries the codes of its class chain, and `instanceof` checks
 * them (`Symbol.hasInstance`), so `e instanceof InputError` holds for an error thrown by the CJS
 * build and tested against the ESM build's class. Subclasses define their own `static readonly
 * code`; one without it is matched by its prototype chain only.
 *
 * @example
 * ```ts
 * try { loadCheckpointJson(text, 'ckpt.json'); }
 * catch (e) { if (e instanceof SkelflowError) console.error(e.code, e.message); }
 * ```
 */
export class SkelflowError extends Error {
  /** Stable identifier of this class, shared by every copy of the package. */
  static readonly code: string = 'SKELFLOW_ERROR';
  /** The stable identifier of the error's class (e.g. `SKELFLOW_INPUT`), for callers that compare strings. */
  readonly code: string;
  /** File or argument the problem came from. */
  readonly source: string | undefined;
  /** Place inside `source` (key path, row, byte, …). */
  readonly location: string | undefined;
  /** What is wrong, without `source` and `location` (the `message` is `"<source>: <location>: <reason>"`). */
  readonly reason: string;
  constructor(message: string, options: { source?: string; location?: string; cause?: unknown } = {}) {
    const where = [options.source, options.location].filter((s) => s !== undefined && s !== '').join(': ');
    super(where ? `${where}: ${message}` : message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.source = options.source;
    this.location = options.location;
    this.reason = message;
    const codes: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.prototype.hasOwnProperty.call(c, 'code')) codes.push((c as Coded).code!);
    }
    this.code = codes[0] ?? SkelflowError.code;
    Object.defineProperty(this, BRAND, { value: Object.freeze(codes), enumerable: false });
  }

  /**
   * `value instanceof ThisClass`: the prototype chain, or (for an error from another copy of the
   * package) the brand's codes containing this class's own `code`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(this, 'code')) return false;
    const codes = (value as { [BRAND]?: unknown })[BRAND];
    return Array.isArray(codes) && codes.includes((this as Coded).code);
  }
}

/** Input the user gave (a file, an array, a flag) is malformed or inconsistent. */
export class InputError extends SkelflowError {
  static override readonly code: string = 'SKELFLOW_INPUT';
}

/** Tensor shapes handed to a layer or bijector do not fit what it was built for. */
export class ShapeError extends SkelflowError {
  static override readonly code: string = 'SKELFLOW_SHAPE';
}

/** Weights or a checkpoint do not match the module they are loaded into. */
export class WeightsError extends SkelflowError {
  static override readonly code: string = 'SKELFLOW_WEIGHTS';
}

/**
 * Whether `value` is a `@skelflow` error with the given code or a subclass of it (same as
 * `instanceof` on the class with that code, for callers holding only the string).
 *
 * @example
 * ```ts
 * if (isSkelflowError(e, 'SKELFLOW_INPUT')) process.exitCode = 2;
 * ```
 */
export function isSkelflowError(value: unknown, code: string = SkelflowError.code): value is SkelflowError {
  if (typeof value !== 'object' || value === null) return false;
  const codes = (value as { [BRAND]?: unknown })[BRAND];
  return Array.isArray(codes) && codes.includes(code);
}

/** Throws a {@link ShapeError} unless `cond` holds; `what` names the caller for the message. */
export function assertShape(cond: boolean, what: string, message: string): asserts cond {
  if (!cond) throw new ShapeError(message, { source: what });
}

/** Where a training run stopped: the epoch and the batch inside it (both 0-based). */
export interface TrainingPoint {
  epoch: number;
  batch: number;
}

/**
 * Training diverged: a non-finite loss, parameter or buffer, or a loss far above its running level
 * (the rule is `@skelflow/core`'s `DivergenceGuard`). Nothing of the diverged state is kept.
 */
export class TrainingDivergedError extends SkelflowError {
  static override readonly code: string = 'SKELFLOW_TRAINING_DIVERGED';
  constructor(
    message: string,
    /** Where it was detected. */
    readonly at: TrainingPoint,
    options: { source?: string; location?: string } = {},
  ) {
    super(message, options);
  }
}

/** Training was asked to stop (SIGINT, SIGTERM) and stopped after a batch, its state checkpointed. */
export class TrainingInterruptedError extends SkelflowError {
  static override readonly code: string = 'SKELFLOW_TRAINING_INTERRUPTED';
  constructor(
    message: string,
    /** The position the checkpoint continues from. */
    readonly at: TrainingPoint,
    /** What asked to stop (e.g. `SIGINT`). */
    readonly by: string,
  ) {
    super(message);
  }
}
