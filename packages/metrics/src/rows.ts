// Internal: checks of single track / detection rows, shared by the text readers (source =
// file name, location = line) and by the RBDC/TBDC entry points (source = argument path,
// location = row), so both report the same problems in the same words.
import { MetricsInputError } from './errors';

function checkBox(row: ArrayLike<number>, first: number, source: string, location: string): void {
  for (let c = first; c < first + 4; c++) {
    if (!Number.isFinite(row[c])) {
      throw new MetricsInputError(source, location, `box coordinate ${c - first + 1} must be finite, got ${String(row[c])}`);
    }
  }
  // Inclusive pixels: a box is (x2 - x1 + 1) wide. A non-positive size would give a
  // negative area and a meaningless IoU instead of an error.
  if (!(row[first + 2] - row[first] + 1 > 0) || !(row[first + 3] - row[first + 1] + 1 > 0)) {
    throw new MetricsInputError(
      source,
      location,
      `box [${row[first]}, ${row[first + 1]}, ${row[first + 2]}, ${row[first + 3]}] has no area (need x2 - x1 + 1 > 0 and y2 - y1 + 1 > 0)`,
    );
  }
}

function checkLength(row: ArrayLike<number>, source: string, location: string): void {
  if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
    throw new MetricsInputError(source, location, 'row must be an array of 6 numbers');
  }
  if (row.length !== 6) throw new MetricsInputError(source, location, `expected 6 numbers, got ${row.length}`);
  for (let c = 0; c < 6; c++) {
    if (typeof row[c] !== 'number') {
      throw new MetricsInputError(source, location, `column ${c + 1} must be a number, got ${typeof row[c]}`);
    }
  }
}

function checkInteger(v: number, what: string, source: string, location: string): void {
  if (!Number.isInteger(v)) throw new MetricsInputError(source, location, `${what} must be an integer, got ${v}`);
}

/** Frames are 0-based indices into a video: a negative one matches no frame and skews the counts. */
function checkFrame(v: number, source: string, location: string): void {
  checkInteger(v, 'frame', source, location);
  if (v < 0) throw new MetricsInputError(source, location, `frame must be a 0-based index (>= 0), got ${v}`);
}

/** Checks `[track_id, frame, x1, y1, x2, y2]`. */
export function checkTrackRow(row: ArrayLike<number>, source: string, location: string): void {
  checkLength(row, source, location);
  checkInteger(row[0], 'track id', source, location);
  checkFrame(row[1], source, location);
  checkBox(row, 2, source, location);
}

/** Checks `[frame, x1, y1, x2, y2, score]`. */
export function checkDetectionRow(row: ArrayLike<number>, source: string, location: string): void {
  checkLength(row, source, location);
  checkFrame(row[0], source, location);
  checkBox(row, 1, source, location);
  if (row[5] !== row[5]) throw new MetricsInputError(source, location, 'score is NaN');
}
