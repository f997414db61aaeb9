import { InputError, Rng } from '@skelflow/base';
import { ANOMALY_KINDS, type ActorPlan, type ActorTrack, type AnomalyKind, sampleStyle, simulateActor } from './motion.js';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../camera/pinhole.js';
import { DEMO_FPS, type SceneCamera, insideArea, sampleGroundPoint, sampleScene } from './scene.js';
import { COCO17_KEYPOINTS } from '../layouts/skeletons.js';
import { sampleBody } from './skeleton.js';
import type { PoseTracksJson } from '../tracks/types.js';
import { SYNTHETIC_ESTIMATOR_NOISE, simulateEstimatorTracker } from '../camera/estimator.js';
import { clamp } from '../numeric.js';
import { intIn, pickWeighted, uniformIn } from './util.js';

/**
 * One labelled abnormal behaviour: person `person` behaves as `kind` in frames `from`..`to`
 * (both inclusive). When the tracker switched ids during the behaviour, it is split into one event
 * per id, so every event names an id present in the clip's `persons`.
 */
export interface AnomalyEvent {
  person: string;
  kind: AnomalyKind;
  from: number;
  to: number;
}

/**
 * One clip in the STG-NF/ShanghaiTech layout: `persons` is exactly the content of
 * `<name>_alphapose_tracked_person.json`.
 */
export interface ClipTracks {
  /** `SS_CCCC`: scene and clip number. */
  name: string;
  /** Frames in the clip (frames without anyone visible count). */
  nFrames: number;
  /** Person id → zero-padded frame → `{ keypoints: [x, y, c] × 17, scores }`. */
  persons: PoseTracksJson;
  /** Labelled abnormal behaviours (empty for training clips and normal test clips). */
  events: AnomalyEvent[];
}

/** Size presets of {@link generateDemoDataset}. */
export type DemoScale = 'tiny' | 'demo';

/** Options of {@link generateDemoDataset}. */
export interface DemoDatasetOptions {
  /** Any number or string; the same seed gives byte-identical data. Default 7. */
  seed?: number | string;
  /** `demo` (default): a training set big enough for a useful STG-NF; `tiny`: fast, for CI. */
  scale?: DemoScale;
  /** Training clips (default 200 for `demo`, 8 for `tiny`). */
  trainClips?: number;
  /** Test clips (default 40 for `demo`, 6 for `tiny`). */
  testClips?: number;
  /**
   * Scene-dependent anomalies: each rule makes one behaviour normal in the listed scenes (1-based,
   * the `SS` of clip names) and leaves it abnormal in every other scene. In a listed scene the
   * behaviour is not labelled in test clips (their tracks are unchanged, only events and masks
   * drop it), and about half of the training clips get one extra person doing it — so a model can
   * learn that it belongs there. Absent or empty: the dataset is bit-identical to one made without
   * the option. See {@link SceneRule}.
   */
  sceneRules?: readonly SceneRule[];
}

/**
 * A behaviour that is normal in some scenes only (MGNet's behaviour–scene anomalies: running is
 * allowed in scene 02, abnormal in scene 01).
 *
 * @example
 * ```ts
 * generateDemoDataset({ scale: 'tiny', sceneRules: [{ kind: 'running', normalScenes: [2] }] });
 * ```
 */
export interface SceneRule {
  /** The behaviour. */
  kind: AnomalyKind;
  /** Scenes (1-based) where it is normal. */
  normalScenes: readonly number[];
}

/** Counts of one split (see {@link demoDatasetStats}). */
export interface SplitStats {
  clips: number;
  /** Sum of clip lengths. */
  frames: number;
  /** Distinct person ids summed over clips (ID switches count twice). */
  persons: number;
  detections: number;
  /** Mean number of detected people per frame. */
  meanPersonsPerFrame: number;
  /** Σ over person ids of max(0, (detections − segLen) / stride), rounded — the quick estimate. */
  segmentsEstimate: number;
  /** Windows STG-NF's `split_pose_to_segments` keeps: start every `stride` detections, frames consecutive. */
  segmentsContinuous: number;
  abnormalFrames: number;
  abnormalFraction: number;
  /** Number of events per kind. */
  events: Record<AnomalyKind, number>;
}

/** Dataset statistics for both splits. */
export interface DemoDatasetStats {
  segLen: number;
  stride: number;
  train: SplitStats;
  test: SplitStats;
}

/** Provenance and statistics of a generated dataset (also written to the `.skelflow-demo` marker). */
export interface DemoDatasetMeta {
  generator: '@skelflow/pose synthetic';
  formatVersion: 1;
  seed: number | string;
  scale: DemoScale;
  fps: number;
  frameWidth: number;
  frameHeight: number;
  keypoints: string[];
  /** Camera of each scene (rounded), `id` = the `SS` of clip names. */
  scenes: { id: number; focal: number; cameraHeight: number; horizonY: number }[];
  /** Statistics at segment length 24, stride 6. */
  stats: DemoDatasetStats;
  /** The scene rules the dataset was made with (present only when some were given). */
  sceneRules?: SceneRule[];
}

/** The generated dataset: pose tracks of both splits, per-test-clip frame masks, metadata. */
export interface DemoDataset {
  train: ClipTracks[];
  test: ClipTracks[];
  /** One mask per test clip, same order and name: 1 = some person behaves abnormally in that frame. */
  gt: { name: string; mask: Uint8Array }[];
  meta: DemoDatasetMeta;
}

interface ScaleConfig {
  trainClips: number;
  testClips: number;
  scenes: number;
  frames: [number, number];
  concurrency: [number, number];
}

const SCALES: Record<DemoScale, ScaleConfig> = {
  tiny: { trainClips: 8, testClips: 6, scenes: 3, frames: [150, 200], concurrency: [2, 4] },
  demo: { trainClips: 200, testClips: 40, scenes: 8, frames: [150, 400], concurrency: [2, 6] },
};

/**
 * Generates the embedded demo dataset: procedurally animated COCO-17 pose tracks of people in a
 * few fixed-camera scenes, in the layout the STG-NF ShanghaiTech pipeline reads. Training clips
 * contain only normal behaviour (walking at varied speeds, directions and styles, pausing,
 * loitering); test clips mostly the same plus staged anomalies (running, falling, fighting,
 * sudden sprints) with frame-level ground truth; about 30 % of the test clips are fully normal.
 * The output passes through a simulated detector/tracker (missed frames, gaps, id switches,
 * jitter, confidences), so it looks like AlphaPose output, not like clean mocap.
 *
 * Everything is drawn from `Rng` streams derived from the seed (one per scene and per clip),
 * so the same options give byte-identical JSON (within one JavaScript engine: `Math.sin` & co.
 * may differ in the last bit between engines), and a training clip does not change when the
 * number of clips does (test clips also depend on the test-set plan, which depends on
 * `testClips`). Seeds `7` and `'7'` are the same seed.
 *
 * @param options - seed (default 7), scale (`demo` | `tiny`, default `demo`), clip counts.
 * @returns `{ train, test, gt, meta }`.
 * @throws InputError for a negative or non-integer clip count, or an unknown scale.
 * @example
 * ```ts
 * const ds = generateDemoDataset({ seed: 7, scale: 'tiny' });
 * ds.test[0].events; // [{ person: '3', kind: 'running', from: 4, to: 50 }, { person: '5', kind: 'falling', … }]
 * ds.gt[0].mask.length; // === ds.test[0].nFrames (152)
 * ```
 */
export function generateDemoDataset(options: DemoDatasetOptions = {}): DemoDataset {
  const seed = options.seed ?? 7;
  const scale = options.scale ?? 'demo';
  const cfg = SCALES[scale];
  if (cfg === undefined) throw new InputError(`unknown scale '${String(scale)}' (expected 'tiny' or 'demo')`, { source: 'generateDemoDataset' });
  const nTrain = options.trainClips ?? cfg.trainClips;
  const nTest = options.testClips ?? cfg.testClips;
  for (const [k, v] of [['trainClips', nTrain], ['testClips', nTest]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 9999) throw new InputError(`${k} must be an integer in [0, 9999], got ${v}`, { source: 'generateDemoDataset' });
  }
  const rules = checkSceneRules(options.sceneRules ?? [], cfg.scenes);
  /** Kinds that are normal in scene s (0-based). */
  const normalKinds = (s: number): AnomalyKind[] => rules.filter((r) => r.normalScenes.includes(s + 1)).map((r) => r.kind);
  const scenes = Array.from({ length: cfg.scenes }, (_, s) => sampleScene(new Rng(`${seed}/${scale}/scene/${s + 1}`), s + 1));

  // Test-set plan: which clips are fully normal, and a balanced list of anomaly kinds.
  const planRng = new Rng(`${seed}/${scale}/plan`);
  const nNormal = nTest >= 2 ? Math.max(1, Math.round(0.3 * nTest)) : 0;
  const normalSet = new Set(planRng.permutation(nTest).slice(0, nNormal));
  const kindsPerClip: AnomalyKind[][] = [];
  let bag: AnomalyKind[] = [];
  for (let i = 0; i < nTest; i++) {
    const kinds: AnomalyKind[] = [];
    if (!normalSet.has(i)) {
      const k = 1 + (planRng.uniform() < 0.35 ? 1 : 0) + (planRng.uniform() < 0.1 ? 1 : 0);
      for (let e = 0; e < k; e++) {
        if (bag.length === 0) bag = planRng.shuffle([...ANOMALY_KINDS]);
        kinds.push(bag.pop()!);
      }
    }
    kindsPerClip.push(kinds);
  }

  const makeSplit = (split: 'train' | 'test', n: number): ClipTracks[] => {
    const perScene = new Array<number>(scenes.length).fill(0);
    const clips: ClipTracks[] = [];
    for (let i = 0; i < n; i++) {
      const s = i % scenes.length;
      perScene[s]++;
      const name = `${String(s + 1).padStart(2, '0')}_${String(perScene[s]).padStart(4, '0')}`;
      const rng = new Rng(`${seed}/${scale}/${split}/${i}`);
      const anomalies = split === 'test' ? kindsPerClip[i] : [];
      const allowed = normalKinds(s);
      if (allowed.length === 0) {
        clips.push(generateClip(name, scenes[s], cfg, anomalies, rng));
        continue;
      }
      // A scene where some behaviours are normal: training clips show them (drawn after every
      // other draw of the clip), test clips do not label them.
      const extra = split === 'train' ? allowed.filter(() => rng.uniform() < 0.5) : [];
      const clip = generateClip(name, scenes[s], cfg, [...anomalies, ...extra], rng);
      clip.events = clip.events.filter((e) => !allowed.includes(e.kind));
      clips.push(clip);
    }
    return clips;
  };
  const train = makeSplit('train', nTrain);
  const test = makeSplit('test', nTest);
  const gt = test.map((c) => ({ name: c.name, mask: eventMask(c) }));
  const base = { train, test, gt };
  const meta: DemoDatasetMeta = {
    generator: '@skelflow/pose synthetic',
    formatVersion: 1,
    seed,
    scale,
    fps: DEMO_FPS,
    frameWidth: FRAME_WIDTH,
    frameHeight: FRAME_HEIGHT,
    keypoints: [...COCO17_KEYPOINTS],
    scenes: scenes.map((c) => ({
      id: c.id,
      focal: Math.round(c.focal * 10) / 10,
      cameraHeight: Math.round(c.cameraHeight * 100) / 100,
      horizonY: Math.round(c.horizonY * 10) / 10,
    })),
    stats: demoDatasetStats(base),
    ...(rules.length > 0 ? { sceneRules: rules.map((r) => ({ kind: r.kind, normalScenes: [...r.normalScenes] })) } : {}),
  };
  return { ...base, meta };
}

function checkSceneRules(rules: readonly SceneRule[], nScenes: number): readonly SceneRule[] {
  const source = 'generateDemoDataset';
  if (!Array.isArray(rules)) throw new InputError('sceneRules must be an array of { kind, normalScenes }', { source });
  rules.forEach((r, i) => {
    const location = `sceneRules[${i}]`;
    if (!ANOMALY_KINDS.includes(r?.kind)) throw new InputError(`kind must be one of ${ANOMALY_KINDS.join(', ')}, got ${String(r?.kind)}`, { source, location });
    if (!Array.isArray(r.normalScenes) || r.normalScenes.length === 0) throw new InputError('normalScenes must be a non-empty array of scene numbers', { source, location });
    for (const sc of r.normalScenes) {
      if (!(Number.isInteger(sc) && sc >= 1 && sc <= nScenes)) throw new InputError(`scene ${sc} is not in [1, ${nScenes}]`, { source, location });
    }
    if (rules.findIndex((q) => q.kind === r.kind) !== i) throw new InputError(`kind ${r.kind} has two rules`, { source, location });
  });
  return rules;
}

/**
 * The frame mask of a clip: 1 in every frame covered by one of its events, else 0.
 *
 * @param clip - a clip with `nFrames` and `events`.
 * @returns `Uint8Array(nFrames)`.
 * @example
 * ```ts
 * eventMask({ nFrames: 5, events: [{ person: '1', kind: 'falling', from: 1, to: 2 }] }); // [0,1,1,0,0]
 * ```
 */
export function eventMask(clip: Pick<ClipTracks, 'nFrames' | 'events'>): Uint8Array {
  const mask = new Uint8Array(clip.nFrames);
  for (const e of clip.events) mask.fill(1, Math.max(0, e.from), Math.min(clip.nFrames, e.to + 1));
  return mask;
}

/**
 * Counts clips, frames, person ids, detections, training segments and abnormal frames. Two
 * segment counts are given: the quick estimate Σ (detections − segLen)/stride per person id, and
 * the number of windows STG-NF actually keeps (`ceil((T − segLen)/stride)` start positions over a
 * person's sorted detections, kept only when the window's frames are consecutive — tracker gaps
 * cost segments).
 *
 * @param ds - the clips and masks (meta not needed).
 * @param segLen - segment length (STG-NF: 24).
 * @param stride - segment stride (STG-NF training: 6).
 * @example
 * ```ts
 * demoDatasetStats(ds).train.segmentsEstimate; // 28 895 for seed 7, scale 'demo' (22 551 continuous)
 * ```
 */
export function demoDatasetStats(ds: Pick<DemoDataset, 'train' | 'test' | 'gt'>, segLen = 24, stride = 6): DemoDatasetStats {
  const split = (clips: ClipTracks[], masks: Uint8Array[]): SplitStats => {
    let frames = 0;
    let persons = 0;
    let detections = 0;
    let estimate = 0;
    let windows = 0;
    let abnormal = 0;
    const events = { running: 0, falling: 0, fighting: 0, sprint: 0 } as Record<AnomalyKind, number>;
    clips.forEach((c, i) => {
      frames += c.nFrames;
      for (const id of Object.keys(c.persons)) {
        const keys = Object.keys(c.persons[id]).map(Number).sort((a, b) => a - b);
        persons++;
        detections += keys.length;
        estimate += Math.max(0, (keys.length - segLen) / stride);
        const nSeg = Math.ceil((keys.length - segLen) / stride);
        for (let s = 0; s < nSeg; s++) {
          const a = s * stride;
          if (keys[a + segLen - 1] - keys[a] === segLen - 1) windows++;
        }
      }
      for (const e of c.events) {
        // An event split by an id switch is one behaviour: count only its first part.
        if (!c.events.some((o) => o.kind === e.kind && o.to + 1 === e.from)) events[e.kind]++;
      }
      const m = masks[i];
      if (m !== undefined) for (let t = 0; t < m.length; t++) abnormal += m[t];
    });
    return {
      clips: clips.length,
      frames,
      persons,
      detections,
      meanPersonsPerFrame: frames > 0 ? Math.round((detections / frames) * 100) / 100 : 0,
      segmentsEstimate: Math.round(estimate),
      segmentsContinuous: windows,
      abnormalFrames: abnormal,
      abnormalFraction: frames > 0 ? Math.round((abnormal / frames) * 10000) / 10000 : 0,
      events,
    };
  };
  return {
    segLen,
    stride,
    train: split(ds.train, []),
    test: split(ds.test, ds.gt.map((g) => g.mask)),
  };
}

/** Spawns, simulates and tracks the people of one clip. */
function generateClip(name: string, cam: SceneCamera, cfg: ScaleConfig, anomalies: AnomalyKind[], rng: Rng): ClipTracks {
  const nFrames = intIn(rng, cfg.frames[0], cfg.frames[1]);
  const concurrency = intIn(rng, cfg.concurrency[0], cfg.concurrency[1]);
  const plans: ActorPlan[] = [];
  // Expected visible life of a walker ≈ a crossing of the frame width at mid depth.
  const zMid = 0.5 * (cam.zNear + cam.zFar);
  const life = clamp(((0.8 * FRAME_WIDTH * zMid) / cam.focal / 1.3) * DEMO_FPS, 100, 600);
  for (let i = 0; i < concurrency; i++) plans.push(normalPlan(cam, rng, 0, false));
  const rate = concurrency / life;
  for (let t = 1; t < nFrames - 24; t++) if (rng.uniform() < rate) plans.push(normalPlan(cam, rng, t, true));
  for (const kind of anomalies) plans.push(anomalyPlan(kind, cam, rng, nFrames));

  // One stream for the whole clip, consumed in a fixed order (creating an Rng costs ~0.5 ms, a
  // fork per actor would dominate the run time).
  const actors: ActorTrack[] = plans.map((p) => simulateActor(p, sampleBody(rng), sampleStyle(rng), cam, nFrames, rng));
  const { persons, spans, detected } = simulateEstimatorTracker(
    { people: actors, nFrames, width: FRAME_WIDTH, height: FRAME_HEIGHT },
    rng,
    SYNTHETIC_ESTIMATOR_NOISE,
  );

  // Label behaviours over the frames their actor is tracked, split at id switches.
  const events: AnomalyEvent[] = [];
  actors.forEach((a, ai) => {
    const b = a.behaviour;
    const first = detected[ai].indexOf(1);
    if (b === null || first < 0) return;
    const from = Math.max(b.from, first);
    const to = Math.min(b.to, detected[ai].lastIndexOf(1));
    if (to < from) return;
    // Cut the behaviour where a new id takes over. A piece in which its id has no detection (the
    // switch happened during a gap) is handed to the neighbouring piece whose id does appear.
    const mine = spans.filter((s) => s.actor === ai).sort((p, q) => p.start - q.start);
    const parts: { ev: AnomalyEvent; seen: boolean }[] = [];
    mine.forEach((s, k) => {
      const f = Math.max(from, k === 0 ? -Infinity : s.start);
      const e = Math.min(to, k + 1 < mine.length ? mine[k + 1].start - 1 : Infinity);
      if (e < f) return;
      const seen = s.start <= e && s.end >= f && Object.keys(persons[s.id]).some((key) => +key >= f && +key <= e);
      parts.push({ ev: { person: s.id, kind: b.kind, from: f, to: e }, seen });
    });
    const kept = parts.filter((p) => p.seen);
    if (kept.length === 0) kept.push(parts[0]); // tracker missed the whole behaviour: keep its id
    for (const p of parts) {
      if (kept.includes(p)) continue;
      const next = kept.find((q) => q.ev.from > p.ev.from);
      if (next !== undefined) next.ev.from = Math.min(next.ev.from, p.ev.from);
      else kept[kept.length - 1].ev.to = Math.max(kept[kept.length - 1].ev.to, p.ev.to);
    }
    for (const p of kept) events.push(p.ev);
  });
  events.sort((p, q) => p.from - q.from || Number(p.person) - Number(q.person));
  return { name, nFrames, persons, events };
}

/** A heading along one of the scene's paths (either way), or occasionally any direction. */
function pathHeading(cam: SceneCamera, rng: Rng): number {
  const base = rng.uniform() < 0.15 ? rng.uniform() * 2 * Math.PI : cam.paths[pickWeighted(rng, cam.paths.map((p) => p.weight))].heading;
  return base + (rng.uniform() < 0.5 ? Math.PI : 0) + 0.12 * rng.normal();
}

/** Walks back from an in-area point against the heading until just outside the area. */
function entryPoint(cam: SceneCamera, X: number, Z: number, heading: number): [number, number] {
  const dx = -Math.cos(heading) * 0.25;
  const dz = -Math.sin(heading) * 0.25;
  for (let i = 0; i < 600 && insideArea(cam, X, Z, 0.6); i++) {
    X += dx;
    Z += dz;
  }
  return [X, Z];
}

function normalPlan(cam: SceneCamera, rng: Rng, startFrame: number, entering: boolean): ActorPlan {
  const heading = pathHeading(cam, rng);
  let [X, Z] = sampleGroundPoint(cam, rng);
  if (entering) [X, Z] = entryPoint(cam, X, Z, heading);
  const slow = rng.uniform() < 0.06;
  const speed = slow ? uniformIn(rng, 0.5, 0.8) : clamp(1.3 + 0.2 * rng.normal(), 0.7, 1.9);
  const stander = !entering && rng.uniform() < 0.1;
  const pause = !stander && rng.uniform() < 0.12;
  return {
    role: stander ? 'stander' : 'walker',
    startFrame,
    X,
    Z,
    heading,
    speed,
    anomaly: null,
    pauseAt: pause ? Math.round(uniformIn(rng, 1, 8) * DEMO_FPS) : -1,
    pauseFrames: Math.round(uniformIn(rng, 1, 5) * DEMO_FPS),
    standFrames: rng.uniform() < 0.4 ? Infinity : Math.round(uniformIn(rng, 3, 20) * DEMO_FPS),
  };
}

function anomalyPlan(kind: AnomalyKind, cam: SceneCamera, rng: Rng, nFrames: number): ActorPlan {
  const heading = pathHeading(cam, rng);
  const inside = kind !== 'running' && rng.uniform() < 0.35;
  let [X, Z] = sampleGroundPoint(cam, rng, 0.2);
  if (!inside) [X, Z] = entryPoint(cam, X, Z, heading);
  const startFrame = inside ? 0 : Math.round(uniformIn(rng, 0, kind === 'running' ? 0.6 : 0.45) * nFrames);
  return {
    role: kind === 'running' ? 'runner' : 'walker',
    startFrame,
    X,
    Z,
    heading,
    speed: kind === 'running' ? uniformIn(rng, 2.8, 5) : clamp(1.3 + 0.2 * rng.normal(), 0.8, 1.8),
    anomaly: kind === 'running' ? null : kind,
    pauseAt: -1,
    pauseFrames: 0,
    standFrames: 0,
  };
}
