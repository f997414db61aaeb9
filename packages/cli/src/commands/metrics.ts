// `skelflow metrics`: RBDC/TBDC from per-video text files, or AUC/AP/EER from label and
// score arrays (JSON or .npy). All numbers come from @skelflow/metrics; this file only reads
// files and reports problems as one line `skelflow metrics: <file>: <place>: <reason>`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { averagePrecision, equalErrorRate, MetricsInputError, parseDetections, parseTracks, rbdcTbdc, rocAuc, type TieHandling, type VideoRegions } from '@skelflow/metrics';
import { InputError } from '@skelflow/base';
import { readNpy, type NpyArray } from '@skelflow/pose';
import { parseFlags, UsageError } from '../usage_error.js';

const USAGE = `Usage:
  skelflow metrics --tracks <dir> --detections <dir> --frames <n> [--alpha <a>] [--beta <b>] [--ties average|input-order]
  skelflow metrics --labels <file> --scores <file | eval report.json> [--higher-is-normal] [--raw]

Region/track-based detection criteria (Ramachandra & Jones, WACV 2020):
  --tracks <dir>       ground-truth anomaly tracks, one text file per video,
                       rows "track_id, frame, x1, y1, x2, y2"
  --detections <dir>   detected regions, one text file per video (same file names),
                       rows "frame, x1, y1, x2, y2, score"; a video without a file in a
                       folder has no rows there
  --frames <n>         total number of frames of all videos (normal videos included)
  --alpha <a>          IoU threshold for a region hit (default 0.1)
  --beta <b>           fraction of a track's regions to hit for a detected track (default 0.1)
  --ties <mode>        'average' (default): tied scores form one step, order independent;
                       'input-order': one detection at a time in file-name and row order,
                       as the reference script
  prints {"rbdc": ..., "tbdc": ...}

Frame-level metrics (scikit-learn definitions):
  --labels <file>      per-frame labels, 1 = anomaly, 0 = normal (JSON array or .npy)
  --scores <file>      per-frame scores: a JSON array or .npy, higher = more anomalous unless
                       --higher-is-normal; or a report written by 'skelflow eval', whose frame
                       scores are normality scores (higher = normal) and are read as such: its
                       clips' smoothed frame scores, concatenated in the report's clip order
  --higher-is-normal   the bare array holds normality scores (higher = more normal, e.g. −NLL,
                       log-density); they are negated. Not needed for an eval report
  --raw                with an eval report: its raw frame scores instead of the smoothed ones
  prints {"auc": ..., "ap": ..., "eer": ...} with anomaly as the positive class; a note on stderr
  says which direction was used, and warns when AUC < 0.5 (inverted scores?)

Both groups may be given at once; the printed object then holds all five numbers.
Exit codes: 0 success, 2 bad flags or input.
`;

/** A problem with one input, reported as `<file>: <place>: <reason>` (the CLI's one usage/input error type). */
class InputProblem extends UsageError {
  constructor(
    readonly file: string,
    readonly place: string,
    override readonly reason: string,
  ) {
    super(reason, { source: file, location: place });
  }
}

// `readNpy` names bytes and elements; this command reports sections (header, dtype, data) and indices.
function npyPlace(location: string | undefined): string {
  if (location === undefined) return 'file';
  if (location.startsWith('byte ') || location.startsWith('header')) return 'header';
  return location.replace(/^element /, 'index ');
}

/**
 * Reads a 1-D `.npy` array as float64 with `@skelflow/pose`'s reader (format versions 1-3, every
 * little-endian dtype it supports); a problem becomes one `<file>: <place>: <reason>` line.
 *
 * @param bytes the file contents
 * @param source the file name, used in error messages
 * @returns the values as float64
 *
 * @example
 * ```ts
 * const values = parseNpy(readFileSync('scores.npy'), 'scores.npy');
 * ```
 */
export function parseNpy(bytes: Uint8Array, source: string): Float64Array {
  let array: NpyArray;
  try {
    array = readNpy(bytes, source);
  } catch (e) {
    if (e instanceof InputError) throw new InputProblem(source, npyPlace(e.location), e.reason);
    throw e;
  }
  if (array.shape.length !== 1) {
    throw new InputProblem(source, 'shape', `expected a 1-D array, got shape (${array.shape.join(', ')})`);
  }
  return Float64Array.from(array.data);
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputProblem(file, 'read', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
}

/** A short description of a JSON value that never recurses (a 200k-deep array overflowed JSON.stringify). */
function describeJson(v: unknown): string {
  if (Array.isArray(v)) return `an array (${v.length} item${v.length === 1 ? '' : 's'})`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

/** A JSON array of numbers (booleans allowed; "Infinity", "-Infinity", "NaN" strings as in numpy-style dumps) or a .npy file. */
function readArray(file: string): ArrayLike<number> {
  const bytes = readBytes(file);
  if (extname(file).toLowerCase() === '.npy') return parseNpy(bytes, file);
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch (e) {
    throw new InputProblem(file, 'JSON', (e as Error).message.replace(/\s*[\r\n]+\s*/g, ' '));
  }
  if (!Array.isArray(data)) throw new InputProblem(file, 'JSON', `expected an array of numbers, got ${data === null ? 'null' : typeof data}`);
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') out[i] = Number(v);
    else throw new InputProblem(file, `index ${i}`, `expected a number, got ${describeJson(v)}`);
  }
  return out;
}

function listVideoFiles(dir: string, flag: string): Set<string> {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new InputProblem(dir, flag, 'no such directory');
  }
  if (!isDir) throw new InputProblem(dir, flag, 'not a directory');
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && !entry.name.startsWith('.')) names.add(entry.name);
  }
  return names;
}

function readText(file: string): string {
  return new TextDecoder('utf-8').decode(readBytes(file));
}

function fraction(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !(v > 0 && v <= 1)) throw new InputProblem(`--${flag}`, 'value', `must be a number in (0, 1], got '${value}'`);
  return v;
}

function detectionCriteria(
  tracksDir: string,
  detectionsDir: string,
  framesText: string,
  alpha: number | undefined,
  beta: number | undefined,
  ties: TieHandling,
): { rbdc: number; tbdc: number } {
  const frames = Number(framesText);
  if (framesText.trim() === '' || !Number.isInteger(frames) || frames < 1) {
    throw new InputProblem('--frames', 'value', `must be a positive integer (total frames of all videos), got '${framesText}'`);
  }
  const trackFiles = listVideoFiles(tracksDir, '--tracks');
  const detectionFiles = listVideoFiles(detectionsDir, '--detections');
  // Sorted names make 'input-order' reproducible; the reference used os.listdir order.
  const names = [...new Set([...trackFiles, ...detectionFiles])].sort();
  const videos: VideoRegions[] = names.map((name) => {
    const t = join(tracksDir, name);
    const d = join(detectionsDir, name);
    return {
      name,
      tracks: trackFiles.has(name) ? parseTracks(readText(t), t) : [],
      detections: detectionFiles.has(name) ? parseDetections(readText(d), d) : [],
    };
  });
  // Every video with a row has at least (its last frame + 1) frames, so --frames is at least the
  // sum of those; a smaller --frames would count false positives per frame against too few frames.
  let needed = 0;
  let last: { file: string; line: number; frame: number } | undefined;
  for (const v of videos) {
    const at = (rows: readonly ArrayLike<number>[] | undefined, col: number, file: string) => {
      let best: { file: string; line: number; frame: number } | undefined;
      (rows ?? []).forEach((r, i) => {
        if (!best || r[col]! > best.frame) best = { file, line: i + 1, frame: r[col]! };
      });
      return best;
    };
    const t = at(v.tracks, 1, join(tracksDir, v.name ?? ''));
    const d = at(v.detections, 0, join(detectionsDir, v.name ?? ''));
    const top = !t ? d : !d ? t : d.frame > t.frame ? d : t;
    if (!top) continue;
    needed += top.frame + 1;
    if (!last || top.frame > last.frame) last = top;
  }
  if (last && frames < needed) {
    throw new InputProblem(
      '--frames',
      'value',
      `${frames} is smaller than the data: the videos with rows have at least ${needed} frames (e.g. ${last.file} row ${last.line} is at frame ${last.frame})`,
    );
  }
  try {
    const r = rbdcTbdc(videos, frames, { alpha, beta, ties });
    return { rbdc: r.rbdc, tbdc: r.tbdc };
  } catch (e) {
    if (e instanceof MetricsInputError && e.source === 'tracks') throw new InputProblem(tracksDir, 'all files', e.reason);
    throw e;
  }
}

/** Per-frame scores read from `--scores`, oriented so that higher = more anomalous. */
interface FrameScores {
  scores: Float64Array;
  /** What the file held, for the note on stderr. */
  described: string;
}

/** Whether parsed JSON is a `skelflow eval` report (it carries `kind`, `auc` and per-clip frame scores). */
function isEvalReport(data: unknown): data is { kind?: string; scoreDirection?: string; clips: { name: string; frameScores: { raw: unknown; smoothed: unknown } }[] } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return Array.isArray(d.clips) && typeof d.auc === 'object' && d.clips.every((c) => typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>).frameScores === 'object');
}

/**
 * Reads `--scores` in the direction it was written: an eval report's frame scores are normality
 * (higher = normal) and are negated; a bare array is higher = anomalous unless `higherIsNormal`.
 */
function readScores(file: string, higherIsNormal: boolean, raw: boolean): FrameScores {
  let data: unknown = undefined;
  if (extname(file).toLowerCase() !== '.npy') {
    try {
      data = JSON.parse(readText(file));
    } catch {
      // not JSON: readArray reports it
    }
  }
  if (isEvalReport(data)) {
    if (higherIsNormal) throw new InputProblem('--higher-is-normal', 'flag', `${file} is an eval report, whose direction is known (higher = normal); drop the flag`);
    if (data.scoreDirection !== undefined && data.scoreDirection !== 'higher-is-normal') {
      throw new InputProblem(file, 'scoreDirection', `unknown score direction ${JSON.stringify(data.scoreDirection)}`);
    }
    const parts: number[] = [];
    for (const [i, clip] of data.clips.entries()) {
      const which = raw || clip.frameScores.smoothed === null ? 'raw' : 'smoothed';
      const values = clip.frameScores[which];
      if (!Array.isArray(values)) throw new InputProblem(file, `clips[${i}].frameScores.${which}`, 'expected an array of numbers');
      for (const [k, v] of values.entries()) {
        if (typeof v !== 'number') throw new InputProblem(file, `clips[${i}].frameScores.${which}[${k}]`, `expected a number, got ${JSON.stringify(v)}`);
        // Normality → anomaly score.
        parts.push(-v);
      }
    }
    const smoothed = !raw && data.clips.every((c) => c.frameScores.smoothed !== null);
    return { scores: Float64Array.from(parts), described: `eval report (${data.clips.length} clips, ${smoothed ? 'smoothed' : 'raw'} frame scores, normality: higher = normal)` };
  }
  if (raw) throw new InputProblem('--raw', 'flag', `only applies to an eval report; ${file} is a bare array`);
  const values = Float64Array.from(readArray(file));
  if (higherIsNormal) for (let i = 0; i < values.length; i++) values[i] = -values[i]!;
  return { scores: values, described: higherIsNormal ? 'bare array, higher = normal (--higher-is-normal)' : 'bare array, higher = anomalous' };
}

function frameMetrics(labelsFile: string, scoresFile: string, higherIsNormal: boolean, raw: boolean, note: (s: string) => void): { auc: number; ap: number; eer: number } {
  const labels = readArray(labelsFile);
  const read = readScores(scoresFile, higherIsNormal, raw);
  const scores = read.scores;
  if (labels.length !== scores.length) {
    throw new InputProblem(scoresFile, 'length', `${scores.length} scores but ${labelsFile} has ${labels.length} labels`);
  }
  const names = { labels: labelsFile, scores: scoresFile };
  const out = {
    auc: rocAuc(labels, scores, names),
    ap: averagePrecision(labels, scores, names),
    eer: equalErrorRate(labels, scores, names),
  };
  note(`skelflow metrics: ${scoresFile}: ${read.described}\n`);
  if (out.auc < 0.5) {
    note(
      `skelflow metrics: warning: AUC ${out.auc.toFixed(4)} < 0.5: the scores rank normal frames above abnormal ones; if ${scoresFile} holds normality scores (higher = normal), pass --higher-is-normal\n`,
    );
  }
  return out;
}

/**
 * The `skelflow metrics` command: RBDC/TBDC from per-video track and detection folders,
 * or frame-level AUC/AP/EER from label and score files. Bad flags or input print one line
 * `skelflow metrics: <file>: <place>: <reason>` (or a usage reason) on stderr, never a
 * stack trace.
 *
 * References: {@link rbdcTbdc}, {@link rocAuc}, {@link averagePrecision},
 * {@link equalErrorRate} of `@skelflow/metrics`; Ramachandra & Jones, WACV 2020.
 *
 * @param argv the arguments after `metrics`
 * @param io sinks for standard output and standard error
 * @returns the exit code: 0 on success, 2 for bad flags or input
 *
 * @example
 * ```ts
 * const code = await metricsCommand(
 *   ['--labels', 'gt.npy', '--scores', 'scores.json'],
 *   { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
 * );
 * ```
 */
export async function metricsCommand(
  argv: string[],
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags('metrics', argv, {
      tracks: { type: 'string' },
      detections: { type: 'string' },
      frames: { type: 'string' },
      alpha: { type: 'string' },
      beta: { type: 'string' },
      ties: { type: 'string' },
      labels: { type: 'string' },
      scores: { type: 'string' },
      'higher-is-normal': { type: 'boolean' },
      raw: { type: 'boolean' },
    });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`${e.message} (see --help)\n`);
    return 2;
  }
  const { values } = parsed;
  if (parsed.help) {
    io.stdout(USAGE);
    return 0;
  }
  const usage = (reason: string): number => {
    io.stderr(`skelflow metrics: ${reason} (see --help)\n`);
    return 2;
  };
  const regionFlags = [values.tracks, values.detections, values.frames];
  const wantsRegions = regionFlags.some((v) => v !== undefined) || values.alpha !== undefined || values.beta !== undefined || values.ties !== undefined;
  const wantsFrames = values.labels !== undefined || values.scores !== undefined || values['higher-is-normal'] !== undefined || values.raw !== undefined;
  if (!wantsRegions && !wantsFrames) return usage('nothing to compute: give --tracks, --detections and --frames, or --labels and --scores');
  if (wantsRegions && regionFlags.some((v) => v === undefined)) return usage('--tracks, --detections and --frames go together');
  if (wantsFrames && (values.labels === undefined || values.scores === undefined)) return usage('--labels and --scores go together (--higher-is-normal and --raw qualify --scores)');
  const ties = values.ties ?? 'average';
  if (ties !== 'average' && ties !== 'input-order') return usage(`--ties must be 'average' or 'input-order', got '${ties}'`);

  try {
    const out: Record<string, number> = {};
    if (wantsRegions) {
      Object.assign(
        out,
        detectionCriteria(
          values.tracks!,
          values.detections!,
          values.frames!,
          fraction('alpha', values.alpha),
          fraction('beta', values.beta),
          ties,
        ),
      );
    }
    if (wantsFrames) Object.assign(out, frameMetrics(values.labels!, values.scores!, !!values['higher-is-normal'], !!values.raw, io.stderr));
    io.stdout(JSON.stringify(out) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`skelflow metrics: ${e.message}\n`);
      return 2;
    }
    if (e instanceof MetricsInputError) {
      io.stderr(`skelflow metrics: ${e.source}: ${e.location ?? 'whole file'}: ${e.reason}\n`);
      return 2;
    }
    io.stderr(`skelflow metrics: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
