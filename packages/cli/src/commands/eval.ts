import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { writeAtomic } from '@skelflow/core/node';
import { readModelKind } from '@skelflow/model/node';
import { evaluateFrames, scoresToFrames, type GroundTruthConvention } from '@skelflow/pose';
import { readGtDir, readPoseDir } from '@skelflow/pose/node';
import { BACKEND_FLAG, columns } from '../help.js';
import { displayPath, relativePath } from '../paths.js';
import { ProgressBar } from '../progress.js';
import { checkModelInput } from '../load_model.js';
import { htmlReportFromFolders } from '../report_files.js';
import type { ReportData } from '../report_html.js';
import { registry } from '../registry.js';
import { explainReport } from '../report_explain.js';
import { backendFlag, intFlag, parseFlags, refuseExisting, UsageError, type Io } from '../usage_error.js';

export const EVAL_USAGE = `Usage: skelflow eval --model <saved model dir | STG-NF checkpoint .tar/.pth/.json> --poses <dir> --gt <mask dir> --out <report.json>
                     [--html <report.html>] [--gt-convention shanghaitech|ubnormal] [--seg-len N] [--no-smooth]
                     [--batch N] [--backend wasm|cpu] [--strict] [--force]

Scores every pose segment of every clip (stride 1) with the model — any registered kind, read from
the folder's config.json ('skelflow models') — maps segment scores to frames as the original STG-NF
does (frame start + segLen/2, minimum over people, empty frames filled with the dataset's most
normal score, six Gaussian smoothings σ = 1…6) and writes a JSON report with the frame-level micro
AUC, raw and smoothed, per-clip frame scores and per-segment scores; with --html also a page a
person reads (shared-scale per-clip charts, ROC with the operating point, the most anomalous
segments drawn as skeletons).
Scores are normality scores (STG-NF: −NLL in bits/dim; pca-gaussian: log-density): higher = more normal.
A model that explains its scores (NFlowAD) also reports, per clip, the frames × joints anomaly
(higher = more anomalous), its joint/frame/sequence/clip decisions and the top-3 joints of each
flagged frame, and clip-level precision/recall/AUC; --html draws a heat map per clip (docs/cli.md).

${columns([
  ['--model <path>', "a folder saved by 'skelflow train' (its config.json names the model kind; a\nfolder without kind is a legacy STG-NF one), or a released STG-NF checkpoint: the original\ntorch.save file as it is (ShanghaiTech_85_9.tar; no Python) or its .json export; the run's args\n(seg_len, K, R, permutation) configure the model"],
  ['--poses <dir>', 'folder of <clip>_alphapose_tracked_person.json files'],
  ['--gt <dir>', 'folder of <clip>.npy frame masks; the clips evaluated are those of this folder'],
  ['--out <file>', 'the JSON report (paths in it are relative to its folder)'],
  ['--html <file>', 'also write the HTML report (per-clip charts on one shared y-scale)'],
  ['--per-clip-scale', 'in the HTML report, give each clip chart its own y-scale'],
  ['--gt-convention <c>', 'shanghaitech: uint8, 1 = abnormal (default); ubnormal: float, 1 = normal'],
  ['--seg-len <N>', "segment length; default: the model's"],
  ['--no-smooth', 'report the raw AUC only (smoothed fields are null)'],
  ['--batch <N>', 'segments scored per model call (default 1024; memory vs. call overhead)'],
  BACKEND_FLAG,
  ['--strict', 'make the warnings errors: a mask without a pose file, a pose file without a person\n(both are scored entirely with the fill value, as the original does)'],
  ['--force', 'replace existing report files'],
])}
`;

/**
 * The report `skelflow eval` writes (documented in docs/cli.md): what the HTML page draws
 * ({@link ReportData}: model, kind, sizes, AUCs, per-clip frame and segment scores) and how it was made.
 */
export interface EvalReport extends ReportData {
  /** Every score in the report is a normality score: higher = more normal (`skelflow metrics` reads it so). */
  scoreDirection: 'higher-is-normal';
  gtConvention: GroundTruthConvention;
  fillValue: number;
  /** Masks without a pose file (scored entirely with the fill value, as the original does). */
  clipsWithoutPoses: string[];
  /** Every warning printed, one line each (a mask without poses, a clip without a person). */
  warnings: string[];
}

/**
 * Runs the evaluation of a saved model of any registered kind (or a released STG-NF checkpoint)
 * and returns the report (no file written).
 */
export async function evaluateModel(
  options: { model: string; poses: string; gt: string; convention: GroundTruthConvention; segLen?: number; smooth: boolean; batch: number; strict?: boolean },
  onProgress?: (done: number, total: number) => void,
  onWarning?: (message: string) => void,
  onExplainProgress?: (done: number, total: number) => void,
): Promise<EvalReport> {
  const { kind } = await readModelKind(options.model);
  const family = registry.get(kind, `${options.model}: config.json: kind`);
  const model = await family.load(options.model);
  checkModelInput(model, options.model);
  try {
    const segLen = options.segLen ?? model.input.segLen;
    if (segLen !== model.input.segLen) {
      throw new UsageError(`--seg-len ${segLen} does not match the model's segment length ${model.input.segLen}`, { source: 'skelflow eval' });
    }
    const gt = await readGtDir(options.gt, options.convention);
    if (gt.length === 0) throw new InputError('no .npy ground-truth masks found', { source: options.gt });
    const nAbnormal = gt.reduce((a, g) => a + g.gtAbnormal.reduce((x, v) => x + v, 0), 0);
    const nFrames = gt.reduce((a, g) => a + g.nFrames, 0);
    if (nAbnormal === 0 || nAbnormal === nFrames) {
      throw new InputError(
        `after the ${options.convention} convention every one of the ${nFrames} frames is ${nAbnormal === 0 ? 'normal' : 'abnormal'}, so the AUC is undefined; check --gt-convention (shanghaitech: 1 = abnormal, ubnormal: 1 = normal)`,
        { source: options.gt, location: 'all masks' },
      );
    }
    const clips = await readPoseDir(options.poses);
    const known = new Set(gt.map((g) => g.name));
    // Like the original, the clips evaluated are those of the ground truth; pose files of other clips are ignored.
    const used = clips.filter((c) => known.has(c.name));
    const lengths = new Map(gt.map((g) => [g.name, g.nFrames]));
    const maskOf = new Map(gt.map((g) => [g.name, g.source]));
    const warnings: string[] = [];
    // The original scores such clips with the fill value; say so (counted in the report) rather than
    // fail, unless --strict.
    const warn = (message: string, source: string, location: string) => {
      if (options.strict) throw new InputError(`${message} (an error with --strict)`, { source, location });
      const line = `${source}: ${location}: ${message}`;
      warnings.push(line);
      onWarning?.(line);
    };
    const withPoses = new Set(used.map((c) => c.name));
    const clipsWithoutPoses = gt.filter((g) => !withPoses.has(g.name)).map((g) => g.name);
    for (const g of gt) {
      if (!withPoses.has(g.name)) {
        warn(`mask without a pose file (no ${g.name}_alphapose_tracked_person.json in ${options.poses}); all ${g.nFrames} frames get the fill value`, g.source, `clip ${g.name}`);
      }
    }
    for (const clip of used) {
      const n = lengths.get(clip.name)!;
      if (clip.tracks.size === 0) warn('no person in this clip; all its frames get the fill value', clip.source ?? clip.name, `clip ${clip.name}`);
      for (const [person, track] of clip.tracks) {
        const last = track.frames[track.frames.length - 1];
        if (last !== undefined && last >= n) {
          throw new InputError(`frame ${last} is beyond the end of the clip's ground truth ${maskOf.get(clip.name)} (${n} frames)`, {
            source: clip.source ?? clip.name,
            location: `person ${person}`,
          });
        }
      }
    }
    const segs = family.evalSegments(used, model.input);
    if (segs.meta.clip.length === 0) {
      throw new InputError(`no clip of the ground truth has a person tracked over ${model.input.segLen} frames, so nothing can be scored`, { source: options.poses });
    }
    const scores = model.scoreSegments(segs.data, { batchSize: options.batch, ...(onProgress ? { onProgress } : {}) });
    const poseFile = new Map(used.map((c) => [c.name, c.source ?? c.name]));
    checkSegmentScores(scores, segs, poseFile, options.model);
    const frames = scoresToFrames(scores, segs.meta, gt.map((g) => ({ name: g.name, nFrames: g.nFrames })));
    const ev = evaluateFrames({
      clips: gt.map((g, i) => ({ name: g.name, gtAbnormal: g.gtAbnormal, frameScores: frames.clips[i]!.scores })),
      smooth: options.smooth,
    });
    for (const [what, v] of [['raw', ev.aucRaw], ['smoothed', ev.aucSmoothed ?? 0]] as const) {
      if (!Number.isFinite(v)) throw new InputError(`the ${what} AUC is ${v}`, { source: options.model, location: `scores of ${options.poses}` });
    }
    // Models that explain their scores (NFlowAD) add the frames × joints anomaly, the decisions at
    // every level and the clip-level metrics; other models' reports are unchanged.
    const explained = model.explainSegments
      ? explainReport(model, segs.data, segs.meta, gt.map((g) => ({ name: g.name, nFrames: g.nFrames, gtAbnormal: g.gtAbnormal })), {
          batch: options.batch,
          source: options.model,
          ...(onExplainProgress ? { onProgress: onExplainProgress } : {}),
        })
      : null;
    if (explained && !explained.thresholds) {
      warn('the model explains segments but has no decision thresholds; the report has the frames × joints matrices without decisions', options.model, 'thresholds');
    }
    const perClipSegments = new Map<string, { person: string; start: number; score: number }[]>(gt.map((g) => [g.name, []]));
    for (let s = 0; s < scores.length; s++) {
      const clip = segs.meta.clipNames[segs.meta.clip[s]!]!;
      perClipSegments.get(clip)?.push({ person: String(segs.meta.person[s]), start: segs.meta.startFrame[s]!, score: Number(scores[s]!) });
    }
    return {
      model: options.model,
      kind,
      scoreDirection: 'higher-is-normal',
      segLen,
      gtConvention: options.convention,
      nSegments: scores.length,
      nFrames: ev.nFrames,
      nAbnormalFrames: ev.nAbnormal,
      fillValue: frames.fillValue,
      clipsWithoutPoses,
      warnings,
      auc: { smoothed: ev.aucSmoothed ?? null, raw: ev.aucRaw },
      clips: gt.map((g, i) => ({
        name: g.name,
        nFrames: g.nFrames,
        frameScores: { raw: Array.from(ev.perClip[i]!.raw), smoothed: ev.perClip[i]!.smoothed ? Array.from(ev.perClip[i]!.smoothed!) : null },
        segments: perClipSegments.get(g.name)!,
        ...(explained ? { explanation: explained.clips[i]! } : {}),
      })),
      ...(explained ? { jointNames: explained.jointNames, thresholds: explained.thresholds, clipLevel: explained.clipLevel } : {}),
    };
  } finally {
    model.dispose();
  }
}

/**
 * A non-finite segment score is an error naming the model, the pose file and the segment (clip,
 * person, frames), never a number filled in: with coordinates range-checked at reading, it comes
 * from the model (non-finite or exploded weights) or from an input the model cannot score.
 */
function checkSegmentScores(
  scores: ArrayLike<number>,
  segs: { meta: { clip: ArrayLike<number>; clipNames: readonly string[]; person: ArrayLike<number>; startFrame: ArrayLike<number>; segLen: number } },
  poseFile: Map<string, string>,
  model: string,
): void {
  const { meta } = segs;
  for (let s = 0; s < scores.length; s++) {
    const v = Number(scores[s]);
    if (Number.isFinite(v)) continue;
    const clip = meta.clipNames[meta.clip[s]!]!;
    const start = meta.startFrame[s]!;
    throw new InputError(
      `the model scored the segment of ${poseFile.get(clip) ?? clip} at person ${meta.person[s]}, frames ${start}-${start + meta.segLen - 1} as ${v}${
        Number.isNaN(v) ? ' (non-finite weights?)' : ''
      }; refusing to fill it with a made-up score`,
      { source: model, location: `clip ${clip}, person ${meta.person[s]}, frame ${start}` },
    );
  }
}

/** `skelflow eval`. */
export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const { values, help } = parseFlags('eval', argv, {
    model: { type: 'string' },
    poses: { type: 'string' },
    gt: { type: 'string' },
    out: { type: 'string' },
    'gt-convention': { type: 'string' },
    'seg-len': { type: 'string' },
    html: { type: 'string' },
    'per-clip-scale': { type: 'boolean' },
    'no-smooth': { type: 'boolean' },
    batch: { type: 'string' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
    strict: { type: 'boolean' },
  }, ['model', 'poses', 'gt', 'out']);
  if (help) {
    io.stdout(EVAL_USAGE);
    return 0;
  }
  const convention = (values['gt-convention'] ?? 'shanghaitech') as GroundTruthConvention;
  if (convention !== 'shanghaitech' && convention !== 'ubnormal') {
    throw new UsageError(`--gt-convention must be shanghaitech or ubnormal, got '${convention}'`, { source: 'skelflow eval' });
  }
  const out = values.out!;
  await refuseExisting('eval', out, !!values.force);
  if (values.html !== undefined) await refuseExisting('eval', values.html, !!values.force);
  await initBackend(backendFlag('eval', values.backend));
  const bar = new ProgressBar('scoring', 1, io.stderr, undefined, { unit: 'segments' });
  let explainBar: ProgressBar | null = null;
  const report = await evaluateModel(
    {
      model: values.model!,
      poses: values.poses!,
      gt: values.gt!,
      convention,
      ...(values['seg-len'] !== undefined ? { segLen: intFlag('eval', 'seg-len', values['seg-len'], 24, 2) } : {}),
      smooth: !values['no-smooth'],
      batch: intFlag('eval', 'batch', values.batch, 1024),
      strict: !!values.strict,
    },
    (done, total) => bar.setTotal(total).update(done),
    (message) => io.stderr(`skelflow eval: warning: ${message}\n`),
    // Models that explain their scores make a second pass (per-frame and per-joint anomaly).
    (done, total) => {
      if (!explainBar) {
        bar.done();
        explainBar = new ProgressBar('explaining', total, io.stderr, undefined, { unit: 'segments' });
      }
      explainBar.setTotal(total).update(done);
    },
  );
  if (explainBar) (explainBar as ProgressBar).done();
  else bar.done();
  // The report names the model relative to its own folder, so the pair can be moved together.
  report.model = relativePath(path.dirname(out), values.model!);
  await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeAtomic(out, JSON.stringify(report) + '\n');
  if (values.html !== undefined) {
    const html = await htmlReportFromFolders(report, { poses: values.poses!, gt: values.gt!, convention }, {
      title: `skelflow eval — ${report.kind} on ${displayPath(values.poses!)}`,
      perClipScale: !!values['per-clip-scale'],
    });
    await fs.mkdir(path.dirname(path.resolve(values.html)), { recursive: true });
    await writeAtomic(values.html, html);
  }
  const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  io.stderr(
    `evaluated ${report.clips.length} clips, ${report.nFrames} frames (${report.nAbnormalFrames} abnormal), ${report.nSegments} segments` +
      `${report.warnings.length > 0 ? `, ${report.warnings.length} warning(s) (${report.clipsWithoutPoses.length} mask(s) without poses)` : ''}\n`,
  );
  const cl = report.clipLevel;
  const clipLine = cl ? `  clips: precision ${fmt(cl.precision)} recall ${fmt(cl.recall)} AUC ${fmt(cl.auc)} (${cl.nFlagged} of ${cl.nClips} flagged)` : '';
  io.stdout(`AUC smoothed ${fmt(report.auc.smoothed)}  raw ${fmt(report.auc.raw)}${clipLine}  → ${displayPath(out)}${values.html !== undefined ? `, ${displayPath(values.html)}` : ''}\n`);
  return 0;
}
