import { packageBuild } from '../../tsup.base';

// node: Node-only helpers (file system), a separate entry so browser bundles never see node:fs.
export default packageBuild(['src/index.ts', 'src/node.ts']);
