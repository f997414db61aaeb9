// What the benchmarks under bench/ share (not a test, not a package): flag parsing with a usage
// line and exit code 2 on bad input, positive-integer and backend flags, medians, wall-clock
// timing, the PyTorch twin's one-JSON-line run, and the report file under .cache/bench.
import type { BackendName } from '@skelflow/core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root (bench/ is one level below it). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Prints `<bench>: <message>` on stderr and exits with status 2 (bad command line). */
export function usageError(bench: string, message: string): never {
  console.error(`${bench}: ${message}`);
  process.exit(2);
}

/**
 * Parses the command line with `config` (strict) plus a `--help` flag: a bad flag exits through
 * {@link usageError}, `--help` prints `usageLine` and exits 0.
 */
export function parseBenchFlags<T extends ParseArgsConfig>(bench: string, usageLine: string, config: T): ReturnType<typeof parseArgs<T>>['values'] {
  let parsed: { values: Record<string, unknown> };
  try {
    parsed = parseArgs({ ...config, options: { ...config.options, help: { type: 'boolean', default: false } } }) as { values: Record<string, unknown> };
  } catch (e) {
    return usageError(bench, `${(e as Error).message} (see --help)`);
  }
  if (parsed.values.help) {
    console.log(usageLine);
    process.exit(0);
  }
  return parsed.values as ReturnType<typeof parseArgs<T>>['values'];
}

/** The flags of the benchmarks that race a PyTorch twin: `--reps`, `--backend`, `--no-reference`, `--profile`. */
export const REFERENCE_BENCH_OPTIONS = {
  reps: { type: 'string' },
  backend: { type: 'string' },
  'no-reference': { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
} as const;

/** The value of `--<flag>` as a positive integer, `fallback` when absent; anything else is a usage error. */
export function positiveInt(bench: string, flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) usageError(bench, `--${flag} must be a positive integer, got '${text}'`);
  return v;
}

/** The value of `--backend`: wasm (default) or cpu. */
export function backendFlag(bench: string, text: string | undefined): BackendName {
  const backend = (text ?? 'wasm') as BackendName;
  if (!['wasm', 'cpu'].includes(backend)) usageError(bench, `--backend must be wasm or cpu, got '${text}'`);
  return backend;
}

/** Median (mean of the two middle values for an even count); NaN-free callers pass a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall-clock seconds of one call of `fn`. */
export function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/** `ours ÷ reference` with two decimals, '—' without a reference. */
export function ratioText(ours: number, reference: number | null): string {
  return reference ? (ours / reference).toFixed(2) : '—';
}

/**
 * Runs a PyTorch twin (`/usr/bin/python3 script ...args`) and parses the JSON object on its last
 * stdout line; on failure prints `<bench>: reference failed (...)` and returns null so the
 * benchmark goes on without the reference.
 */
export function runReference<T>(bench: string, script: string, args: readonly string[]): T | null {
  const r = spawnSync('/usr/bin/python3', [script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`${bench}: reference failed (${r.status}): ${r.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** Writes `summary` to .cache/bench/<file> (indented) and prints it as one JSON line. */
export function writeReport(file: string, summary: unknown): void {
  fs.mkdirSync(path.join(repoRoot, '.cache', 'bench'), { recursive: true });
  fs.writeFileSync(path.join(repoRoot, '.cache', 'bench', file), JSON.stringify(summary, null, 2));
  console.log(JSON.stringify(summary));
}

/** One kernel of a `tf.profile` run (the fields the per-kernel tables read). */
export interface ProfiledKernel {
  name: string;
  kernelTimeMs: unknown;
  inputShapes: number[][];
}

/**
 * Kernel time of a `tf.profile` run summed by `key` (null skips a kernel), the `top` largest
 * first: `[key, { ms, n }]` with n the number of kernels summed.
 */
export function topKernels<K extends ProfiledKernel>(kernels: readonly K[], key: (k: K) => string | null, top: number): [string, { ms: number; n: number }][] {
  const m = new Map<string, { ms: number; n: number }>();
  for (const k of kernels) {
    const name = key(k);
    if (name === null) continue;
    const e = m.get(name) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.n += 1;
    m.set(name, e);
  }
  return [...m].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
}
