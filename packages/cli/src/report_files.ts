import type { GroundTruthConvention } from '@skelflow/pose';
import { readGtDir, readPoseDir } from '@skelflow/pose/node';
import { reportHtml, type ReportData, type ReportHtmlOptions } from './report_html.js';
import { mostAnomalousSegments } from './report_skeletons.js';

/**
 * The HTML report of an evaluation, reading what the JSON report does not hold: the ground-truth
 * masks (shading, ROC) and the poses of the most anomalous segments (skeleton view).
 */
export async function htmlReportFromFolders(
  report: ReportData,
  folders: { poses: string; gt: string; convention: GroundTruthConvention },
  options: Omit<ReportHtmlOptions, 'skeletons'>,
): Promise<string> {
  const gt = await readGtDir(folders.gt, folders.convention);
  const clips = await readPoseDir(folders.poses);
  return reportHtml(report, new Map(gt.map((g) => [g.name, g.gtAbnormal])), { ...options, skeletons: mostAnomalousSegments(report, clips) });
}
