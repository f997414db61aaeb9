import { InputError } from '@skelflow/base';
import type { ModelJson } from './weights.js';

/** Options of {@link parseModelJson}. */
export interface ParseModelJsonOptions {
  /**
   * Keep only the first line of the JSON parser's message (V8 quotes short inputs, newlines
   * included, in its message; MSG-Flow keeps its errors one line).
   */
  firstLine?: boolean;
}

/**
 * A saved folder's `model.json` given as text or already parsed (what `JSON.parse` or
 * `await res.json()` gives): text is parsed, an object is returned as it is. Text that is not JSON
 * is an {@link InputError} naming `source`. The content is not checked here: the model's loader
 * checks its kind and config, `decodeIntoModule` the weights manifest.
 *
 * @example
 * ```ts
 * const json = parseModelJson(await (await fetch(url)).text(), url);
 * ```
 */
export function parseModelJson(modelJson: ModelJson | string, source: string, options: ParseModelJsonOptions = {}): ModelJson {
  if (typeof modelJson !== 'string') return modelJson;
  try {
    return JSON.parse(modelJson) as ModelJson;
  } catch (e) {
    const message = (e as Error).message;
    throw new InputError(`not valid JSON (${options.firstLine ? message.split('\n')[0] : message})`, { source });
  }
}
