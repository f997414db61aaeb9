export { type MsgFlowConfig, type MsgFlowScore, resolveMsgFlowConfig, type ResolvedMsgFlowConfig } from './config.js';
export { buildConditionalStgNf, MsgFlow, type MsgFlowScoreOptions, type MsgFlowScoreParts } from './model.js';
export {
  fitContextProjection,
  fitScoreStats,
  frozenContexts,
  type MsgFlowHistory,
  type MsgFlowProgress,
  type MsgFlowStage,
  segmentTokens,
  trainFlow,
  trainMsgFlow,
  type TrainMsgFlowOptions,
  trainPrior,
  trainTokenizer,
} from './train.js';
export { MSGFLOW_KIND, msgFlowFromSavedFiles } from './files.js';
export { msgFlowFamily, MsgFlowAnomalyModel, type MsgFlowFamilyConfig } from './family.js';
