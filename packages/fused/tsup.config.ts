import { packageBuild } from '../../tsup.base';

// The worker entry is its own file (dist/worker.js), started by the scoring pool next to the
// bundle; the kernel contract helper is an ESM-only subpath that imports vitest.
export default packageBuild(
  ['src/index.ts'],
  [
    { entry: { worker: 'src/worker.ts' }, format: ['esm'] },
    { entry: { 'testing/kernel_contract': 'src/testing/kernel_contract.ts' }, format: ['esm'], dts: true, external: [/^@tensorflow\//, /^@skelflow\//, 'vitest'] },
  ],
);
