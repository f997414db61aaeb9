import { InputError } from '@skelflow/base';
import type { AnyModelFamily, Recipe } from '@skelflow/model';
import { POSE3D_FILE_SUFFIX, POSE_FILE_SUFFIX, type PoseClip } from '@skelflow/pose';

/** The spatial dimensions of the pose tracks a family reads with `config`: its `dims`, else the family's input. */
export function configDims(family: AnyModelFamily, config: Recipe): 2 | 3 {
  return config.dims ?? family.input.dims;
}

/** The dataset sub-folder of tracks of `dims` dimensions: `pose` (2-D) or `pose3d` (3-D, docs/mocap.md). */
export function poseSubfolder(dims: 2 | 3): 'pose' | 'pose3d' {
  return dims === 3 ? 'pose3d' : 'pose';
}

/**
 * Refuses a folder of pose tracks whose dimensions are not the model's, before any work: 3-D
 * tracks for a 2-D-only model and the reverse.
 *
 * @param folder the folder the clips were read from (the error's source)
 * @param model names the model in the message (`--model stg-nf`, a model folder)
 * @throws InputError naming the folder
 */
export function checkPoseDims(clips: readonly PoseClip[], dims: 2 | 3, folder: string, model: string): void {
  const found = clips.find((c) => (c.dims ?? 2) !== dims);
  if (!found) return;
  const has = found.dims ?? 2;
  throw new InputError(
    `holds ${has}-D pose tracks (*${has === 3 ? POSE3D_FILE_SUFFIX : POSE_FILE_SUFFIX}) but ${model} takes ${dims}-D input` +
      (dims === 3 ? ` (*${POSE3D_FILE_SUFFIX} files, e.g. a mocap dataset's pose3d/ folder)` : ` (*${POSE_FILE_SUFFIX} files; a family that takes 3-D input needs --dims 3)`),
    { source: folder },
  );
}
