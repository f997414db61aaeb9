import { InputError } from '@skelflow/base';
import { resolveStgNfConfig, type ResolvedStgNfConfig, type StgNfConfig } from '@skelflow/stg-nf';

/** Which levels are on: motion (1), + appearance (12), + scene (123). */
export type MgNetLevels = '1' | '12' | '123';

/** The sizes and weights of an MGNet model; every field has a default (model card §5.6, small). */
export interface MgNetConfig {
  /** Frames per segment T (the teacher's); default 24. */
  segLen?: number;
  /** The teacher's STG-NF config (its `segLen` is `segLen`). Default STG-NF's (K = 8, R = 3). */
  teacher?: StgNfConfig;
  /** Levels on; default `'123'`. */
  levels?: MgNetLevels;
  /** Crop height = width in pixels; default 32 (2 × 8 × 8 cubes → 4 × 4 patches per frame). */
  crop?: number;
  /** Token width D of both encoders; default 32. */
  dim?: number;
  /** Attention heads; default 4. */
  heads?: number;
  /** Transformer blocks per encoder; default 1. */
  layers?: number;
  /** One LSTA module on each encoder's token grid; default true. */
  lsta?: boolean;
  /** Hidden width of the motion head H_B; default 64. */
  headHidden?: number;
  /** C_app, width of f_u and f_m; default 32. */
  appDim?: number;
  /** Items of each memory (N_b = N_s = N_r); default 10 (MNAD's). */
  memoryItems?: number;
  /** Temperature τ of the BSMM read weights `softmax(cos/τ)`; default 1 (the paper's). */
  bsmmTemperature?: number;
  /** Masked fraction γ of the patches; default 0.5. */
  maskRatio?: number;
  /** λ_app; default 1. */
  lambdaApp?: number;
  /** λ_mm; default 1. */
  lambdaMm?: number;
  /** Seed of the scene backgrounds of the rendered crops; default 0. */
  renderSeed?: number;
  /** Seed of the initialisation; default 0. */
  seed?: number;
}

/** A config with every default filled in. */
export interface ResolvedMgNetConfig {
  segLen: number;
  teacher: ResolvedStgNfConfig;
  levels: MgNetLevels;
  crop: number;
  dim: number;
  heads: number;
  layers: number;
  lsta: boolean;
  headHidden: number;
  appDim: number;
  memoryItems: number;
  bsmmTemperature: number;
  maskRatio: number;
  lambdaApp: number;
  lambdaMm: number;
  renderSeed: number;
  seed: number;
}

const LEVELS: readonly MgNetLevels[] = ['1', '12', '123'];

/** Fills and checks the defaults. @throws InputError for an unknown level set or a size that is not a positive integer. */
export function resolveMgNetConfig(config: MgNetConfig = {}): ResolvedMgNetConfig {
  const segLen = config.segLen ?? config.teacher?.segLen ?? 24;
  const t = resolveStgNfConfig({ ...(config.teacher ?? {}), segLen, ...(config.seed !== undefined ? { seed: config.seed } : {}) });
  const c: ResolvedMgNetConfig = {
    segLen,
    teacher: t,
    levels: config.levels ?? '123',
    crop: config.crop ?? 32,
    dim: config.dim ?? 32,
    heads: config.heads ?? 4,
    layers: config.layers ?? 1,
    lsta: config.lsta ?? true,
    headHidden: config.headHidden ?? 64,
    appDim: config.appDim ?? 32,
    memoryItems: config.memoryItems ?? 10,
    bsmmTemperature: config.bsmmTemperature ?? 1,
    maskRatio: config.maskRatio ?? 0.5,
    lambdaApp: config.lambdaApp ?? 1,
    lambdaMm: config.lambdaMm ?? 1,
    renderSeed: config.renderSeed ?? 0,
    seed: t.seed,
  };
  const source = 'MgNet config';
  if (!LEVELS.includes(c.levels)) throw new InputError(`levels must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(c.levels)}`, { source, location: 'levels' });
  for (const k of ['crop', 'dim', 'heads', 'layers', 'headHidden', 'appDim', 'memoryItems'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new InputError(`${k} must be a positive integer, got ${String(c[k])}`, { source, location: k });
  }
  if (c.segLen % 2 !== 0 || c.crop % 8 !== 0) throw new InputError(`segLen must be even and crop a multiple of 8 (2 × 8 × 8 cubes), got ${c.segLen} and ${c.crop}`, { source });
  if (c.memoryItems < 2) throw new InputError('memoryItems must be at least 2 (separateness and top-2)', { source, location: 'memoryItems' });
  if (!(c.bsmmTemperature > 0) || !(c.maskRatio > 0 && c.maskRatio < 1) || !(c.lambdaApp >= 0) || !(c.lambdaMm >= 0)) {
    throw new InputError('bsmmTemperature must be > 0, maskRatio in (0, 1), λs ≥ 0', { source });
  }
  return c;
}
