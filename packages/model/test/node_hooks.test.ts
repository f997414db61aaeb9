import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { nodeHook, registerNodeHook } from '@skelflow/model';

describe('node hooks (file access registered by ./node entries)', () => {
  it('a missing hook is an InputError naming the entry to import', () => {
    let err: unknown;
    try {
      nodeHook('nothing-here:load', '@skelflow/nothing/node');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/nothing-here:load .*import '@skelflow\/nothing\/node'/);
  });

  it('a registered hook is found, across copies of the module (globalThis registry)', () => {
    const impl = () => 42;
    registerNodeHook('test-kind:load', impl);
    expect(nodeHook<typeof impl>('test-kind:load', '@skelflow/test/node')()).toBe(42);
    const registry = (globalThis as Record<symbol, Map<string, unknown>>)[Symbol.for('@skelflow/model:node-hooks')];
    expect(registry?.get('test-kind:load')).toBe(impl);
  });
});
