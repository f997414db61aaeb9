/**
 * `@skelflow/dsnf/node`: DSNF folders on disk. Importing it also lets `dsnfFamily.load(path)` and
 * `DsnfAnomalyModel.save(dir)` (main entry, browser-clean) reach the file system.
 *
 * @packageDocumentation
 */
import { registerNodeHook } from '@skelflow/model';
import { loadDsnf, saveDsnf } from './persist.js';

registerNodeHook('dsnf:load', loadDsnf);
registerNodeHook('dsnf:save', saveDsnf);

export { loadDsnf, saveDsnf };
