import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SkelflowError } from '@skelflow/base';

/** Bad flags or arguments: the CLI prints one line and exits with code 2. */
export class UsageError extends SkelflowError {
  static override readonly code: string = 'SKELFLOW_USAGE';
}

/** Standard output/error sinks, injectable for tests. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const accepted = new Map<string, string[]>();

/**
 * The flags `command` accepted the last time it parsed its arguments (`--help` included), so a test
 * can hold every accepted flag to being documented in the command's help.
 */
export function acceptedFlags(command: string): readonly string[] {
  return accepted.get(command) ?? [];
}

/**
 * `util.parseArgs` in strict mode for one command: adds `--help`/`-h`, turns parse errors into
 * {@link UsageError}s, and (unless help was asked for) checks that every `required` flag was given.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  required: readonly (keyof T & string)[] = [],
): { values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string }; help: boolean } {
  accepted.set(command, [...Object.keys(options), 'help']);
  let parsed: Record<string, string | boolean | undefined>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { source: `skelflow ${command}` });
  }
  const help = parsed.help === true;
  if (!help) {
    for (const f of required) {
      if (!parsed[f]) throw new UsageError(`--${f} is required (see --help)`, { source: `skelflow ${command}` });
    }
  }
  return { values: parsed as { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string }, help };
}

/** Checks `--backend`: `wasm`, `cpu` or (not given) `auto`. */
export function backendFlag(command: string, value: string | undefined): 'wasm' | 'cpu' | 'auto' {
  if (value === undefined) return 'auto';
  if (value !== 'wasm' && value !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, got '${value}'`, { source: `skelflow ${command}` });
  return value;
}

/** Parses a positive integer flag value. */
export function intFlag(command: string, name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${value}'`, { source: `skelflow ${command}` });
  return n;
}

/** Parses a positive number flag value. */
export function numFlag(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${value}'`, { source: `skelflow ${command}` });
  return n;
}

/**
 * Refuses to replace an existing output file unless `--force` was given.
 *
 * @throws UsageError `<file> exists; pass --force to replace it`
 */
export async function refuseExisting(command: string, file: string, force: boolean): Promise<void> {
  const st = await fs.stat(file).catch(() => null);
  if (st?.isDirectory()) throw new UsageError(`${file} is a folder; --out takes a file name`, { source: `skelflow ${command}` });
  if (st && !force) throw new UsageError(`${file} exists; pass --force to replace it`, { source: `skelflow ${command}` });
  // The folder it goes to must exist or be creatable, and writable — checked before any work.
  const dir = path.dirname(path.resolve(file));
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fsConstants.W_OK);
  } catch (e) {
    throw new UsageError(`cannot write into ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { source: `skelflow ${command}` });
  }
}
