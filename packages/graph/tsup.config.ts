import { packageBuild } from '../../tsup.base';

// node.ts: the file-system helpers, a separate entry so browser bundles never see node:fs.
export default packageBuild(['src/index.ts', 'src/node.ts']);
