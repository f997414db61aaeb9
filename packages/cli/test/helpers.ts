import { expect } from 'vitest';
import { runCli } from '@skelflow/cli';

/** An `Io` that records what a command writes, for assertions. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, out, err };
}

/** Runs `skelflow argv` and asserts exit code 2 with exactly one stderr line matching `re`, no stack trace. */
export async function expectUsageFailure(argv: string[], re: RegExp): Promise<void> {
  const c = capture();
  expect(await runCli(argv, c.io), argv.join(' ')).toBe(2);
  const err = c.err.join('');
  expect(err).toMatch(re);
  expect(err.trim().split('\n')).toHaveLength(1);
  expect(err).not.toMatch(/\n\s+at /);
}

/** Runs `skelflow argv`, asserts exit code 0 (showing stderr otherwise) and returns what it wrote. */
export async function runOk(argv: string[]): Promise<{ out: string; err: string }> {
  const c = capture();
  const code = await runCli(argv, c.io);
  expect(code, `${argv.join(' ')}\n${c.err.join('')}`).toBe(0);
  return { out: c.out.join(''), err: c.err.join('') };
}
