export { isFusable, type ConditionerPlan, type FlowPlan, type Fusable, type FusedPlanContext, type LayerPlan, type PlanNode, type PriorPlan } from './plan.js';
export { createScratch, type Scratch } from './scratch.js';
export {
  conditionerKernel,
  findFastPath,
  hasKernel,
  kernelModules,
  layerKernel,
  priorKernel,
  registerConditionerKernel,
  registerFastPath,
  registerLayerKernel,
  registerPriorKernel,
  type BatchArgs,
  type ConditionerBackwardArgs,
  type ConditionerEvalArgs,
  type ConditionerForwardArgs,
  type ConditionerKernel,
  type Dims,
  type EvalSampleArgs,
  type FastPath,
  type LayerBackwardArgs,
  type LayerForwardArgs,
  type LayerKernel,
  type PriorKernel,
  type RegisteredKernel,
} from './registry.js';
export { backward, forward, logProbSamples, planDims } from './engine.js';
export { compileFlow, type CompileOptions, type CompileResult, type FusableFlow, type FusedLayout, type FusedVariable } from './compile.js';
export { FusedFlow, type FusedLogProbOptions } from './fused_flow.js';
export { ScoringPool } from './scoring_pool.js';
export { LazyFusedFlow, type LazyFusedFlowOptions } from './lazy_fused_flow.js';
export { fusedForEngine, scoreFlowSegments, segmentCount, type FlowSegmentScorer, type ScoreFlowSegmentsOptions, type SegmentEngine } from './score_segments.js';
