import { InputError } from '@skelflow/base';
import { PyNamespace, toPlain, torchStateDict, type PyValue } from '@skelflow/torchfile';
import type { CheckpointJson, CheckpointTensor } from './checkpoint.js';

/**
 * A `torch.save` checkpoint read by `@skelflow/torchfile` as a {@link CheckpointJson}: its state
 * dict (every tensor as row-major float32, PyTorch names) and its training arguments (`args`, an
 * `argparse.Namespace` or a dict, as plain values; int64 seeds beyond 2⁵³ as strings). What the
 * JSON exports of the released checkpoints hold, taken from the original file.
 *
 * @example
 * ```ts
 * const ckpt = checkpointFromTorch(readTorchCheckpoint(bytes, 'ShanghaiTech_85_9.tar'), 'ShanghaiTech_85_9.tar');
 * ckpt.args.seg_len; // 24
 * ```
 * @throws InputError when there is no state dict or `args` is neither a Namespace nor a dict.
 */
export function checkpointFromTorch(value: PyValue, source: string): CheckpointJson {
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, t] of torchStateDict(value, source)) {
    tensors.set(name, { shape: [...t.shape], dtype: t.dtype, data: t.toFloat32() });
  }
  let args: Record<string, unknown> = {};
  const raw = value instanceof Map ? value.get('args') : undefined;
  if (raw instanceof PyNamespace || raw instanceof Map) args = toPlain(raw) as Record<string, unknown>;
  else if (raw !== undefined && raw !== null) throw new InputError('"args" is neither an argparse.Namespace nor a dict', { source, location: 'args' });
  return { args, tensors };
}
