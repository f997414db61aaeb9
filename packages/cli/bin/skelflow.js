#!/usr/bin/env node
// The `skelflow` executable. It exists before the package is built, so installing the workspace
// (whose dist/ is not built yet) links it without pnpm's "Failed to create bin" warning; the
// command itself is the built dist/bin.js.
import('../dist/bin.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/bin.js')) {
    process.stderr.write('skelflow: @skelflow/cli is not built (run `pnpm build`, or `pnpm skelflow <command>` in the repository)\n');
    process.exit(1);
  }
  throw e;
});
