import path from 'node:path';
import { initBackend } from '@skelflow/core';
import { readModelKind } from '@skelflow/model/node';
import { registry } from '../registry.js';
import { parseFlags, UsageError, type Io } from '../usage_error.js';

export const CONVERT_USAGE = `Usage: skelflow convert <checkpoint.tar | .pth | .json> --out <dir> [--force]

Reads a released checkpoint — the original STG-NF torch.save file as it is (e.g.
ShanghaiTech_85_9.tar: read in TypeScript, no Python; pickled code other than tensors, dicts and the
run's argparse.Namespace is refused) or its JSON export — and writes a saved model folder:
config.json (kind, formatVersion, the model configuration from the run's args, convertedFrom),
model.json and weights.bin in tfjs's layout. 'skelflow eval --model <dir>' and the browser load it.
'skelflow eval --model <file>' also takes the checkpoint file directly.

  --out    the folder to write (created; an existing saved model is only replaced with --force)
  --force  replace a model already in --out
`;

/** `skelflow convert`. */
export async function convertCommand(argv: string[], io: Io): Promise<number> {
  const positional = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  const { values, help } = parseFlags('convert', positional ? argv.slice(1) : argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (help) {
    io.stdout(CONVERT_USAGE);
    return 0;
  }
  const input = positional ?? values.model;
  if (!input) throw new UsageError('give the checkpoint to convert: skelflow convert <file> --out <dir> (see --help)', { source: 'skelflow convert' });
  if (!values.out) throw new UsageError('--out is required (see --help)', { source: 'skelflow convert' });
  const { kind, type } = await readModelKind(input);
  if (type !== 'file') throw new UsageError(`${input} is already a saved model folder`, { source: 'skelflow convert' });
  await initBackend('auto');
  const family = registry.get(kind, input);
  const model = await family.load(input);
  try {
    await model.save(values.out, { meta: { convertedFrom: path.basename(input) }, overwrite: !!values.force });
  } finally {
    model.dispose();
  }
  io.stdout(`${kind} model from ${input} → ${values.out}\n`);
  return 0;
}
