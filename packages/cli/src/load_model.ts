import { InputError } from '@skelflow/base';
import type { AnomalyModel } from '@skelflow/model';

/**
 * Checks the input spec a loaded model declares, so that an edited folder (e.g. a segment length
 * that is not a positive integer) is an error naming the model, not a message from deep inside
 * segmentation that names no file. Disposes the model when it throws.
 */
export function checkModelInput(model: AnomalyModel, location: string): void {
  const { segLen, joints, channels } = model.input;
  for (const [name, v] of [['segLen', segLen], ['joints', joints], ['channels', channels]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      model.dispose();
      throw new InputError(`the model declares ${name} = ${String(v).slice(0, 40)}, not a positive integer`, { source: location, location: `input.${name}` });
    }
  }
}
