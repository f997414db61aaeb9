export { repoRoot, sharedDir, hasShared, expectThrows, expectInputError, loadSharedFixture } from './env.js';
export { BACKENDS, forEachBackend, onBackend, type TestBackend } from './backends.js';
export { disposeResult, maxAbs, maxAbsDiff, maxAbsDiffArrays, perturbParameters, values } from './tensors.js';
export { bijectorContract, logAbsDetJs, perSampleJacobians, type BijectorCase, type BijectorContractOptions } from './bijector_contract.js';
export { layerContract, type LayerCase, type LayerContractOptions, type NdArray, type TrainBehaviour } from './layer_contract.js';
export { describeKernelContract, type ContractFlow, type KernelContractCase, type KernelContractOptions } from './kernel_contract.js';
export { BRANCH_VARIANTS, CONTEXT_VARIANTS, uniformStgcnFlow, type UniformStgcnVariant } from './uniform_stgcn_flows.js';
export {
  checkpointRoundTrip,
  expectDivergenceNamingTensor,
  type NamedWeights,
  restoreVariables,
  type ResumableModel,
  type ResumableTraining,
  type ResumeHooks,
  snapshotVariables,
  stoppedAndResumed,
  uninterruptedRun,
} from './training_state.js';
