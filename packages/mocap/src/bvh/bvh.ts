// Biovision Hierarchy (BVH) parser and the BVH → MotionClip3D assembly. Browser-safe.
import { InputError } from '@skelflow/base';

/** A BVH channel name. */
export type BvhChannel = 'Xposition' | 'Yposition' | 'Zposition' | 'Xrotation' | 'Yrotation' | 'Zrotation';

const CHANNELS: readonly BvhChannel[] = ['Xposition', 'Yposition', 'Zposition', 'Xrotation', 'Yrotation', 'Zrotation'];

/** A ROOT, JOINT or End Site of a BVH hierarchy. */
export interface BvhJoint {
  /** Joint name; an End Site is named `<parent>_end` (`_end2`, … when a joint has several). */
  name: string;
  /** Parent index in {@link BvhFile.joints}, −1 for the root. */
  parent: number;
  /** OFFSET in file units. */
  offset: [number, number, number];
  /** CHANNELS in listed order (empty for End Sites). */
  channels: BvhChannel[];
  /** Column of the first channel in a MOTION row. */
  channelOffset: number;
  /** True for an End Site. */
  endSite: boolean;
  /** 1-based line of the joint's declaration. */
  line: number;
}

/** A parsed BVH file. */
export interface BvhFile {
  /** File name for messages. */
  source: string;
  /** Joints in file order (parents first). */
  joints: BvhJoint[];
  /** Channels per MOTION row. */
  nChannels: number;
  /** Number of frames F (`Frames:`). */
  nFrames: number;
  /** Seconds per frame (`Frame Time:`). */
  frameTime: number;
  /** Channel values `[F, nChannels]` (positions in file units, rotations in degrees). */
  motion: Float64Array;
}

/**
 * Largest magnitude accepted for any number of a BVH file (OFFSETs and channel values, in file
 * units or degrees). Real captures stay below 1e4 (centimetres: 100 m; degrees: 27 turns); a value
 * like 1e300 is finite but corrupt, and turns a whole clip into positions no camera sees.
 */
export const BVH_MAX_ABS_VALUE = 1e5;

/** Deepest joint nesting accepted (a human skeleton has about 10 levels); deeper files are refused, not recursed into. */
export const BVH_MAX_DEPTH = 1000;

interface Tok {
  text: string;
  line: number;
}

/**
 * Parses a Biovision Hierarchy (BVH) file: `HIERARCHY` with `ROOT`/`JOINT`/`End Site` blocks,
 * `OFFSET x y z` and `CHANNELS n name…`, then `MOTION` with `Frames: N`, `Frame Time: t` and N
 * lines of channel values (one frame per line, channels in hierarchy order).
 *
 * References: Biovision BVH; Meredith & Maddock, "Motion Capture File Formats Explained" (2001).
 *
 * @param text the BVH file's text (LF or CRLF)
 * @param source file name for error messages
 * @returns the parsed file
 * @throws InputError with `source` and `location: 'line N'` on unknown tokens, bad numbers, a wrong
 *   CHANNELS count, unbalanced braces, a number beyond ±{@link BVH_MAX_ABS_VALUE}, joints nested
 *   deeper than {@link BVH_MAX_DEPTH}, a frame line with the wrong number of values, fewer frame
 *   lines than `Frames:` (truncated motion) or more
 *
 * @example
 * ```ts
 * const bvh = parseBvh(text, 'walk.bvh');
 * bvh.joints[0].name; // 'Hips'
 * ```
 */
export function parseBvh(text: string, source: string): BvhFile {
  const fail = (line: number, msg: string): never => {
    throw new InputError(msg, { source, location: `line ${line}` });
  };
  const lines = text.split(/\r\n|\r|\n/);
  // HIERARCHY: tokens with line numbers up to the MOTION keyword.
  const toks: Tok[] = [];
  let motionLine = -1;
  for (let i = 0; i < lines.length && motionLine < 0; i++) {
    for (const t of lines[i]!.trim().split(/\s+/)) {
      if (t === '') continue;
      if (t === 'MOTION') {
        motionLine = i;
        break;
      }
      // Braces may touch other tokens ("{" on the name line is common, "}{" rare).
      for (const part of t.split(/([{}])/)) if (part !== '') toks.push({ text: part, line: i + 1 });
    }
  }
  const lastLine = Math.max(1, lines.length - (lines.at(-1) === '' ? 1 : 0));
  if (motionLine < 0) fail(lastLine, 'no MOTION section');

  let pos = 0;
  const next = (what: string): Tok => {
    const t = toks[pos++];
    if (!t) return fail(motionLine + 1, `hierarchy ends before ${what}`);
    return t;
  };
  const expect = (word: string) => {
    const t = next(`'${word}'`);
    if (t.text !== word) fail(t.line, `expected '${word}', got '${t.text}'`);
  };
  const number = (what: string): number => {
    const t = next(what);
    const v = Number(t.text);
    if (!Number.isFinite(v)) fail(t.line, `${what}: '${t.text}' is not a number`);
    if (Math.abs(v) > BVH_MAX_ABS_VALUE) fail(t.line, `${what} = ${t.text} is beyond ±${BVH_MAX_ABS_VALUE} (corrupt value)`);
    return v;
  };

  const first = next("'HIERARCHY'");
  if (first.text !== 'HIERARCHY') fail(first.line, `expected 'HIERARCHY', got '${first.text}'`);
  const joints: BvhJoint[] = [];
  let nChannels = 0;
  const names = new Set<string>();

  const parseJoint = (kind: 'ROOT' | 'JOINT' | 'End', parent: number, line: number, depth: number): void => {
    if (depth > BVH_MAX_DEPTH) fail(line, `joints nested deeper than ${BVH_MAX_DEPTH} levels`);
    let name: string;
    if (kind === 'End') {
      expect('Site');
      const base = `${joints[parent]!.name}_end`;
      let n = base;
      for (let k = 2; names.has(n); k++) n = `${base}${k}`;
      name = n;
    } else {
      const t = next('a joint name');
      if (t.text === '{' || t.text === '}') fail(t.line, `${kind} needs a name`);
      name = t.text;
      if (names.has(name)) fail(t.line, `duplicate joint name '${name}'`);
    }
    names.add(name);
    expect('{');
    const self = joints.length;
    const joint: BvhJoint = { name, parent, offset: [0, 0, 0], channels: [], channelOffset: nChannels, endSite: kind === 'End', line };
    joints.push(joint);
    let sawOffset = false;
    for (;;) {
      const t = next(`'}' closing ${name} (line ${line})`);
      if (t.text === '}') break;
      if (t.text === 'OFFSET') {
        joint.offset = [number('OFFSET x'), number('OFFSET y'), number('OFFSET z')];
        sawOffset = true;
      } else if (t.text === 'CHANNELS') {
        if (kind === 'End') fail(t.line, 'End Site cannot have CHANNELS');
        const nt = next('channel count');
        const n = Number(nt.text);
        if (!Number.isInteger(n) || n < 0 || n > 6) fail(nt.line, `CHANNELS count must be an integer 0…6, got '${nt.text}'`);
        for (let k = 0; k < n; k++) {
          const c = toks[pos];
          if (!c || !CHANNELS.some((x) => x.toLowerCase() === c.text.toLowerCase())) {
            fail(nt.line, `CHANNELS ${n} lists ${k} channel name(s)${c ? `, then '${c.text}'` : ''}`);
          }
          pos++;
          const ch = CHANNELS.find((x) => x.toLowerCase() === c!.text.toLowerCase())!;
          if (joint.channels.includes(ch)) fail(c!.line, `channel ${ch} repeated`);
          joint.channels.push(ch);
        }
        const after = toks[pos];
        if (after && CHANNELS.some((x) => x.toLowerCase() === after.text.toLowerCase())) fail(after.line, `CHANNELS ${n} is followed by more channel names ('${after.text}')`);
        nChannels += n;
      } else if (t.text === 'JOINT') {
        if (kind === 'End') fail(t.line, 'End Site cannot have children');
        parseJoint('JOINT', self, t.line, depth + 1);
      } else if (t.text === 'End') {
        if (kind === 'End') fail(t.line, 'End Site cannot have children');
        parseJoint('End', self, t.line, depth + 1);
      } else fail(t.line, `unknown token '${t.text}' in ${name}`);
    }
    if (!sawOffset) fail(line, `${name} has no OFFSET`);
  };

  const rootTok = next("'ROOT'");
  if (rootTok.text !== 'ROOT') fail(rootTok.line, `expected 'ROOT', got '${rootTok.text}'`);
  parseJoint('ROOT', -1, rootTok.line, 0);
  if (pos < toks.length) {
    const t = toks[pos]!;
    fail(t.line, t.text === 'ROOT' ? 'more than one ROOT is not supported' : `unknown token '${t.text}' after the hierarchy`);
  }

  // MOTION
  let i = motionLine + 1;
  const nextLine = (): { line: number; text: string } | undefined => {
    while (i < lines.length && lines[i]!.trim() === '') i++;
    if (i >= lines.length) return undefined;
    return { line: i + 1, text: lines[i++]!.trim() };
  };
  // MOTION may be followed by text on its own line (rare); it must be alone.
  const motionRest = lines[motionLine]!.trim().slice(lines[motionLine]!.trim().indexOf('MOTION') + 6).trim();
  if (motionRest !== '') fail(motionLine + 1, `unexpected '${motionRest}' after MOTION`);
  const fl = nextLine();
  const fm = fl && /^Frames:\s*(\S+)$/i.exec(fl.text);
  if (!fl || !fm) return fail(fl?.line ?? motionLine + 1, `expected 'Frames: N'${fl ? `, got '${fl.text}'` : ''}`);
  const nFrames = Number(fm[1]);
  if (!Number.isInteger(nFrames) || nFrames < 0) fail(fl.line, `Frames must be a non-negative integer, got '${fm[1]}'`);
  const tl = nextLine();
  const tm = tl && /^Frame\s+Time:\s*(\S+)$/i.exec(tl.text);
  if (!tl || !tm) return fail(tl?.line ?? fl.line, `expected 'Frame Time: t'${tl ? `, got '${tl.text}'` : ''}`);
  const frameTime = Number(tm[1]);
  if (!(frameTime > 0) || !Number.isFinite(frameTime)) fail(tl.line, `Frame Time must be a positive number, got '${tm[1]}'`);

  const motion = new Float64Array(nFrames * nChannels);
  let lastDataLine = tl.line;
  for (let f = 0; f < nFrames; f++) {
    const l = nextLine();
    if (!l) fail(lastDataLine, `motion is truncated: Frames: ${nFrames} but the file ends after ${f} frame line(s)`);
    const vals = l!.text.split(/\s+/);
    if (vals.length !== nChannels) fail(l!.line, `frame ${f + 1} has ${vals.length} values, expected ${nChannels} (one per channel)`);
    for (let k = 0; k < nChannels; k++) {
      const v = Number(vals[k]);
      if (!Number.isFinite(v)) fail(l!.line, `frame ${f + 1} value ${k + 1} ('${vals[k]}') is not a number`);
      if (Math.abs(v) > BVH_MAX_ABS_VALUE) fail(l!.line, `frame ${f + 1} value ${k + 1} ('${vals[k]}') is beyond ±${BVH_MAX_ABS_VALUE} (corrupt value)`);
      motion[f * nChannels + k] = v;
    }
    lastDataLine = l!.line;
  }
  const extra = nextLine();
  if (extra) fail(extra.line, `more motion lines than Frames: ${nFrames}`);
  return { source, joints, nChannels, nFrames, frameTime, motion };
}
