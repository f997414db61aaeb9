export { repoRoot, sharedDir, hasShared, expectThrows, expectInputError, loadSharedFixture } from './env.js';
export { BACKENDS, forEachBackend, onBackend, type TestBackend } from './backends.js';
export { disposeResult, maxAbs, maxAbsDiff, maxAbsDiffArrays, perturbParameters, values } from './tensors.js';
export { bijectorContract, logAbsDetJs, perSampleJacobians, type BijectorCase, type BijectorContractOptions } from './bijector_contract.js';
export { layerContract, type LayerCase, type LayerContractOptions, type NdArray, type TrainBehaviour } from './layer_contract.js';
