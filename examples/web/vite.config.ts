import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { workspacePackages } from '../../scripts/workspace.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The app imports the @skelflow packages from their TypeScript sources (like the tests), so
// `pnpm web` needs no build; `base: './'` lets dist/ be served from any folder.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: workspacePackages().flatMap((p) =>
      p.entries.map((e) => ({ find: new RegExp(`^${e.subpath.replace(/[/.-]/g, '\\$&')}$`), replacement: `${root}${e.source}` })),
    ),
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  // Found late otherwise (behind core's #tfjs-gradients import), costing a reload on first visit.
  optimizeDeps: { include: ['@tensorflow/tfjs-core/dist/register_all_gradients.js'] },
  server: { port: 5173 },
});
