/**
 * `@skelflow/core/node`: the Node-only helpers (model folders on disk, atomic writes), kept out of
 * the main entry so browser bundles never see `node:fs`.
 *
 * @packageDocumentation
 */
export { readModelDir, saveModule, writeAtomic } from './io/weights_node.js';
