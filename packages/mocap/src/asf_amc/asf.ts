// Acclaim Skeleton File (ASF) parser. Browser-safe: takes the text and a source name for messages.
import { InputError } from '@skelflow/base';
import { parseAxisOrder, type RotationAxis } from '../rotation.js';

/** A degree of freedom of an ASF bone: rotations, translations, or `l` (length change). */
export type AsfDof = 'rx' | 'ry' | 'rz' | 'tx' | 'ty' | 'tz' | 'l';

/** A channel of the ASF root (`order` line): translations and rotations. */
export type AsfRootChannel = 'tx' | 'ty' | 'tz' | 'rx' | 'ry' | 'rz';

/** The `:root` section. Angles in radians, lengths in file units. */
export interface AsfRoot {
  /** AMC value order of the root, e.g. `['tx','ty','tz','rx','ry','rz']`; rotations compose extrinsically in this order. */
  order: AsfRootChannel[];
  /** Rotation order of the pre-set `orientation` (the `axis` line). */
  axisOrder: RotationAxis[];
  /** Pre-set position (file length units). */
  position: [number, number, number];
  /** Pre-set orientation (radians). */
  orientation: [number, number, number];
  /** 1-based line of `:root`. */
  line: number;
}

/** One `begin … end` block of `:bonedata`. */
export interface AsfBone {
  /** `id`, when given. */
  id: number | undefined;
  name: string;
  /** Unit direction of the bone in the global frame of the base pose. */
  direction: [number, number, number];
  /** Length in file length units. */
  length: number;
  /** Orientation of the bone's local frame C (radians, the `axis` line's three numbers). */
  axis: [number, number, number];
  /** Rotation order of `axis` (its order token, e.g. XYZ), composed extrinsically. */
  axisOrder: RotationAxis[];
  /** Degrees of freedom in file order: the order of the AMC values and of the rotations (extrinsic). */
  dof: AsfDof[];
  /** `[min, max]` per dof in file units (degrees or radians per `:units angle`; ±Infinity for `inf`); empty when no `limits`. */
  limits: [number, number][];
  /** Parent bone index in {@link AsfSkeleton.bones}, −1 for the root. */
  parent: number;
  /** 1-based line of the bone's `begin`. */
  line: number;
}

/** A parsed ASF file. Bones are sorted parents-first (depth-first over `:hierarchy`). */
export interface AsfSkeleton {
  /** `:name`. */
  name: string;
  /** File name for messages. */
  source: string;
  /** `:units`: mass and length multipliers and the angle unit of the ASF (and default of the AMC). */
  units: { mass: number; length: number; angle: 'deg' | 'rad' };
  /** Metres per file length unit (see {@link AsfParseOptions.metresPerUnit}). */
  metresPerUnit: number;
  root: AsfRoot;
  bones: AsfBone[];
}

/** Options of {@link parseAsf}. */
export interface AsfParseOptions {
  /**
   * Metres per ASF length unit. Default: the CMU convention `0.0254 / units.length`: lengths are
   * inches multiplied by `:units length` (CMU: 0.45), so metres = value / 0.45 × 0.0254 ≈ value ×
   * 0.056444 (mocap.cs.cmu.edu FAQ). A CMU femur of 7.59 units is then 0.43 m.
   */
  metresPerUnit?: number;
}

const BONE_DOFS: readonly string[] = ['rx', 'ry', 'rz', 'tx', 'ty', 'tz', 'l'];
const ROOT_CHANNELS: readonly string[] = ['tx', 'ty', 'tz', 'rx', 'ry', 'rz'];

function isNumberToken(t: string): boolean {
  return /^[-+]?inf$/i.test(t) || (t !== '' && !Number.isNaN(Number(t)));
}

/** Splits Acclaim text into lines of tokens: `#` comments dropped, `,` `(` `)` are whitespace (spec). */
function acclaimLines(text: string): { line: number; tokens: string[]; raw: string }[] {
  const out: { line: number; tokens: string[]; raw: string }[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).replace(/[,()]/g, ' ').trim();
    if (body === '') continue;
    out.push({ line: i + 1, tokens: body.split(/\s+/), raw });
  }
  return out;
}

/**
 * Parses an Acclaim Skeleton File (ASF, v1.10) as written by VICON BodyBuilder for the CMU Graphics
 * Lab Motion Capture Database.
 *
 * Conventions (Acclaim ASF spec v1.10, M. Schafer; CMU's `ACCLAIMdef` notes):
 * - `:units length` is a multiplier; metres per unit default to the CMU convention (see
 *   {@link AsfParseOptions.metresPerUnit}). `angle deg|rad` applies to `axis`, `orientation` and `limits`.
 * - `direction` is the bone's direction in the global frame of the base pose, `length` its length.
 * - `axis ax ay az ORDER` gives the bone's local frame C, rotations about fixed axes in ORDER
 *   (`XYZ` → C = Rz·Ry·Rx).
 * - `dof` lists the bone's degrees of freedom in AMC value order; `limits` gives one `(min max)` per dof.
 * - `:root` has `order` (AMC value order of the root, rotations about fixed axes in that order),
 *   `axis` (order of the pre-set `orientation`), `position` and `orientation`.
 * - `:hierarchy` lines are `parent child…`; every bone must appear exactly once as a child.
 *
 * References: Acclaim Skeleton File Definition V1.10 (M. Schafer, Acclaim ATG); CMU Graphics Lab
 * Motion Capture Database (mocap.cs.cmu.edu), `ACCLAIMdef` and FAQ.
 *
 * @param text the ASF file's text (LF or CRLF)
 * @param source file name for error messages
 * @param options units override
 * @returns the skeleton, bones sorted parents-first
 * @throws InputError with `source` and `location: 'line N'` on unknown keywords or keys, bad numbers,
 *   a bone without `axis` (or `direction`, `length`), a `:root` without `order`, `axis`, `position`
 *   or `orientation`, duplicate or unknown bones, limits not matching the dofs, and bones missing from `:hierarchy`
 *
 * @example
 * ```ts
 * const skel = parseAsf(asfText, '02.asf');
 * skel.bones.find((b) => b.name === 'lfemur')!.length * skel.metresPerUnit; // ≈ 0.43 m
 * ```
 */
export function parseAsf(text: string, source: string, options: AsfParseOptions = {}): AsfSkeleton {
  const fail = (line: number, msg: string): never => {
    throw new InputError(msg, { source, location: `line ${line}` });
  };
  const num = (tok: string | undefined, line: number, what: string): number => {
    if (tok === undefined) return fail(line, `missing ${what}`);
    const t = tok.toLowerCase();
    const v = t === 'inf' || t === '+inf' ? Infinity : t === '-inf' ? -Infinity : Number(tok);
    if (tok === '' || Number.isNaN(v)) return fail(line, `${what}: '${tok}' is not a number`);
    return v;
  };
  /** The three numbers after the key; `extra` trailing tokens are allowed (axis's order token). */
  const vec3 = (toks: string[], line: number, what: string, extra = 0): [number, number, number] => {
    if (toks.length < 4 || toks.length > 4 + extra) fail(line, `${what} needs 3 numbers, got ${toks.length - 1} tokens`);
    const v: [number, number, number] = [num(toks[1], line, what), num(toks[2], line, what), num(toks[3], line, what)];
    if (!v.every(Number.isFinite)) fail(line, `${what} must be finite`);
    return v;
  };

  const lines = acclaimLines(text);
  let name = '';
  const units = { mass: 1, length: 1, angle: 'deg' as 'deg' | 'rad' };
  let rootRaw: { order?: AsfRootChannel[]; axisOrder?: RotationAxis[]; position?: [number, number, number]; orientation?: [number, number, number]; line: number } | undefined;
  interface RawBone {
    id: number | undefined; name?: string; direction?: [number, number, number]; length?: number;
    axis?: [number, number, number]; axisOrder: RotationAxis[]; dof: AsfDof[]; limits: [number, number][]; line: number;
  }
  const rawBones: RawBone[] = [];
  const hierarchy: { parent: string; children: string[]; line: number }[] = [];
  let hierarchyLine = 0;
  let sawBonedata = false;

  type Section = 'none' | 'units' | 'documentation' | 'root' | 'bonedata' | 'hierarchy' | 'skip';
  let section: Section = 'none';
  let bone: RawBone | undefined;
  let pendingLimits = 0; // limits still expected for the current bone (limits span several lines)
  let inHierarchyBlock = false;

  for (const { line, tokens } of lines) {
    const key = tokens[0]!;
    if (key.startsWith(':')) {
      if (bone) fail(line, `bone block opened at line ${bone.line} has no 'end'`);
      if (pendingLimits > 0) fail(line, `limits: ${pendingLimits} range(s) missing`);
      const kw = key.toLowerCase();
      if (kw === ':version') section = 'none';
      else if (kw === ':name') {
        name = tokens.slice(1).join(' ');
        section = 'none';
      } else if (kw === ':units') section = 'units';
      else if (kw === ':documentation') section = 'documentation';
      else if (kw === ':root') {
        if (rootRaw) fail(line, 'second :root section');
        rootRaw = { line };
        section = 'root';
      } else if (kw === ':bonedata') {
        sawBonedata = true;
        section = 'bonedata';
      } else if (kw === ':hierarchy') {
        hierarchyLine = line;
        section = 'hierarchy';
      } else if (kw === ':skin') section = 'skip';
      else fail(line, `unknown keyword '${key}'`);
      continue;
    }
    const k = key.toLowerCase();
    switch (section) {
      case 'none':
        fail(line, `unexpected '${key}' outside a section`);
        break;
      case 'documentation':
      case 'skip':
        break;
      case 'units':
        if (k === 'mass') units.mass = num(tokens[1], line, 'mass');
        else if (k === 'length') {
          units.length = num(tokens[1], line, 'length');
          if (!(units.length > 0) || !Number.isFinite(units.length)) fail(line, 'units length must be a positive number');
        } else if (k === 'angle') {
          const a = (tokens[1] ?? '').toLowerCase();
          if (a !== 'deg' && a !== 'rad') fail(line, `angle unit must be deg or rad, got '${tokens[1] ?? ''}'`);
          units.angle = a as 'deg' | 'rad';
        } else fail(line, `unknown unit '${key}'`);
        break;
      case 'root': {
        const r = rootRaw!;
        if (k === 'order') {
          const order = tokens.slice(1).map((t) => t.toLowerCase());
          for (const t of order) if (!ROOT_CHANNELS.includes(t)) fail(line, `unknown root channel '${t}' (expected TX TY TZ RX RY RZ)`);
          if (new Set(order).size !== order.length) fail(line, 'repeated root channel');
          r.order = order as AsfRootChannel[];
        } else if (k === 'axis') {
          const ax = parseAxisOrder(tokens[1] ?? '');
          if (!ax) fail(line, `root axis must be a permutation of XYZ, got '${tokens[1] ?? ''}'`);
          r.axisOrder = ax;
        } else if (k === 'position') r.position = vec3(tokens, line, 'position');
        else if (k === 'orientation') r.orientation = vec3(tokens, line, 'orientation');
        else fail(line, `unknown root field '${key}'`);
        break;
      }
      case 'bonedata': {
        if (pendingLimits > 0 && isNumberToken(key)) {
          // continuation line of `limits`: one `(min max)` pair per line in CMU files
          parseLimitPairs(tokens, line);
          break;
        }
        if (pendingLimits > 0) fail(line, `limits: ${pendingLimits} range(s) missing for ${bone?.dof.length ?? 0} dofs`);
        if (k === 'begin') {
          if (bone) fail(line, `'begin' inside the bone block opened at line ${bone.line}`);
          bone = { id: undefined, axisOrder: ['x', 'y', 'z'], dof: [], limits: [], line };
          break;
        }
        if (!bone) fail(line, `'${key}' outside a begin … end block`);
        const b = bone!;
        if (k === 'end') {
          if (b.name === undefined) fail(line, `bone block at line ${b.line} has no name`);
          if (b.direction === undefined) fail(line, `bone '${b.name}' has no direction`);
          if (b.length === undefined) fail(line, `bone '${b.name}' has no length`);
          // A missing axis used to become (0 0 0) silently: the bone's local frame is then wrong.
          if (b.axis === undefined) fail(line, `bone '${b.name}' has no axis`);
          if (b.limits.length !== 0 && b.limits.length !== b.dof.length) fail(line, `bone '${b.name}': ${b.limits.length} limits for ${b.dof.length} dofs`);
          rawBones.push(b);
          bone = undefined;
        } else if (k === 'id') b.id = num(tokens[1], line, 'id');
        else if (k === 'name') {
          if (tokens.length !== 2) fail(line, 'name needs exactly one token');
          b.name = tokens[1]!;
        } else if (k === 'direction') b.direction = vec3(tokens, line, 'direction');
        else if (k === 'length') {
          b.length = num(tokens[1], line, 'length');
          if (!(b.length >= 0) || !Number.isFinite(b.length)) fail(line, 'length must be a non-negative number');
        } else if (k === 'axis') {
          b.axis = vec3(tokens, line, 'axis', 1);
          const ax = parseAxisOrder(tokens[4] ?? 'XYZ');
          if (!ax) fail(line, `axis order must be a permutation of XYZ, got '${tokens[4] ?? ''}'`);
          b.axisOrder = ax!;
        } else if (k === 'dof') {
          const dof = tokens.slice(1).map((t) => t.toLowerCase());
          for (const d of dof) if (!BONE_DOFS.includes(d)) fail(line, `unknown dof '${d}' (expected rx ry rz tx ty tz l)`);
          if (new Set(dof).size !== dof.length) fail(line, 'repeated dof');
          b.dof = dof as AsfDof[];
        } else if (k === 'limits') {
          if (b.dof.length === 0) fail(line, "'limits' before 'dof'");
          b.limits = [];
          pendingLimits = b.dof.length;
          parseLimitPairs(tokens.slice(1), line);
        } else if (k === 'bodymass' || k === 'cofmass') {
          // physical properties: not needed for kinematics
        } else fail(line, `unknown bone field '${key}'`);
        break;
      }
      case 'hierarchy': {
        if (k === 'begin') {
          inHierarchyBlock = true;
          break;
        }
        if (k === 'end') {
          inHierarchyBlock = false;
          section = 'none';
          break;
        }
        if (!inHierarchyBlock) fail(line, `'${key}' outside the hierarchy's begin … end`);
        if (tokens.length < 2) fail(line, `hierarchy line for '${key}' lists no children`);
        hierarchy.push({ parent: key, children: tokens.slice(1), line });
        break;
      }
    }
  }
  if (bone) fail(bone.line, `bone block has no 'end'`);
  if (pendingLimits > 0) fail(lines.at(-1)?.line ?? 1, `limits: ${pendingLimits} range(s) missing`);
  if (inHierarchyBlock) fail(lines.at(-1)?.line ?? 1, ":hierarchy has no 'end'");
  if (!rootRaw) fail(lines.at(-1)?.line ?? 1, 'no :root section');
  if (!sawBonedata) fail(lines.at(-1)?.line ?? 1, 'no :bonedata section');
  if (!hierarchyLine) fail(lines.at(-1)?.line ?? 1, 'no :hierarchy section');
  const r = rootRaw!;
  if (!r.order) fail(r.line, ':root has no order line');
  // The spec requires every root field; a missing one used to default silently.
  if (!r.axisOrder) fail(r.line, ':root has no axis line');
  if (!r.position) fail(r.line, ':root has no position line');
  if (!r.orientation) fail(r.line, ':root has no orientation line');

  // Bone names are unique and distinct from 'root'.
  const byName = new Map<string, RawBone>();
  for (const b of rawBones) {
    if (b.name!.toLowerCase() === 'root') fail(b.line, "a bone cannot be named 'root'");
    if (byName.has(b.name!)) fail(b.line, `duplicate bone '${b.name}' (first at line ${byName.get(b.name!)!.line})`);
    byName.set(b.name!, b);
  }
  // Hierarchy: parent → children, each bone a child exactly once.
  const childrenOf = new Map<string, string[]>();
  const parentOf = new Map<string, { parent: string; line: number }>();
  for (const h of hierarchy) {
    if (h.parent !== 'root' && !byName.has(h.parent)) fail(h.line, `unknown bone '${h.parent}' in :hierarchy`);
    for (const c of h.children) {
      if (!byName.has(c)) fail(h.line, `unknown bone '${c}' in :hierarchy`);
      const prev = parentOf.get(c);
      if (prev) fail(h.line, `bone '${c}' already has parent '${prev.parent}' (line ${prev.line})`);
      parentOf.set(c, { parent: h.parent, line: h.line });
    }
    childrenOf.set(h.parent, [...(childrenOf.get(h.parent) ?? []), ...h.children]);
  }
  for (const b of rawBones) if (!parentOf.has(b.name!)) fail(b.line, `bone '${b.name}' is missing from :hierarchy (line ${hierarchyLine})`);
  // Depth-first order from the root; bones not reached sit on a cycle.
  const ordered: AsfBone[] = [];
  const index = new Map<string, number>();
  const angle = units.angle === 'deg' ? Math.PI / 180 : 1;
  // Depth-first, children in listed order, with an explicit stack (a 50k-deep chain must not
  // overflow the call stack).
  const stack: { name: string; parent: number }[] = [...(childrenOf.get('root') ?? [])].reverse().map((c) => ({ name: c, parent: -1 }));
  while (stack.length > 0) {
    const { name: c, parent: parentIndex } = stack.pop()!;
    if (index.has(c)) continue;
    const rb = byName.get(c)!;
    index.set(c, ordered.length);
    ordered.push({
      id: rb.id, name: c, direction: rb.direction!, length: rb.length!,
      axis: [rb.axis![0] * angle, rb.axis![1] * angle, rb.axis![2] * angle], axisOrder: rb.axisOrder,
      dof: rb.dof, limits: rb.limits, parent: parentIndex, line: rb.line,
    });
    const self = ordered.length - 1;
    const kids = childrenOf.get(c) ?? [];
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ name: kids[k]!, parent: self });
  }
  for (const b of rawBones) if (!index.has(b.name!)) fail(parentOf.get(b.name!)!.line, `bone '${b.name}' is not connected to root (cycle in :hierarchy)`);

  const metresPerUnit = options.metresPerUnit ?? 0.0254 / units.length;
  if (!(metresPerUnit > 0) || !Number.isFinite(metresPerUnit)) throw new InputError(`metresPerUnit must be a positive number, got ${metresPerUnit}`, { source });
  return {
    name,
    source,
    units,
    metresPerUnit,
    root: {
      order: r.order!,
      axisOrder: r.axisOrder!,
      position: r.position!,
      orientation: [r.orientation![0] * angle, r.orientation![1] * angle, r.orientation![2] * angle],
      line: r.line,
    },
    bones: ordered,
  };

  function parseLimitPairs(toks: string[], line: number): void {
    if (toks.length % 2 !== 0) fail(line, 'limits come in (min max) pairs');
    for (let i = 0; i < toks.length; i += 2) {
      if (pendingLimits === 0) fail(line, `more limits than the ${bone!.dof.length} dofs`);
      const lo = num(toks[i], line, 'limit');
      const hi = num(toks[i + 1], line, 'limit');
      if (lo > hi) fail(line, `limit (${lo} ${hi}) has min > max`);
      bone!.limits.push([lo, hi]);
      pendingLimits--;
    }
  }
}

/**
 * Index of a bone by name, or −1.
 *
 * @param skeleton a parsed skeleton
 * @param name bone name (case-sensitive, as in the ASF)
 * @returns the index into `skeleton.bones`, −1 when absent
 *
 * @example
 * ```ts
 * const i = asfBoneIndex(skel, 'head');
 * ```
 */
export function asfBoneIndex(skeleton: AsfSkeleton, name: string): number {
  return skeleton.bones.findIndex((b) => b.name === name);
}
