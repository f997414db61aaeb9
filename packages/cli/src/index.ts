export { runCli, USAGE } from './main.js';
export { evaluateStgNf, type EvalReport } from './commands/eval.js';
export { trainFromFolders, trainingSegments, type TrainOptions } from './commands/train.js';
export { metricsCommand } from './commands/metrics.js';
export { reportHtml, clipSvg, rocSvg } from './report_html.js';
export { ProgressBar } from './progress.js';
