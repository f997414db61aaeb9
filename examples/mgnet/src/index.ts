export { type MgNetConfig, type MgNetLevels, resolveMgNetConfig, type ResolvedMgNetConfig } from './config.js';
export { createMgNet, fuseScores, MgNet, type MgNetSegmentScores, minMaxPerVideo, SCENE_FEATURE_DIM, temperedAddress } from './model.js';
export { CH, CropRenderer, MGNET_CHANNELS, mgnetSegments, type MgNetSegmentOptions, sceneCode, sceneFeature, sceneIdOf, segmentIds, teacherInput } from './segments.js';
export { trainMgNet, type MgNetHistory, type MgNetProgress, type MgNetStage, type TrainMgNetOptions } from './train.js';
export { MGNET_KIND, mgnetFromSavedFiles } from './files.js';
export { mgnetFamily, MgNetAnomalyModel, type MgNetFamilyConfig } from './family.js';
