import { InputError } from '@skelflow/base';

/**
 * A skeleton layout: the joints a pose estimator emits, in its order, the bones between them and
 * the joint that the spatial-configuration partition of ST-GCN measures distances from.
 *
 * References: Yan, Xiong & Lin, "Spatial Temporal Graph Convolutional Networks for Skeleton-Based
 * Action Recognition", AAAI 2018 (github yysijie/st-gcn, `net/utils/graph.py`).
 */
export interface Skeleton {
  /** Layout name (`'coco17'`, `'openpose18'`). */
  readonly name: string;
  /** Joint names in tensor order; `jointNames.length` is the number of nodes V. */
  readonly jointNames: readonly string[];
  /** Undirected bones as index pairs, without self-links (graph builders add those). */
  readonly edges: readonly (readonly [number, number])[];
  /** Centre joint of the spatial-configuration partition ("root" distance is measured from it). */
  readonly center: number;
}

/** Names accepted wherever a {@link Skeleton} is. */
export type LayoutName = 'coco17' | 'openpose18';

/**
 * Keypoint names in COCO-17 order — the one list of the package: the order of every `keypoints`
 * array (AlphaPose, and therefore STG-NF), of the synthetic generator and of `MotionClip3D.coco`.
 *
 * @example
 * ```ts
 * const i = COCO17_KEYPOINTS.indexOf('left_hip'); // 11 → keypoints[3*i .. 3*i+2] = x, y, c
 * ```
 */
export const COCO17_KEYPOINTS = Object.freeze([
  'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
  'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
  'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
] as const);

/** A COCO-17 keypoint name. */
export type Coco17Keypoint = (typeof COCO17_KEYPOINTS)[number];

/**
 * For each COCO-17 keypoint, the index of its mirror image (left ↔ right, the nose maps to itself):
 * the flip pairs. The tracker simulation uses them for the left/right confusions real pose
 * estimators make in side views.
 *
 * @example
 * ```ts
 * COCO17_FLIP[COCO17_KEYPOINTS.indexOf('left_knee')]; // 14 = right_knee
 * ```
 */
export const COCO17_FLIP: readonly number[] = Object.freeze([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]);

/**
 * The 17 COCO keypoints (AlphaPose, HRNet, ViTPose, YOLO-pose output order) with the 19 bones of
 * COCO's `person` category skeleton, converted from its 1-based indices.
 *
 * COCO has no neck, so the centre is the nose (0), the convention of mmaction2/pyskl's `coco`
 * layout; ST-GCN's spatial partition only needs *some* fixed reference joint.
 *
 * References: Lin et al., "Microsoft COCO", ECCV 2014 (keypoint order and skeleton);
 * Yan et al., ST-GCN, AAAI 2018 (use as a graph layout).
 *
 * @example
 * ```ts
 * COCO17.jointNames.length; // 17
 * buildAdjacency(COCO17, { strategy: 'spatial' });
 * ```
 */
export const COCO17: Skeleton = Object.freeze({
  name: 'coco17',
  jointNames: COCO17_KEYPOINTS,
  edges: Object.freeze([
    [15, 13], [13, 11], [16, 14], [14, 12], [11, 12], [5, 11], [6, 12], [5, 6], [5, 7], [6, 8],
    [7, 9], [8, 10], [1, 2], [0, 1], [0, 2], [1, 3], [2, 4], [3, 5], [4, 6],
  ] as const),
  center: 0,
});

/**
 * The 18-joint OpenPose (COCO-18) layout that ST-GCN's and STG-NF's `layout='openpose'` graph
 * uses: COCO's joints plus a neck (1), in OpenPose's order. Edges and centre are copied verbatim
 * from ST-GCN's `graph.py` so adjacency matrices match the released models bit for bit.
 *
 * References: Yan et al., ST-GCN, AAAI 2018; Hirschorn & Avidan, "Normalizing Flows for Human
 * Pose Anomaly Detection" (STG-NF), ICCV 2023 (github orhir/STG-NF, `models/STG_NF/graph.py`).
 *
 * @example
 * ```ts
 * OPENPOSE18.center; // 1 (neck)
 * buildAdjacency(OPENPOSE18, { strategy: 'uniform', maxHop: 8 }); // STG-NF's A = ones/18
 * ```
 */
export const OPENPOSE18: Skeleton = Object.freeze({
  name: 'openpose18',
  jointNames: Object.freeze([
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee', 'right_ankle',
    'left_hip', 'left_knee', 'left_ankle', 'right_eye', 'left_eye', 'right_ear', 'left_ear',
  ]),
  edges: Object.freeze([
    [4, 3], [3, 2], [7, 6], [6, 5], [13, 12], [12, 11], [10, 9], [9, 8], [11, 5], [8, 2], [5, 1],
    [2, 1], [0, 1], [15, 0], [14, 0], [17, 15], [16, 14],
  ] as const),
  center: 1,
});

const LAYOUTS: Record<LayoutName, Skeleton> = { coco17: COCO17, openpose18: OPENPOSE18 };

/**
 * Looks up a built-in layout by name, or validates a user-defined {@link Skeleton} (edge indices
 * in range, centre in range) so that graph builders can trust it.
 *
 * References: Yan et al., ST-GCN, AAAI 2018.
 *
 * @param layout - `'coco17'`, `'openpose18'` (alias `'openpose'`, ST-GCN's name) or a Skeleton.
 * @returns the skeleton.
 * @throws InputError for an unknown name or an inconsistent skeleton.
 * @example
 * ```ts
 * getSkeleton('openpose').jointNames[1]; // 'neck'
 * ```
 */
export function getSkeleton(layout: LayoutName | 'openpose' | Skeleton): Skeleton {
  if (typeof layout === 'string') {
    const s = layout === 'openpose' ? OPENPOSE18 : LAYOUTS[layout as LayoutName];
    if (!s) throw new InputError(`unknown layout '${layout}' (known: ${Object.keys(LAYOUTS).join(', ')}, openpose)`, { source: 'getSkeleton' });
    return s;
  }
  const v = layout.jointNames.length;
  const bad = layout.edges.find(([i, j]) => !Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= v || j >= v);
  if (bad) throw new InputError(`edge (${bad[0]}, ${bad[1]}) is outside 0..${v - 1}`, { source: 'getSkeleton', location: layout.name });
  if (!Number.isInteger(layout.center) || layout.center < 0 || layout.center >= v) {
    throw new InputError(`center ${layout.center} is outside 0..${v - 1}`, { source: 'getSkeleton', location: layout.name });
  }
  return layout;
}
