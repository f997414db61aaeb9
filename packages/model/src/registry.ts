import { InputError, SkelflowError } from '@skelflow/base';
import type { AnomalyModel, ModelFamily, Recipe } from './contract.js';

/** A family of any model and config type, as the registry stores it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModelFamily = ModelFamily<AnomalyModel, any>;

/**
 * A model kind nobody registered. `code` is stable (`SKELFLOW_UNKNOWN_MODEL`) for callers that
 * cannot rely on `instanceof` (two copies of the package); `known` lists the registered kinds.
 */
export class UnknownModelError extends InputError {
  /** Stable identifier of this error (also on every instance as `code`). */
  static override readonly code: string = 'SKELFLOW_UNKNOWN_MODEL';
  constructor(
    /** The kind asked for. */
    readonly kind: string,
    /** The registered kinds. */
    readonly known: readonly string[],
    options: { source?: string; location?: string } = {},
  ) {
    super(`unknown model '${kind}' (known: ${known.length ? known.join(', ') : 'none registered'})`, options);
  }
}

/** A second family registered under a kind already taken. */
export class DuplicateModelError extends SkelflowError {
  /** Stable identifier of this error (also on every instance as `code`). */
  static override readonly code: string = 'SKELFLOW_DUPLICATE_MODEL';
  constructor(readonly kind: string) {
    super(`a model family '${kind}' is already registered`, { source: 'ModelRegistry' });
  }
}

/**
 * The model families a front end knows, by kind, in registration order.
 *
 * @example
 * ```ts
 * const registry = new ModelRegistry().register(stgNfFamily).register(pcaGaussianFamily);
 * registry.get('pca-gaussian').summary;
 * registry.get('lstm'); // throws UnknownModelError: unknown model 'lstm' (known: stg-nf, pca-gaussian)
 * ```
 */
export class ModelRegistry {
  private readonly families = new Map<string, AnyModelFamily>();

  /**
   * Adds a family.
   *
   * @throws DuplicateModelError when its kind is taken
   */
  register<M extends AnomalyModel, C extends Recipe>(family: ModelFamily<M, C>): this {
    if (!/^[a-z][a-z0-9-]*$/.test(family.kind)) throw new InputError(`model kind '${family.kind}' must be lower-case letters, digits and dashes`, { source: 'ModelRegistry' });
    if (this.families.has(family.kind)) throw new DuplicateModelError(family.kind);
    this.families.set(family.kind, family as unknown as AnyModelFamily);
    return this;
  }

  /**
   * The family of `kind`.
   *
   * @param source named in the error (e.g. `--model`)
   * @throws UnknownModelError listing the registered kinds
   */
  get(kind: string, source?: string): AnyModelFamily {
    const f = this.families.get(kind);
    if (!f) throw new UnknownModelError(kind, this.kinds(), source !== undefined ? { source } : {});
    return f;
  }

  /** Whether `kind` is registered. */
  has(kind: string): boolean {
    return this.families.has(kind);
  }

  /** The registered kinds, in registration order. */
  kinds(): string[] {
    return [...this.families.keys()];
  }

  /** The registered families, in registration order. */
  list(): AnyModelFamily[] {
    return [...this.families.values()];
  }
}
