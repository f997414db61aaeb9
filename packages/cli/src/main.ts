import { SkelflowError } from '@skelflow/base';
import { MetricsInputError } from '@skelflow/metrics';
import { benchmarkCommand } from './commands/benchmark.js';
import { convertCommand } from './commands/convert.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { metricsCommand } from './commands/metrics.js';
import { mocapDatasetCommand } from './commands/mocap_dataset.js';
import { modelsCommand } from './commands/models.js';
import { streamCommand } from './commands/stream.js';
import { trainCommand } from './commands/train.js';
import { columns } from './help.js';
import type { Io } from './usage_error.js';
import { VERSION } from './version.js';

/** One line per command, in the order `skelflow --help` lists them. */
const SUMMARIES: readonly (readonly [string, string])[] = [
  ['models', 'list the registered model families (stg-nf, pca-gaussian, …)'],
  ['demo', 'generate a synthetic pose dataset, train a model (STG-NF by default), evaluate, write an HTML report'],
  ['train', 'train a model (--model <kind>) on a folder of tracked-pose JSON files'],
  ['eval', 'score a folder of pose tracks with a saved model or released checkpoint (.tar/.pth/.json); frame AUC report (JSON, --html)'],
  ['convert', 'write a released checkpoint (the original STG-NF .tar, or its .json) as a saved model folder'],
  ['stream', 'replay one pose-track file frame by frame through the streaming scorer; one JSON line per scored window'],
  ['metrics', 'RBDC/TBDC from region files, or AUC/AP/EER from label and score arrays'],
  ['mocap-dataset', 'build a labelled pose-track dataset from motion capture (manifest, virtual cameras)'],
  ['benchmark', 'train and evaluate models over seeds on a dataset; AUC mean ± std, time, throughput'],
];

export const USAGE = `skelflow ${VERSION} — pose-based video anomaly detection with normalizing flows

Usage: skelflow <command> [options]
       skelflow help <command>        (or skelflow <command> --help) for a command's flags
       skelflow --version

Commands:
${columns(SUMMARIES)}
`;

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  models: modelsCommand,
  demo: demoCommand,
  train: trainCommand,
  eval: evalCommand,
  convert: convertCommand,
  stream: streamCommand,
  metrics: metricsCommand,
  'mocap-dataset': mocapDatasetCommand,
  benchmark: benchmarkCommand,
};

/**
 * Errors that are the user's input's fault (exit code 2, one line): the library's
 * {@link SkelflowError}s (the CLI's `UsageError` among them) and `@skelflow/metrics`'
 * `MetricsInputError` (which does not derive from it, metrics having no dependencies).
 */
function isInputProblem(e: unknown): e is Error {
  return e instanceof SkelflowError || e instanceof MetricsInputError;
}

/**
 * Runs the `skelflow` command line and returns its exit code: 0 success, 2 bad usage or bad input
 * (one line naming the file and place, no stack trace), 1 an unexpected internal error.
 *
 * @example
 * ```ts
 * const code = await runCli(['eval', '--help'], { stdout: console.log, stderr: console.error });
 * ```
 */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if (name === 'help' && rest[0] !== undefined) {
    // `skelflow help eval [--model pca-gaussian]` is `skelflow eval --help [--model pca-gaussian]`.
    [name, ...rest] = [rest[0], '--help', ...rest.slice(1)];
    if (!COMMANDS[name!]) {
      io.stderr(`skelflow help: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
      return 2;
    }
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr(`skelflow: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  try {
    return await cmd(rest, io);
  } catch (e) {
    if (isInputProblem(e)) {
      // One line, always: messages may quote input (V8's JSON errors carry a snippet with newlines).
      io.stderr(`skelflow ${name}: ${e.message.replace(/^skelflow \w+: /, '').replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      io.stderr(`skelflow ${name}: ${err.path}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.code}\n`);
      return 2;
    }
    io.stderr(`skelflow ${name}: internal error: ${(e as Error)?.message ?? String(e)}${process.env.SKELFLOW_DEBUG ? `\n${(e as Error)?.stack}` : ' (set SKELFLOW_DEBUG=1 for details)'}\n`);
    return 1;
  }
}
