/**
 * `@skelflow/nflowad/node`: NFlowAD folders on disk. Importing it also lets
 * `nflowadFamily.load(path)` and `NflowadAnomalyModel.save(dir)` (main entry, browser-clean) reach
 * the file system.
 *
 * @packageDocumentation
 */
import { registerNodeHook } from '@skelflow/model';
import { loadNflowad, saveNflowad } from './persist.js';

registerNodeHook('nflowad:load', loadNflowad);
registerNodeHook('nflowad:save', saveNflowad);

export { loadNflowad, saveNflowad };
