import { packageBuild } from '../../tsup.base';

// node: atomic folder and file writes (node:fs), a separate entry so browser bundles never see it.
export default packageBuild(['src/index.ts', 'src/node.ts']);
