/**
 * `@skelflow/mgnet/node`: MGNet folders on disk. Importing it also lets `mgnetFamily.load(path)`
 * and `MgNetAnomalyModel.save(dir)` (main entry, browser-clean) reach the file system, and
 * `--teacher <folder>` load an STG-NF teacher.
 *
 * @packageDocumentation
 */
import '@skelflow/stg-nf/node';
import { registerNodeHook } from '@skelflow/model';
import { loadMgNet, saveMgNet } from './persist.js';

registerNodeHook('mgnet:load', loadMgNet);
registerNodeHook('mgnet:save', saveMgNet);

export { loadMgNet, saveMgNet };
