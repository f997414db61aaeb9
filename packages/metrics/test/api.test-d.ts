// Locks the public API of @skelflow/metrics at the type level.
import { describe, expectTypeOf, it } from 'vitest';
import type { BoundaryMode, CalibrationStats, ClipDecision, ClipScores, DetectionCriteriaOptions, DetectionCurve, DetectionDiagnostics, InputNames, MicroMacroOptions, MicroMacroResult, MultiLevelCalibrationOptions, MultiLevelThresholds, PersonFrameScore, PoseRegionOptions, PoseRegionsResult, PrCurve, RbdcResult, RbdcTbdcResult, RocCurve, TbdcResult, ThresholdDecision, VideoRegions, VideoScores } from '@skelflow/metrics';
import * as metrics from '@skelflow/metrics';

type Labels = ArrayLike<number | boolean>;
type Scores = ArrayLike<number>;

describe('@skelflow/metrics public API', () => {
  it('frame-level metrics', () => {
    expectTypeOf(metrics.rocAuc).toEqualTypeOf<(labels: Labels, scores: Scores, names?: InputNames) => number>();
    expectTypeOf(metrics.averagePrecision).parameters.toEqualTypeOf<[Labels, Scores, InputNames?]>();
    expectTypeOf(metrics.averagePrecision).returns.toEqualTypeOf<number>();
    expectTypeOf(metrics.equalErrorRate).toEqualTypeOf<(labels: Labels, scores: Scores, names?: InputNames) => number>();
    expectTypeOf(metrics.rocCurve).returns.toEqualTypeOf<RocCurve>();
    expectTypeOf(metrics.prCurve).returns.toEqualTypeOf<PrCurve>();
    expectTypeOf<RocCurve>().toEqualTypeOf<{ fpr: Float64Array; tpr: Float64Array; thresholds: Float64Array }>();
    expectTypeOf(metrics.microMacroAuc).toEqualTypeOf<(videos: readonly VideoScores[], options?: MicroMacroOptions) => MicroMacroResult>();
    expectTypeOf<MicroMacroResult['macroAuc']>().toEqualTypeOf<number | null>();
    expectTypeOf<MicroMacroResult['skippedVideos']>().toEqualTypeOf<string[]>();
    // typed arrays are accepted
    expectTypeOf(metrics.rocAuc).toBeCallableWith(new Uint8Array(2), new Float32Array(2));
    expectTypeOf(metrics.rocAuc).toBeCallableWith([true, false], [1, 2]);
  });

  it('post-processing and thresholds', () => {
    expectTypeOf(metrics.gaussianFilter1d).parameters.toEqualTypeOf<
      [Scores, number, ({ truncate?: number; radius?: number; mode?: BoundaryMode; cval?: number } | undefined)?]
    >();
    expectTypeOf(metrics.gaussianFilter1d).returns.toEqualTypeOf<Float64Array>();
    expectTypeOf<BoundaryMode>().toEqualTypeOf<'reflect' | 'mirror' | 'nearest' | 'wrap' | 'constant'>();
    expectTypeOf(metrics.movingAverage).returns.toEqualTypeOf<Float64Array>();
    expectTypeOf(metrics.minMaxNormalise).toEqualTypeOf<(x: Scores) => Float64Array>();
    expectTypeOf(metrics.zNormalise).toEqualTypeOf<(x: Scores, calibration: Scores | CalibrationStats) => Float64Array>();
    expectTypeOf(metrics.percentileThreshold).toEqualTypeOf<(calibration: Scores, q: number) => number>();
    expectTypeOf(metrics.applyThreshold).returns.toEqualTypeOf<ThresholdDecision>();
    expectTypeOf(metrics.evaluateClip).toEqualTypeOf<(clip: ClipScores, thresholds: MultiLevelThresholds) => ClipDecision>();
    expectTypeOf(metrics.calibrateMultiLevel).toEqualTypeOf<
      (clips: readonly ClipScores[], options?: MultiLevelCalibrationOptions) => MultiLevelThresholds
    >();
    expectTypeOf<ClipDecision['reasons']>().toEqualTypeOf<Array<'fraction' | 'max' | 'mean'>>();
    expectTypeOf<ClipDecision['flaggedJoints']>().toEqualTypeOf<Array<{ frame: number; joint: number; score: number }>>();
  });

  it('RBDC / TBDC, formats and pose regions', () => {
    expectTypeOf(metrics.rbdc).toEqualTypeOf<
      (videos: readonly VideoRegions[], numFrames: number, options?: DetectionCriteriaOptions) => RbdcResult
    >();
    expectTypeOf(metrics.tbdc).toEqualTypeOf<
      (videos: readonly VideoRegions[], numFrames: number, options?: DetectionCriteriaOptions) => TbdcResult
    >();
    expectTypeOf(metrics.rbdcTbdc).returns.toEqualTypeOf<RbdcTbdcResult>();
    expectTypeOf<RbdcResult>().toEqualTypeOf<{ rbdc: number; curve: DetectionCurve; diagnostics: DetectionDiagnostics }>();
    expectTypeOf<DetectionCurve>().toEqualTypeOf<{ fpr: Float64Array; rate: Float64Array }>();
    expectTypeOf<DetectionCriteriaOptions>().toEqualTypeOf<{ alpha?: number; beta?: number; ties?: 'average' | 'input-order' }>();
    expectTypeOf(metrics.parseTracks).toEqualTypeOf<(text: string, source: string) => number[][]>();
    expectTypeOf(metrics.parseDetections).toEqualTypeOf<(text: string, source: string) => number[][]>();
    expectTypeOf(metrics.formatDetections).returns.toEqualTypeOf<string>();
    expectTypeOf(metrics.poseRegions).toEqualTypeOf<(persons: readonly PersonFrameScore[], options?: PoseRegionOptions) => PoseRegionsResult>();
    expectTypeOf(metrics.boxIou).returns.toEqualTypeOf<number>();
  });

  it('errors', () => {
    expectTypeOf<metrics.MetricsInputError>().toMatchTypeOf<Error>();
    expectTypeOf<metrics.MetricsInputError['source']>().toEqualTypeOf<string>();
    expectTypeOf<metrics.MetricsInputError['location']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<metrics.MetricsInputError['reason']>().toEqualTypeOf<string>();
  });

  it('exports exactly these runtime names', () => {
    expectTypeOf<keyof typeof metrics>().toEqualTypeOf<
      | 'MetricsInputError'
      | 'rocAuc'
      | 'rocCurve'
      | 'averagePrecision'
      | 'prCurve'
      | 'equalErrorRate'
      | 'microMacroAuc'
      | 'gaussianFilter1d'
      | 'gaussianKernel1d'
      | 'movingAverage'
      | 'calibrationStats'
      | 'minMaxNormalise'
      | 'zNormalise'
      | 'applyThreshold'
      | 'percentile'
      | 'percentileThreshold'
      | 'calibrateMultiLevel'
      | 'evaluateClip'
      | 'boxIou'
      | 'rbdc'
      | 'tbdc'
      | 'rbdcTbdc'
      | 'parseTracks'
      | 'parseDetections'
      | 'formatTracks'
      | 'formatDetections'
      | 'poseRegions'
    >();
  });
});
