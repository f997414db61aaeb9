import { defineConfig, type Options } from 'tsup';

/**
 * The build every @skelflow package shares: ESM + CJS + `.d.ts`, with tfjs, seedrandom and the
 * sibling packages left to the consumer (never bundled).
 */
export function packageBuild(entry: string[] = ['src/index.ts'], extra: Options[] = []) {
  const base: Options = {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    // import.meta.url in the CommonJS builds too: kernels record the URL of the module that registers them.
    shims: true,
    // `#…`: a package's own subpath imports, resolved per environment by the consumer (see core's package.json).
    external: [/^@tensorflow\//, /^@skelflow\//, 'seedrandom', /^#/],
  };
  return defineConfig([base, ...extra.map((o) => ({ ...base, dts: false, clean: false, ...o }))]);
}
