/**
 * `@skelflow/msg-flow/node`: MSG-Flow folders on disk. Importing it also lets
 * `msgFlowFamily.load(path)` and `MsgFlowAnomalyModel.save(dir)` (main entry, browser-clean) reach
 * the file system.
 *
 * @packageDocumentation
 */
import { registerNodeHook } from '@skelflow/model';
import { loadMsgFlow, saveMsgFlow } from './persist.js';

registerNodeHook('msg-flow:load', loadMsgFlow);
registerNodeHook('msg-flow:save', saveMsgFlow);

export { loadMsgFlow, saveMsgFlow };
