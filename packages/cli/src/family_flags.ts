import type { FlagSpec, FlagValues, InputSpec } from '@skelflow/model';
import { UsageError } from './usage_error.js';

/** `util.parseArgs` options for a family's flags (every value is read as a string, then typed). */
export function parseArgsOptions(flags: readonly FlagSpec[]): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(flags.map((f) => [f.name, { type: f.type === 'boolean' ? 'boolean' : 'string' }]));
}

/**
 * Types the raw values of a family's flags: `int` and `number` are checked against `min`
 * (default: int ≥ 1, number > 0) and `string` against `choices`; a bad value is a
 * {@link UsageError} naming the flag. Flags not given stay undefined.
 */
export function typedFlagValues(command: string, flags: readonly FlagSpec[], raw: Record<string, string | boolean | undefined>): Record<string, string | number | boolean | undefined> {
  const source = `skelflow ${command}`;
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const f of flags) {
    const v = raw[f.name];
    if (v === undefined) continue;
    if (f.type === 'boolean' || typeof v === 'boolean') {
      out[f.name] = v;
    } else if (f.type === 'int') {
      const n = Number(v);
      const min = f.min ?? 1;
      if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${f.name} must be an integer ≥ ${min}, got '${v}'`, { source });
      out[f.name] = n;
    } else if (f.type === 'number') {
      const n = Number(v);
      const ok = v.trim() !== '' && Number.isFinite(n) && (f.min === undefined ? n > 0 : n >= f.min);
      if (!ok) throw new UsageError(`--${f.name} must be ${f.min === undefined ? 'a positive number' : `a number ≥ ${f.min}`}, got '${v}'`, { source });
      out[f.name] = n;
    } else {
      if (f.choices && !f.choices.includes(v)) throw new UsageError(`--${f.name} must be one of ${f.choices.join(', ')}, got '${v}'`, { source });
      out[f.name] = v;
    }
  }
  return out satisfies FlagValues;
}

/** Usage lines of a family's flags: `--name <type>  help (default x)`. */
export function flagUsage(flags: readonly FlagSpec[], indent = '  '): string {
  const head = (f: FlagSpec) => `--${f.name}${f.type === 'boolean' ? '' : f.type === 'poses' ? ' <dir>' : ` <${f.type}>`}`;
  const width = Math.max(0, ...flags.map((f) => head(f).length));
  return flags.map((f) => `${indent}${head(f).padEnd(width)}  ${f.help}${f.default !== undefined ? ` (default ${String(f.default)})` : ''}`).join('\n');
}

/** `[2, 24, 18] openpose18 (2-D)`. */
export function describeInput(input: InputSpec): string {
  return `[${input.channels}, ${input.segLen}, ${input.joints}] ${input.layout} (${input.dims}-D)`;
}

/**
 * The value of `--<name>` in `argv` (`--name v` or `--name=v`) before full parsing, to pick the
 * family whose flags the command then accepts.
 */
export function peekFlag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}
