import { packageBuild } from '../../tsup.base';

// The worker entry is its own file (dist/worker.js), started by the scoring pool next to the bundle.
export default packageBuild(['src/index.ts'], [{ entry: { worker: 'src/worker.ts' }, format: ['esm'] }]);
