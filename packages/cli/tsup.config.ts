import { packageBuild } from '../../tsup.base';

// The binary is ESM only, with a shebang.
export default packageBuild(['src/index.ts'], [{ entry: ['src/bin.ts'], format: ['esm'], banner: { js: '#!/usr/bin/env node' } }]);
