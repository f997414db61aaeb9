export { repoRoot, sharedDir, hasShared, BACKENDS, expectThrows, expectInputError, loadSharedFixture } from './env.js';
