import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { workspacePackages } from './scripts/workspace.mjs';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources; the built output is checked separately by
// test/published.test.ts, which runs `dist/` under plain node.
export default defineConfig({
  resolve: {
    // Every workspace entry point, exact-match, from the package folders (no hand-kept list).
    alias: workspacePackages().flatMap((p) =>
      p.entries.map((e) => ({ find: new RegExp(`^${e.subpath.replace(/[/.-]/g, '\\$&')}$`), replacement: here(`./${e.source}`) })),
    ),
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker: with two on a 2-core machine plus the typecheck process, the main process can be
    // starved long enough for vitest's worker RPC to time out (seen in CI as "Timeout calling onTaskUpdate").
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'] },
  },
});
