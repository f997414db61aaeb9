/**
 * `@skelflow/stg-nf/node`: STG-NF folders and checkpoint files on disk. Importing it also lets
 * `stgNfFamily.load(path)` and `StgNfAnomalyModel.save(dir)` (main entry, browser-clean) reach the
 * file system.
 *
 * @packageDocumentation
 */
import { registerNodeHook } from '@skelflow/model';
import { loadStgNf, saveStgNf, type SaveStgNfOptions } from './persist.js';

registerNodeHook('stg-nf:load', loadStgNf);
registerNodeHook('stg-nf:save', saveStgNf);

export { loadStgNf, saveStgNf, type SaveStgNfOptions };
