import { packageBuild } from '../../tsup.base';

// node: reading and writing model folders (node:fs), a separate entry so browser bundles never see it.
export default packageBuild(['src/index.ts', 'src/node.ts']);
