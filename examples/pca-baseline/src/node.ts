/**
 * `@skelflow/pca-gaussian/node`: saved folders on disk. Importing it also lets
 * `pcaGaussianFamily.load(path)` and `PcaGaussianModel.save(dir)` (main entry, browser-clean)
 * reach the file system.
 *
 * @packageDocumentation
 */
import { registerNodeHook } from '@skelflow/model';
import { readPcaGaussian, writePcaGaussian } from './persist.js';

registerNodeHook('pca-gaussian:load', readPcaGaussian);
registerNodeHook('pca-gaussian:save', writePcaGaussian);

export { readPcaGaussian, writePcaGaussian };
