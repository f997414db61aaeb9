import { MetricsInputError } from './errors';
import { checkDetectionRow, checkTrackRow } from './rows';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

function parseToken(token: string, source: string, location: string, column: number): number {
  const t = token.trim();
  if (DECIMAL.test(t)) return Number(t);
  // numpy.savetxt writes non-finite values as inf / -inf / nan.
  const m = SPECIAL.exec(t);
  if (m !== null) {
    if (m[2].toLowerCase() === 'nan') return NaN;
    return m[1] === '-' ? -Infinity : Infinity;
  }
  throw new MetricsInputError(source, location, `column ${column}: ${JSON.stringify(t)} is not a number`);
}

function parseRows(text: string, source: string, check: (row: number[], source: string, location: string) => void): number[][] {
  if (typeof text !== 'string') throw new MetricsInputError(source, undefined, `expected text, got ${typeof text}`);
  const rows: number[][] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    // '#' starts a comment, as in numpy.loadtxt, which the reference script reads with.
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.trim() === '') continue;
    const location = `line ${i + 1}`;
    const tokens = line.split(',');
    if (tokens.length !== 6) {
      throw new MetricsInputError(source, location, `expected 6 comma-separated numbers, got ${tokens.length}`);
    }
    const row = tokens.map((tok, c) => parseToken(tok, source, location, c + 1));
    check(row, source, location);
    rows.push(row);
  }
  return rows;
}

/**
 * Reads a ground-truth tracks file of the RBDC/TBDC reference format: one region per line,
 * `track_id, frame, x1, y1, x2, y2`, comma-separated (blank lines and `#` comments are
 * skipped). Unlike the reference reader (numpy `loadtxt`), a file with a single row or no
 * row at all is fine; an empty file means a video without anomalies.
 *
 * References: the per-video `tracks/<video>.txt` files of Georgescu et al.'s
 * `evaluation/compute_tbdc_rbdc.py`; Ramachandra & Jones, WACV 2020.
 *
 * @param text the file contents
 * @param source the file name, used in error messages
 * @returns the rows, each `[track_id, frame, x1, y1, x2, y2]`
 * @throws {MetricsInputError} naming the file and line for a wrong column count, a token
 *   that is not a number, a non-integer track id, a frame that is not a non-negative integer, a non-finite coordinate or a
 *   box without area
 *
 * @example
 * ```ts
 * import { parseTracks } from '`@skelflow/metrics`';
 * parseTracks('0,12,10,20,50,90\n0,13,11,20,51,90\n', 'tracks/01_0014.txt');
 * // [[0, 12, 10, 20, 50, 90], [0, 13, 11, 20, 51, 90]]
 * ```
 */
export function parseTracks(text: string, source: string): number[][] {
  return parseRows(text, source, checkTrackRow);
}

/**
 * Reads a detections file of the RBDC/TBDC reference format: one detected region per line,
 * `frame, x1, y1, x2, y2, score`, comma-separated (blank lines and `#` comments are
 * skipped). A single row or no row is fine.
 *
 * References: the per-video `anomalies/<video>.txt` files of Georgescu et al.'s
 * `evaluation/compute_tbdc_rbdc.py`.
 *
 * @param text the file contents
 * @param source the file name, used in error messages
 * @returns the rows, each `[frame, x1, y1, x2, y2, score]`
 * @throws {MetricsInputError} naming the file and line for a wrong column count, a token
 *   that is not a number, a frame that is not a non-negative integer, a non-finite coordinate, a box without area
 *   or a NaN score
 *
 * @example
 * ```ts
 * import { parseDetections } from '`@skelflow/metrics`';
 * parseDetections('12,10,20,50,90,0.93\n', 'detections/01_0014.txt'); // [[12, 10, 20, 50, 90, 0.93]]
 * ```
 */
export function parseDetections(text: string, source: string): number[][] {
  return parseRows(text, source, checkDetectionRow);
}

function formatRows(rows: ReadonlyArray<ArrayLike<number>>): string {
  let out = '';
  for (const row of rows) out += Array.from(row, (v) => String(v)).join(',') + '\n';
  return out;
}

/**
 * Writes ground-truth rows in the tracks text format read by {@link parseTracks} (numbers
 * in shortest round-trip form, so reading back gives the same values).
 *
 * References: see {@link parseTracks}.
 *
 * @param rows rows `[track_id, frame, x1, y1, x2, y2]`
 * @returns the file contents, one line per row
 *
 * @example
 * ```ts
 * import { formatTracks } from '`@skelflow/metrics`';
 * formatTracks([[0, 12, 10, 20, 50, 90]]); // '0,12,10,20,50,90\n'
 * ```
 */
export function formatTracks(rows: ReadonlyArray<ArrayLike<number>>): string {
  return formatRows(rows);
}

/**
 * Writes detection rows in the text format read by {@link parseDetections}, e.g. the
 * output of {@link poseRegions}, for the reference script or the `skelflow metrics` CLI.
 *
 * References: see {@link parseDetections}.
 *
 * @param rows rows `[frame, x1, y1, x2, y2, score]`
 * @returns the file contents, one line per row
 *
 * @example
 * ```ts
 * import { formatDetections } from '`@skelflow/metrics`';
 * formatDetections([[12, 10, 20, 50, 90, 0.93]]); // '12,10,20,50,90,0.93\n'
 * ```
 */
export function formatDetections(rows: ReadonlyArray<ArrayLike<number>>): string {
  return formatRows(rows);
}
