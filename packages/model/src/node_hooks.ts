import { InputError } from '@skelflow/base';

// Families' main entries are browser-clean, yet `AnomalyModel.save(dir)` and `ModelFamily.load(path)`
// take paths on disk. The file access lives in each family's `./node` entry, which registers it
// here when imported; the main entry looks it up at call time. The registry sits on globalThis
// under a `Symbol.for` key so that every copy of this module (the ESM and CJS builds, a package
// bundled twice) sees the same entries.
const KEY = Symbol.for('@skelflow/model:node-hooks');

function hooks(): Map<string, unknown> {
  const g = globalThis as { [KEY]?: Map<string, unknown> };
  return (g[KEY] ??= new Map());
}

/**
 * Registers a Node-only implementation under `name` (e.g. `stg-nf:load`). Called by a family's
 * `./node` entry at import time.
 */
export function registerNodeHook(name: string, impl: unknown): void {
  hooks().set(name, impl);
}

/**
 * The implementation registered under `name`, or an {@link InputError} saying which `./node`
 * entry to import (in Node) and that paths on disk do not exist in a browser.
 *
 * @param entry - the module that registers it, e.g. `@skelflow/stg-nf/node`.
 */
export function nodeHook<T>(name: string, entry: string): T {
  const impl = hooks().get(name);
  if (impl === undefined) {
    throw new InputError(`${name} reads or writes files on disk: in Node, import '${entry}' first; in a browser, use the in-memory functions instead`, {
      source: entry,
    });
  }
  return impl as T;
}
