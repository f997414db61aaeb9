import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { writeAtomic } from '@skelflow/core/node';
import { StreamingScorer, type StreamingFrame } from '@skelflow/model';
import { readModelKind } from '@skelflow/model/node';
import { parsePoseTrackJson } from '@skelflow/pose';
import { BACKEND_FLAG, columns } from '../help.js';
import { checkModelInput } from '../load_model.js';
import { registry } from '../registry.js';
import { backendFlag, parseFlags, refuseExisting, type Io } from '../usage_error.js';

export const STREAM_USAGE = `Usage: skelflow stream --model <saved model dir | STG-NF checkpoint .json> --poses <tracked-person JSON file>
                       [--out <file.jsonl>] [--backend wasm|cpu] [--force]

Replays the detections of one AlphaPose tracked-person JSON file in frame order through the
streaming scorer, as a live pose tracker would feed it: one detection per person at a time, all
people of a frame in one model call. The model is of any registered kind, read from the folder's
config.json as for 'skelflow eval'. Writes one JSON line per scored (frame, track):

  {"frame":120,"track":"3","normality":-1.2345}

A track is scored at a frame when its last segLen detections (the model's segment length) form a
window the batch pipeline would also cut (at most 2 of its frames missing); the window is
normalised as in 'skelflow eval', so each value is the eval score of that window (plus each track's
last window, which the original's segmentation never uses). Higher = more normal.

${columns([
  ['--model <path>', "a folder saved by 'skelflow train' (its config.json names the model kind; a folder\nwithout kind is a legacy STG-NF one), or a released STG-NF checkpoint JSON"],
  ['--poses <file>', 'one <clip>_alphapose_tracked_person.json file ({person: {frame: {keypoints, scores}}})'],
  ['--out <file>', 'write the lines to this file (default: standard output)'],
  BACKEND_FLAG,
  ['--force', 'replace an existing --out file'],
])}
`;

/** One line of `skelflow stream`'s output. */
export interface StreamLine {
  /** Frame number of the detection that completed the window. */
  frame: number;
  /** The person's key in the pose file. */
  track: string;
  /** The model's normality score of the window (higher = more normal). */
  normality: number;
}

/** What {@link streamPoseFile} did. */
export interface StreamSummary {
  /** The model family's kind. */
  kind: string;
  /** Window length (the model's segment length). */
  segLen: number;
  /** Tracks in the file. */
  tracks: number;
  /** Detections replayed. */
  detections: number;
  /** Windows scored (lines written). */
  scored: number;
}

/**
 * Replays one tracked-person JSON file through a {@link StreamingScorer} over a saved model of any
 * registered kind, frame by frame (one `pushMany` per frame; tracks in file order), and hands every
 * scored window to `onFrame` (the lines of one frame at a time, in track order).
 *
 * @throws InputError naming the pose file and the track/frame (malformed file, a window that
 *   cannot be normalised), or the model location
 */
export async function streamPoseFile(options: { model: string; poses: string }, onFrame: (lines: StreamLine[]) => void): Promise<StreamSummary> {
  const { kind } = await readModelKind(options.model);
  const family = registry.get(kind, `${options.model}: config.json: kind`);
  const text = await fs.readFile(options.poses, 'utf8');
  const tracks = parsePoseTrackJson(text, options.poses);
  const model = await family.load(options.model);
  checkModelInput(model, options.model);
  try {
    const scorer = new StreamingScorer(model);
    const byFrame = new Map<number, StreamingFrame[]>();
    let detections = 0;
    for (const [person, t] of tracks) {
      t.frames.forEach((frame, j) => {
        let list = byFrame.get(frame);
        if (!list) byFrame.set(frame, (list = []));
        list.push({ trackId: person, frame, keypoints: t.keypoints.subarray(j * 51, (j + 1) * 51) });
        detections++;
      });
    }
    let scored = 0;
    for (const frame of [...byFrame.keys()].sort((a, b) => a - b)) {
      const entries = byFrame.get(frame)!;
      let scores: (number | null)[];
      try {
        scores = scorer.pushMany(entries);
      } catch (e) {
        // The scorer names the track and frame; the user needs the file too.
        if (e instanceof InputError) throw new InputError(e.reason, { source: options.poses, ...(e.location !== undefined ? { location: e.location } : {}), cause: e });
        throw e;
      }
      const lines: StreamLine[] = [];
      entries.forEach((en, i) => {
        const s = scores[i];
        if (s === null || s === undefined) return;
        // A non-finite score would be written as null: name where it came from instead.
        if (!Number.isFinite(Number(s))) {
          throw new InputError(`the model scored the window of ${options.poses} ending at track ${String(en.trackId)}, frame ${frame} as ${Number(s)} (non-finite weights?)`, {
            source: options.model,
            location: `track ${String(en.trackId)}, frame ${frame}`,
          });
        }
        lines.push({ frame, track: String(en.trackId), normality: Number(s) });
      });
      if (lines.length > 0) {
        scored += lines.length;
        onFrame(lines);
      }
    }
    return { kind, segLen: model.input.segLen, tracks: tracks.size, detections, scored };
  } finally {
    model.dispose();
  }
}

const jsonLine = (l: StreamLine): string => `${JSON.stringify({ frame: l.frame, track: l.track, normality: l.normality })}\n`;

/** `skelflow stream`. */
export async function streamCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseFlags('stream', argv, {
    model: { type: 'string' },
    poses: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
  }, ['model', 'poses']);
  if (help) {
    io.stdout(STREAM_USAGE);
    return 0;
  }
  const out = values.out;
  if (out !== undefined) await refuseExisting('stream', out, !!values.force);
  await initBackend(backendFlag('stream', values.backend));
  // To a file: collected and written at the end (atomically, nothing on bad input); to stdout: frame by frame.
  const collected: string[] = [];
  const summary = await streamPoseFile({ model: values.model!, poses: values.poses! }, (lines) => {
    const text = lines.map(jsonLine).join('');
    if (out === undefined) io.stdout(text);
    else collected.push(text);
  });
  if (out !== undefined) {
    await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await writeAtomic(out, collected.join(''));
  }
  io.stderr(
    `streamed ${summary.detections} detections of ${summary.tracks} tracks through ${summary.kind} (windows of ${summary.segLen}): ${summary.scored} scored` +
      (out !== undefined ? ` → ${out}` : '') +
      '\n',
  );
  return 0;
}
