import os from 'node:os';
import path from 'node:path';

/**
 * `file` relative to the folder `from` (forward slashes): what reports and model configs store, so a
 * folder moved or shared with someone else still points at its neighbours and leaks no home folder.
 *
 * @example
 * ```ts
 * relativePath('/runs/a', '/runs/a/model'); // 'model'
 * relativePath('/runs/a', '/data/x.json');  // '../../data/x.json'
 * ```
 */
export function relativePath(from: string, file: string): string {
  return path.relative(path.resolve(from), path.resolve(file)).split(path.sep).join('/') || '.';
}

/**
 * How the CLI names a path in what it prints: relative to the working folder when below it,
 * `~/…` under the home folder, else absolute.
 */
export function displayPath(file: string, cwd = process.cwd(), home = os.homedir()): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  if (rel === '') return '.';
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  const fromHome = path.relative(home, abs);
  if (home && !fromHome.startsWith('..') && !path.isAbsolute(fromHome)) return `~/${fromHome.split(path.sep).join('/')}`;
  return abs;
}
