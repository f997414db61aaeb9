export { runCli, USAGE } from './main.js';
export { evaluateModel, type EvalReport } from './commands/eval.js';
export { streamPoseFile, type StreamLine, type StreamSummary } from './commands/stream.js';
export { trainFamily, type TrainInput } from './commands/train.js';
export { registry } from './registry.js';
export { metricsCommand } from './commands/metrics.js';
export { reportHtml, clipSvg, rocSvg } from './report_html.js';
export { ProgressBar } from './progress.js';
