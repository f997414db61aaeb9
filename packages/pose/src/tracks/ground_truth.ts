import { InputError } from '@skelflow/base';
import { readNpy } from '../io/npy.js';

/**
 * How a data set's frame-level ground-truth `.npy` encodes labels:
 * - `'shanghaitech'`: `test_frame_mask/SS_CCCC.npy`, uint8, **1 = abnormal**;
 * - `'ubnormal'`: `gt/<clip>_tracks.txt` (really a `.npy`), float64, **1 = normal** (STG-NF does
 *   not flip it, `scoring_utils.py` L94-95).
 */
export type GroundTruthConvention = 'shanghaitech' | 'ubnormal';

/**
 * Reads one clip's frame-level ground truth and returns it with a single convention,
 * **1 = abnormal**, whatever the data set's own encoding (see {@link GroundTruthConvention}).
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/scoring_utils.py` `get_clip_score`
 * (`clip_gt = 1 − mask` for ShanghaiTech; UBnormal used as is).
 *
 * @param bytes the `.npy` file
 * @param source file name for error messages
 * @param convention the data set's encoding
 * @returns one byte per frame, 1 = abnormal, 0 = normal
 * @throws InputError if the file is not a 1-D `.npy`, holds a value other than 0 or 1 (naming
 *   the frame), or its element type contradicts the convention: ShanghaiTech masks are integer or
 *   boolean (`|u1`), UBnormal's are float; a float mask read as `'shanghaitech'` (or an integer one
 *   as `'ubnormal'`) is almost certainly the other data set's encoding, and reading it anyway
 *   inverts every label and the AUC with it
 *
 * @example
 * ```ts
 * const abnormal = readGroundTruth(bytes, '01_0014.npy', 'shanghaitech');
 * ```
 */
export function readGroundTruth(bytes: Uint8Array, source: string, convention: GroundTruthConvention): Uint8Array {
  if (convention !== 'shanghaitech' && convention !== 'ubnormal') {
    throw new InputError(`unknown ground-truth convention ${JSON.stringify(convention)} (use 'shanghaitech' or 'ubnormal')`, {
      source,
    });
  }
  const { shape, data, dtype } = readNpy(bytes, source);
  if (shape.length !== 1) {
    throw new InputError(`expected a 1-D frame mask, got shape (${shape.join(', ')})`, { source });
  }
  const isFloat = dtype === '<f4' || dtype === '<f8';
  if (convention === 'shanghaitech' && isFloat) {
    throw new InputError(
      `a ${dtype} (float) mask contradicts the shanghaitech convention (uint8, 1 = abnormal): float masks are UBnormal's (1 = normal), and reading one as shanghaitech inverts every label; pass --gt-convention ubnormal, or save the mask as uint8 with 1 = abnormal`,
      { source, location: 'header' },
    );
  }
  if (convention === 'ubnormal' && !isFloat) {
    throw new InputError(
      `a ${dtype} (integer) mask contradicts the ubnormal convention (float, 1 = normal): integer masks are ShanghaiTech's (1 = abnormal), and reading one as ubnormal inverts every label; pass --gt-convention shanghaitech`,
      { source, location: 'header' },
    );
  }
  const abnormalValue = convention === 'shanghaitech' ? 1 : 0;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== 0 && v !== 1) {
      throw new InputError(`frame label must be 0 or 1, got ${v}`, { source, location: `frame ${i}` });
    }
    out[i] = v === abnormalValue ? 1 : 0;
  }
  return out;
}

/** One clip's ground truth as `readGtDir` returns it; fits `scoresToFrames`' clip list as is. */
export interface GroundTruthClip {
  /** Clip name: the file's base name without `.npy` (`01_0014`). */
  name: string;
  /** The file it was read from. */
  source: string;
  /** Per frame, 1 = abnormal. */
  gtAbnormal: Uint8Array;
  /** `gtAbnormal.length`. */
  nFrames: number;
}
