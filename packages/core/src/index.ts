export { type BackendName, type BackendOptions, initBackend, type WasmBinaryName } from './backend.js';
export { MATMUL_CHUNK } from './register_wasm_kernels.js';
export { defaultInit, type InitOptions, normalTensor, resolveRng, uniformTensor } from './init.js';
export { Module } from './module.js';
export { type Optimizer, type OptimizerState } from './optim/optimizer.js';
export { checkSoundState, COUNTER_BUFFER, DIVERGENCE_RULE, DivergenceGuard, type DivergenceRule, unsoundTensor } from './optim/health.js';
export { Adam, Adamax, type AdamOptions } from './optim/adamax.js';
export { clipGradNorm } from './optim/clip.js';
export { FusedAdamax, type FusedAdamaxOptions } from './optim/adamax_flat.js';
export { clipGradNormInPlace } from './optim/clip_flat.js';
export { constantLr, cosineDecay, exponentialDecay, type LrSchedule, stepDecay } from './optim/schedule.js';
export {
  type BatchProgress,
  checkFiniteLoss,
  type EpochLoopOptions,
  fit,
  type FitOptions,
  type LoopPosition,
  runEpochs,
  type StepResult,
  trainStep,
} from './optim/train.js';
export { prefixedNames, stageLoopOptions, type StageRun, trainLoop, type FlatSlot, type FlatTrainingEngine, type FusedTraining, type TrainerExtraState, type TrainLoopOptions } from './optim/trainer.js';
export { checkpointFromObject, type CheckpointJson, type CheckpointTensor, parseCheckpointJson } from './io/checkpoint.js';
export { checkpointFromTorch } from './io/torch_checkpoint.js';
export { decodeIntoModule, encodeModule, type ModelJson } from './io/weights.js';
export { parseModelJson, type ParseModelJsonOptions } from './io/model_json.js';
export { moduleFromSavedFiles, type SavedModuleSpec } from './io/saved_module.js';
