import { InputError } from '@skelflow/base';
import { describe, expect, it } from 'vitest';
import { parseModelJson, type ModelJson } from '../src/index.js';

describe('parseModelJson', () => {
  it('parses text, passes an object through, and names the file when the text is not JSON', () => {
    const obj = { format: 'layers-model', modelTopology: null, weightsManifest: [], config: { kind: 'k' } } as unknown as ModelJson;
    expect(parseModelJson(obj, 'm.json')).toBe(obj);
    expect(parseModelJson(JSON.stringify(obj), 'm.json')).toEqual(obj);
    try {
      parseModelJson('{\n x', 'dir/model.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).source).toBe('dir/model.json');
      expect((e as InputError).message).toMatch(/^dir\/model\.json: not valid JSON \(/);
    }
    // V8 quotes short inputs, newline included; firstLine keeps the message to one line.
    let full = '';
    let first = '';
    try {
      parseModelJson('{\n x', 'm');
    } catch (e) {
      full = (e as Error).message;
    }
    try {
      parseModelJson('{\n x', 'm', { firstLine: true });
    } catch (e) {
      first = (e as Error).message;
    }
    expect(first).not.toContain('\n');
    expect(full.startsWith(first.slice(0, -1))).toBe(true);
  });
});
