import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources; the built output is checked separately by
// test/published.test.ts, which runs `dist/` under plain node.
export default defineConfig({
  resolve: {
    alias: {
      '@skelflow/core': here('./packages/core/src/index.ts'),
      '@skelflow/fused/testing': here('./packages/fused/src/testing/kernel_contract.ts'),
      '@skelflow/fused': here('./packages/fused/src/index.ts'),
      '@skelflow/flows': here('./packages/flows/src/index.ts'),
      '@skelflow/graph/node': here('./packages/graph/src/node.ts'),
      '@skelflow/graph': here('./packages/graph/src/index.ts'),
      '@skelflow/vqvae': here('./packages/vqvae/src/index.ts'),
      '@skelflow/hyperbolic': here('./packages/hyperbolic/src/index.ts'),
      '@skelflow/metrics': here('./packages/metrics/src/index.ts'),
      '@skelflow/cli': here('./packages/cli/src/index.ts'),
      '@skelflow/stg-nf': here('./examples/stg-nf/src/index.ts'),
    },
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
