import { describeInput, flagUsage } from '../family_flags.js';
import { registry } from '../registry.js';
import { parseFlags, type Io } from '../usage_error.js';

export const MODELS_USAGE = `Usage: skelflow models [--verbose]

Lists the registered model families: kind, what it is, and the segments it takes. With --verbose,
also each family's training flags ('skelflow train --model <kind> --help').
`;

/** `skelflow models`. */
export async function modelsCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseFlags('models', argv, { verbose: { type: 'boolean' } });
  if (help) {
    io.stdout(MODELS_USAGE);
    return 0;
  }
  const families = registry.list();
  const width = Math.max(...families.map((f) => f.kind.length));
  for (const f of families) {
    io.stdout(`${f.kind.padEnd(width)}  ${f.summary}\n${' '.repeat(width)}  input ${describeInput(f.input)}\n`);
    if (values.verbose) io.stdout(flagUsage(f.flags, ' '.repeat(width + 4)) + '\n');
  }
  return 0;
}
