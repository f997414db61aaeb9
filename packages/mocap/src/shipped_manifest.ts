import { fileURLToPath } from 'node:url';
import type { rotateArm } from './arm_rotation.js';

/**
 * Path of the manifest shipped inside this package (`manifests/cmu-02-03.json`): CMU Graphics Lab
 * motion capture, subjects 02 and 03 — walks as normal, running, jumping, punching, bending,
 * swordplay and washing as abnormal (docs/mocap.md gives the statistics behind every label). The
 * motion files themselves are CMU's and are not shipped: the manifest's clip paths (`02/02.asf`,
 * `02/02_01.amc`, …) are relative to the folder holding the subjects' folders.
 *
 * Resolved from this module's URL, so it works from the sources, the ESM and the CommonJS builds.
 */
export const CMU_02_03_MANIFEST: string = fileURLToPath(new URL('../manifests/cmu-02-03.json', import.meta.url));

/**
 * Path of the attribution manifest shipped inside this package (`manifests/cmu-arm-attribution.json`):
 * cmu-02-03's training set, and test clips of held-out walking in which one arm is rotated over a
 * frame range (`armRotation`, {@link rotateArm}) while the body walks on; the dataset's
 * `gt/test_joint_labels/<clip>.json` names the moved joints (docs/mocap.md, "The attribution clip").
 */
export const CMU_ARM_ATTRIBUTION_MANIFEST: string = fileURLToPath(new URL('../manifests/cmu-arm-attribution.json', import.meta.url));
