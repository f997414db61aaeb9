// Acclaim Motion Capture (AMC) parser. Browser-safe.
import { InputError } from '@skelflow/base';
import type { AsfSkeleton } from './asf.js';

/** What to do with AMC values outside the ASF `limits`. */
export type AmcLimitPolicy = 'ignore' | 'clamp' | 'error';

/**
 * Largest magnitude accepted for an AMC value (file length units or degrees/radians). CMU values
 * stay below 1e3; a finite but absurd value like 1e300 in the root used to turn a whole clip into
 * positions no virtual camera sees (0 % detected, exit 0).
 */
export const AMC_MAX_ABS_VALUE = 1e5;

/** Options of {@link parseAmc}. */
export interface AmcParseOptions {
  /**
   * Values outside the bone's ASF `limits`: `'ignore'` (default: the captured data is authoritative,
   * and CMU files do step outside their limits), `'clamp'` them into range, or `'error'` (InputError
   * with the line). A slack of 1e-6 (file units) absorbs round-off. Violations are counted in {@link AmcMotion.limitViolations} either way.
   */
  limits?: AmcLimitPolicy;
}

/** A parsed AMC file, bound to the skeleton it was parsed against. */
export interface AmcMotion {
  /** File name for messages. */
  source: string;
  /** Number of frames F. */
  nFrames: number;
  /** The frame number written before each frame (CMU: 1, 2, …). */
  frameNumbers: Int32Array;
  /** Angle unit of the values (`:DEGREES` / `:RADIANS`, else the ASF's `:units angle`). */
  angleUnit: 'deg' | 'rad';
  /** Root values `[F, root.order.length]` in `root.order` order (file units). */
  root: Float64Array;
  /** Per bone (index of `skeleton.bones`) its values `[F, bone.dof.length]` in dof order (file units). */
  bones: Float64Array[];
  /** Number of values outside the ASF limits (before clamping). */
  limitViolations: number;
}

/**
 * Parses an Acclaim Motion Capture (AMC) file against its ASF skeleton.
 *
 * Layout (CMU files): optional `#` comments, header keywords (`:FULLY-SPECIFIED`, `:DEGREES` or
 * `:RADIANS`), then per frame a line with the frame number followed by one line per bone,
 * `name v1 v2 …`, with values in the order of the root's `order` line or the bone's `dof` line.
 * Every frame must list the root and every bone that has dofs exactly once (fully specified); a
 * bone without dofs may appear with no values.
 *
 * References: Acclaim ASF/AMC format (Acclaim ATG); CMU Graphics Lab Motion Capture Database
 * (mocap.cs.cmu.edu).
 *
 * @param text the AMC file's text (LF or CRLF)
 * @param source file name for error messages
 * @param skeleton the ASF it was captured with ({@link parseAsf})
 * @param options limits policy
 * @returns the motion
 * @throws InputError with `source` and `location: 'line N'` for unknown bones, a wrong number of
 *   values for a bone, non-numeric values or values beyond ±{@link AMC_MAX_ABS_VALUE}, a bone
 *   repeated within a frame, a frame number not greater than the previous one (duplicate frames), data before the first
 *   frame number, and frames missing bones (a truncated frame, reported at its last line)
 *
 * @example
 * ```ts
 * const skel = parseAsf(asfText, '02.asf');
 * const motion = parseAmc(amcText, '02_01.amc', skel);
 * motion.nFrames; // 343
 * ```
 */
export function parseAmc(text: string, source: string, skeleton: AsfSkeleton, options: AmcParseOptions = {}): AmcMotion {
  const policy = options.limits ?? 'ignore';
  const fail = (line: number, msg: string): never => {
    throw new InputError(msg, { source, location: `line ${line}` });
  };
  const bones = skeleton.bones;
  const byName = new Map<string, number>();
  bones.forEach((b, i) => byName.set(b.name, i));
  const rootWidth = skeleton.root.order.length;

  let angleUnit: 'deg' | 'rad' = skeleton.units.angle;
  const frameNumbers: number[] = [];
  const rootVals: number[] = [];
  const boneVals: number[][] = bones.map(() => []);
  let seen = new Set<number>(); // bone indices in the current frame; −1 = root
  let frameLine = 0;
  let lastLine = 0;
  let limitViolations = 0;
  let headerDone = false;

  const closeFrame = (atLine: number) => {
    if (frameNumbers.length === 0) return;
    const missing = [...(seen.has(-1) ? [] : ['root']), ...bones.filter((b, i) => b.dof.length > 0 && !seen.has(i)).map((b) => b.name)];
    if (missing.length === 0) return;
    fail(atLine, `frame ${frameNumbers.at(-1)} (line ${frameLine}) is truncated: missing ${missing.join(', ')}`);
  };

  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') continue;
    const tokens = body.split(/\s+/);
    const key = tokens[0]!;
    if (key.startsWith(':')) {
      if (headerDone) fail(line, `header keyword '${key}' after motion data`);
      const kw = key.toUpperCase();
      if (kw === ':DEGREES') angleUnit = 'deg';
      else if (kw === ':RADIANS') angleUnit = 'rad';
      else if (kw !== ':FULLY-SPECIFIED') fail(line, `unknown keyword '${key}'`);
      continue;
    }
    if (/^\d+$/.test(key)) {
      if (tokens.length !== 1) fail(line, `frame number line has extra tokens: '${body}'`);
      closeFrame(lastLine);
      headerDone = true;
      const number = Number(key);
      const prev = frameNumbers.at(-1);
      if (prev !== undefined && number <= prev) {
        fail(line, number === prev ? `duplicate frame number ${number} (frame ${prev} starts at line ${frameLine})` : `frame number ${number} after frame ${prev}: frame numbers must increase`);
      }
      frameNumbers.push(number);
      frameLine = line;
      seen = new Set();
      lastLine = line;
      continue;
    }
    if (frameNumbers.length === 0) fail(line, `'${key}' before the first frame number`);
    const isRoot = key === 'root';
    const bi = isRoot ? -1 : byName.get(key);
    if (bi === undefined) fail(line, `unknown bone '${key}' (not in ${skeleton.source})`);
    if (seen.has(bi!)) fail(line, `bone '${key}' given twice in frame ${frameNumbers.at(-1)}`);
    const names: readonly string[] = isRoot ? skeleton.root.order : bones[bi!]!.dof;
    const n = tokens.length - 1;
    if (n !== names.length) fail(line, `bone '${key}' needs ${names.length} values (${names.join(' ')}), got ${n}`);
    const dst = isRoot ? rootVals : boneVals[bi!]!;
    const limits = isRoot ? [] : bones[bi!]!.limits;
    for (let k = 0; k < n; k++) {
      let v = Number(tokens[k + 1]);
      if (!Number.isFinite(v)) fail(line, `bone '${key}' value ${k + 1} ('${tokens[k + 1]}') is not a finite number`);
      if (Math.abs(v) > AMC_MAX_ABS_VALUE) fail(line, `bone '${key}' value ${k + 1} (${names[k]} = '${tokens[k + 1]}') is beyond ±${AMC_MAX_ABS_VALUE} (corrupt value)`);
      const lim = limits[k];
      if (lim) {
        const [lo, hi] = toMotionUnits(lim, names[k]!, skeleton.units.angle, angleUnit);
        if (v < lo - LIMIT_TOLERANCE || v > hi + LIMIT_TOLERANCE) {
          limitViolations++;
          if (policy === 'error') fail(line, `bone '${key}' ${names[k]} = ${v} outside its limits (${lim[0]} ${lim[1]})`);
          if (policy === 'clamp') v = Math.min(hi, Math.max(lo, v));
        }
      }
      dst.push(v);
    }
    seen.add(bi!);
    lastLine = line;
  }
  if (frameNumbers.length === 0) fail(Math.max(1, lines.length), 'no frames');
  closeFrame(lastLine);
  return {
    source,
    nFrames: frameNumbers.length,
    frameNumbers: Int32Array.from(frameNumbers),
    angleUnit,
    root: Float64Array.from(rootVals),
    bones: boneVals.map((v) => Float64Array.from(v)),
    limitViolations,
  };
}

/** Slack on `limits` (file units): CMU writes e.g. −1.6e-14 for a clavicle limited to (0 20). */
const LIMIT_TOLERANCE = 1e-6;

/** ASF limits (ASF angle unit) in the AMC's angle unit; translations and `l` are unchanged. */
function toMotionUnits(lim: [number, number], dof: string, asfAngle: 'deg' | 'rad', amcAngle: 'deg' | 'rad'): [number, number] {
  if (!dof.startsWith('r') || asfAngle === amcAngle) return lim;
  const f = asfAngle === 'deg' ? Math.PI / 180 : 180 / Math.PI;
  return [lim[0] * f, lim[1] * f];
}
