// The fuzz suite's bookkeeping: runs one input through a CLI command in-process (runCli with
// captured output) or through a reader, and classifies the outcome against the project's rules:
// no exit 1 (an uncaught error), every error one line naming the file at fault (and, counted, a
// place in it), no exit 0 with a non-finite or convention-inverted result.
import { SkelflowError } from '@skelflow/base';
import { runCli } from '@skelflow/cli';
import { MetricsInputError } from '@skelflow/metrics';

export interface Tally {
  /** Inputs tried. */
  inputs: number;
  exit0: number;
  /** Clean errors (exit 2, or a typed error from a reader). */
  errors: number;
  /** … of which name the file at fault. */
  namingFile: number;
  /** … of which name the file and a place in it (line, person/frame, index, header, tensor …). */
  namingFileAndPlace: number;
  /** Uncaught errors (exit 1, or an untyped exception from a reader): must stay empty. */
  exit1: string[];
  /** Clean errors that do not name the file: must stay empty. */
  unnamed: string[];
  /** Exit 0 with a non-finite or convention-inverted result: must stay empty. */
  silentWrong: string[];
  /** Inputs per target. */
  byTarget: Record<string, number>;
}

export const tally: Tally = { inputs: 0, exit0: 0, errors: 0, namingFile: 0, namingFileAndPlace: 0, exit1: [], unnamed: [], silentWrong: [], byTarget: {} };

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when `message` names `file` followed by a place (`<file>: <place>: <reason>`). */
function namesPlace(message: string, file: string): boolean {
  return new RegExp(`${esc(file)}[^:\\s]*: [^:]+: .`).test(message);
}

function record(target: string, what: string, outcome: { kind: 'ok'; problem?: string } | { kind: 'error'; message: string } | { kind: 'crash'; message: string }, fault: string): void {
  tally.inputs++;
  tally.byTarget[target] = (tally.byTarget[target] ?? 0) + 1;
  const tag = `[${target}] ${what.length > 200 ? `${what.slice(0, 200)}…` : what}`;
  if (outcome.kind === 'crash') {
    tally.exit1.push(`${tag}: ${outcome.message.slice(0, 300)}`);
  } else if (outcome.kind === 'ok') {
    tally.exit0++;
    if (outcome.problem !== undefined) tally.silentWrong.push(`${tag}: ${outcome.problem}`);
  } else {
    tally.errors++;
    if (outcome.message.includes(fault)) {
      tally.namingFile++;
      if (namesPlace(outcome.message, fault)) tally.namingFileAndPlace++;
    } else tally.unnamed.push(`${tag}: ${outcome.message.slice(0, 300)}`);
  }
}

/**
 * Runs `skelflow argv` in-process. Exit 0: `check(stdout)` returns a problem (non-finite or
 * inverted result) or `undefined`. Exit 2: stderr must be one line naming `fault` (a path, or a
 * folder whose files were edited). Exit 1 or an escaping exception: recorded as a crash.
 */
export async function fuzzCli(target: string, what: string, argv: string[], fault: string, check: (stdout: string) => string | undefined): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = await runCli(argv, { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s) });
  } catch (e) {
    record(target, what, { kind: 'crash', message: `escaped runCli: ${(e as Error)?.stack ?? String(e)}` }, fault);
    return;
  }
  const stderr = err.join('').replace(/^.*\r(?!\n)/gm, ''); // progress bars redraw with \r
  const lines = stderr.split('\n').filter((l) => l !== '' && !/^(scoring|training|reading|filming) \[/.test(l) && !/warning:/.test(l) && !/^(evaluated|streamed) /.test(l));
  if (code === 0) {
    let problem: string | undefined;
    try {
      problem = check(out.join(''));
    } catch (e) {
      problem = `output unreadable: ${(e as Error).message}`;
    }
    record(target, what, { kind: 'ok', ...(problem !== undefined ? { problem } : {}) }, fault);
  } else if (code === 2) {
    if (lines.length !== 1 || /\n\s+at /.test(stderr)) record(target, what, { kind: 'crash', message: `exit 2 but not one line: ${stderr}` }, fault);
    else record(target, what, { kind: 'error', message: lines[0]! }, fault);
  } else {
    record(target, what, { kind: 'crash', message: `exit ${code}: ${stderr}` }, fault);
  }
}

/**
 * Runs a reader on an input. A typed error ({@link SkelflowError} or `MetricsInputError`) must name
 * `fault` in its message; any other exception is a crash; a result is checked by `check`.
 */
export function fuzzReader<T>(target: string, what: string, fault: string, read: () => T, check: (r: T) => string | undefined): void {
  let r: T;
  try {
    r = read();
  } catch (e) {
    if (e instanceof SkelflowError || e instanceof MetricsInputError) record(target, what, { kind: 'error', message: e.message }, fault);
    else record(target, what, { kind: 'crash', message: (e as Error)?.stack ?? String(e) }, fault);
    return;
  }
  const problem = check(r);
  record(target, what, { kind: 'ok', ...(problem !== undefined ? { problem } : {}) }, fault);
}

/** A one-line summary of the tally (what the closing note of issue #14 asks for). */
export function summary(t: Tally = tally): string {
  const targets = Object.entries(t.byTarget).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `fuzz: ${t.inputs} inputs tried (${targets})`,
    `  exit 0: ${t.exit0}; clean errors: ${t.errors}, naming the file: ${t.namingFile}, naming file and place: ${t.namingFileAndPlace}`,
    `  exit-1 (uncaught): ${t.exit1.length}; errors not naming the file: ${t.unnamed.length}; silent-wrong (exit 0, non-finite or inverted): ${t.silentWrong.length}`,
  ].join('\n');
}
