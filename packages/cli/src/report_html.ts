import { rocCurve } from '@skelflow/metrics';
import type { DecisionThresholds } from '@skelflow/model';
import { OPENPOSE18 } from '@skelflow/pose';
import type { ClipExplanationReport, ClipLevelMetrics } from './report_explain.js';
import { niceTicks } from './chart_ticks.js';
import { explanationSection } from './report_heatmap.js';

// The HTML report of `skelflow eval --html` and `skelflow demo`: one self-contained page (inline
// SVG, no script) a person reads — summary, ROC with the operating point, per-clip charts on one
// shared y-scale with the threshold, and the most anomalous segments drawn as skeletons.

export { niceTicks };

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const COLORS = { raw: '#9bb7d4', smoothed: '#1f4e99', abnormal: '#f4b6b6', threshold: '#d9480f', flagged: '#d9480f' };

/**
 * What the report draws: the fields of `skelflow eval`'s report (`EvalReport`) it reads, declared
 * here so the page depends on no command.
 */
export interface ReportData {
  model: string;
  /** The model family's kind. */
  kind: string;
  segLen: number;
  nSegments: number;
  nFrames: number;
  nAbnormalFrames: number;
  auc: { smoothed: number | null; raw: number };
  clips: {
    name: string;
    nFrames: number;
    frameScores: { raw: number[]; smoothed: number[] | null };
    segments: { person: string; start: number; score: number }[];
    /** Models with `explainSegments` only: the frames × joints anomaly and the decisions of this clip. */
    explanation?: ClipExplanationReport;
  }[];
  /** Models with `explainSegments` only: the layout's joint names (the columns of `jointScores`). */
  jointNames?: string[];
  /** Models with `explainSegments` only: the decision thresholds (null when the model has none). */
  thresholds?: DecisionThresholds | null;
  /** Models with `explainSegments` and thresholds only: clip-level precision, recall and AUC. */
  clipLevel?: ClipLevelMetrics | null;
}

/** A y-range of a chart. */
export interface Scale {
  lo: number;
  hi: number;
}

/** The operating point drawn on the ROC and as the threshold line: the frame threshold with the largest TPR − FPR (Youden's J). */
export interface OperatingPoint {
  /** Normality threshold: frames scoring at or below it are flagged abnormal. */
  threshold: number;
  tpr: number;
  fpr: number;
}

/** One segment drawn in the skeleton view: OpenPose-18 joints per frame. */
export interface SegmentSkeleton {
  clip: string;
  person: string;
  /** First frame of the segment. */
  start: number;
  /** The model's normality score of the segment. */
  score: number;
  /** Per frame, 18 joints × (x, y, confidence) in pixels, OpenPose-18 order. */
  frames: number[][][];
}

/** Options of {@link reportHtml}. */
export interface ReportHtmlOptions {
  title: string;
  /** Extra summary lines (training details, timing). */
  extra?: string[];
  /** Give each clip chart its own y-scale instead of the one shared scale (default `false`). */
  perClipScale?: boolean;
  /** The most anomalous segments, drawn as skeletons (see `mostAnomalousSegments`). */
  skeletons?: SegmentSkeleton[];
}

const tickLabel = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** The range of the values (finite ones), widened when flat. */
export function valueScale(values: Iterable<number>): Scale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return { lo: -1, hi: 1 };
  if (!(hi > lo)) return { lo: lo - 1, hi: hi + 1 };
  const m = (hi - lo) * 0.04;
  return { lo: lo - m, hi: hi + m };
}

/**
 * The one y-scale of all clip charts: from the highest score down to the 1st percentile of the
 * plotted (smoothed, else raw) frame scores, and always below the threshold. A few extreme frames
 * (one clip reaching −100 where the rest lie near −1) would otherwise flatten every other chart;
 * they are drawn on the bottom edge and counted in `clipped`.
 */
export function sharedScale(clips: ReportData['clips'], threshold?: number): Scale & { clipped: number } {
  const primary = clips.flatMap((c) => c.frameScores.smoothed ?? c.frameScores.raw).filter(Number.isFinite).sort((a, b) => a - b);
  const all = clips.flatMap((c) => [...c.frameScores.raw, ...(c.frameScores.smoothed ?? [])]).filter(Number.isFinite);
  if (primary.length === 0) return { ...valueScale(all), clipped: 0 };
  const q = primary[Math.floor(0.01 * (primary.length - 1))]!;
  const base = valueScale([Math.min(q, threshold ?? q), ...all.filter((v) => v >= q)]);
  return { ...base, clipped: all.filter((v) => v < base.lo).length };
}

/** The frame threshold with the largest TPR − FPR, in normality units (positive = abnormal, anomaly score = −normality). */
export function operatingPoint(abnormal: ArrayLike<number>, normality: ArrayLike<number>): OperatingPoint {
  const c = rocCurve(Array.from(abnormal), Array.from(normality, (s) => -s));
  let best = 0;
  for (let k = 1; k < c.fpr.length; k++) if (c.tpr[k]! - c.fpr[k]! > c.tpr[best]! - c.fpr[best]!) best = k;
  return { threshold: -c.thresholds[best]!, tpr: c.tpr[best]!, fpr: c.fpr[best]! };
}

/** Options of {@link clipSvg}. */
export interface ClipSvgOptions {
  /** The y-range (shared across clips); default: this clip's own. */
  scale?: Scale;
  /** Normality threshold drawn as a dashed line. */
  threshold?: number;
  width?: number;
  height?: number;
}

/**
 * A line chart of one clip's smoothed (and raw) frame scores: abnormal ground-truth frames shaded,
 * y ticks, frame ticks and the threshold. Values outside `scale` are clipped to the plot.
 */
export function clipSvg(name: string, raw: number[], smoothed: number[] | null, abnormal: ArrayLike<number>, options: ClipSvgOptions = {}): string {
  const width = options.width ?? 820;
  const height = options.height ?? 160;
  const n = raw.length;
  // Below the plot: a strip marking the frames the threshold flags (smoothed score ≤ threshold).
  const pad = { l: 52, r: 10, t: 20, b: 32 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const { lo, hi } = options.scale ?? valueScale([...raw, ...(smoothed ?? [])]);
  const x = (i: number) => pad.l + (n > 1 ? (i / (n - 1)) * w : 0);
  const y = (v: number) => pad.t + (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * h;
  const line = (a: number[]) => a.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const shade: string[] = [];
  for (let i = 0; i < n; ) {
    if (!abnormal[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && abnormal[j]) j++;
    shade.push(`<rect class="gt" x="${x(i).toFixed(1)}" y="${pad.t}" width="${Math.max(1, x(j - 1) - x(i)).toFixed(1)}" height="${h}" fill="${COLORS.abnormal}"/>`);
    i = j;
  }
  const flagged: string[] = [];
  const sc = smoothed ?? raw;
  if (options.threshold !== undefined) {
    const t = options.threshold;
    for (let i = 0; i < n; ) {
      if (!(sc[i]! <= t)) {
        i++;
        continue;
      }
      let j = i;
      while (j < n && sc[j]! <= t) j++;
      flagged.push(`<rect class="flagged" x="${x(i).toFixed(1)}" y="${pad.t + h + 2}" width="${Math.max(1.5, x(j - 1) - x(i)).toFixed(1)}" height="5" fill="${COLORS.flagged}"/>`);
      i = j;
    }
  }
  const yTicks = niceTicks(lo, hi, 7)
    .map((v) => `<line x1="${pad.l - 4}" x2="${pad.l + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text class="ytick" x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v)}</text>`)
    .join('');
  const xTicks = niceTicks(0, Math.max(1, n - 1), 6)
    .map((f) => `<text class="xtick" x="${x(f).toFixed(1)}" y="${height - 6}" text-anchor="middle">${f}</text>`)
    .join('') + `<text x="${pad.l - 6}" y="${height - 6}" text-anchor="end" fill="#666">frame</text>`;
  const thr =
    options.threshold !== undefined && options.threshold >= lo && options.threshold <= hi
      ? `<line class="threshold" x1="${pad.l}" x2="${pad.l + w}" y1="${y(options.threshold).toFixed(1)}" y2="${y(options.threshold).toFixed(1)}" stroke="${COLORS.threshold}" stroke-dasharray="5 3"/>`
      : '';
  return `<svg class="clip" data-lo="${lo}" data-hi="${hi}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<text x="${pad.l}" y="13" font-weight="bold">${esc(name)}</text>
${yTicks}${shade.join('')}
<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>
<path class="raw" d="${line(raw)}" fill="none" stroke="${COLORS.raw}" stroke-width="1"/>
${smoothed ? `<path class="smoothed" d="${line(smoothed)}" fill="none" stroke="${COLORS.smoothed}" stroke-width="1.6"/>` : ''}
${thr}${flagged.join('')}${xTicks}
</svg>`;
}

/** The ROC curve of frame-level anomaly detection (positive = abnormal, score = −normality) with tick labels and the operating point. */
export function rocSvg(abnormal: number[], normality: number[], auc: number, op?: OperatingPoint, size = 340): string {
  const c = rocCurve(abnormal, normality.map((s) => -s));
  const pad = { l: 46, r: 14, t: 28, b: 40 };
  const s = size - pad.l - pad.r;
  const px = (f: number) => pad.l + f * s;
  const py = (t: number) => pad.t + (1 - t) * s;
  const pts = Array.from(c.fpr, (f, i) => `${px(f).toFixed(1)},${py(c.tpr[i]!).toFixed(1)}`).join(' ');
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${px(t)}" x2="${px(t)}" y1="${pad.t}" y2="${pad.t + s}" stroke="#eee"/><line x1="${pad.l}" x2="${pad.l + s}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>` +
        `<text class="xtick" x="${px(t)}" y="${pad.t + s + 14}" text-anchor="middle">${t}</text><text class="ytick" x="${pad.l - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`,
    )
    .join('');
  const opMark = op
    ? `<circle class="operating-point" cx="${px(op.fpr).toFixed(1)}" cy="${py(op.tpr).toFixed(1)}" r="4.5" fill="${COLORS.flagged}"/>` +
      `<text x="${(px(op.fpr) + 8).toFixed(1)}" y="${(py(op.tpr) + 14).toFixed(1)}" fill="${COLORS.flagged}">TPR ${op.tpr.toFixed(2)}, FPR ${op.fpr.toFixed(2)}</text>`
    : '';
  return `<svg class="roc" xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif" font-size="11">
<text x="${pad.l}" y="16" font-weight="bold">ROC, frame level — AUC ${auc.toFixed(4)}</text>
${grid}
<rect x="${pad.l}" y="${pad.t}" width="${s}" height="${s}" fill="none" stroke="#999"/>
<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#bbb" stroke-dasharray="4 3"/>
<polyline points="${pts}" fill="none" stroke="${COLORS.smoothed}" stroke-width="1.8"/>
${opMark}
<text x="${pad.l + s / 2}" y="${size - 6}" text-anchor="middle">false positive rate</text>
<text x="12" y="${pad.t + s / 2}" text-anchor="middle" transform="rotate(-90 12 ${pad.t + s / 2})">true positive rate</text>
</svg>`;
}

/** The legend of the clip charts. */
function legendSvg(perClip: boolean, shared: Scale & { clipped: number }): string {
  const item = (x: number, mark: string, label: string) => `<g transform="translate(${x},0)">${mark}<text x="26" y="14">${esc(label)}</text></g>`;
  return `<svg class="legend" xmlns="http://www.w3.org/2000/svg" width="820" height="22" font-family="sans-serif" font-size="12">
${item(0, `<line x1="0" x2="22" y1="10" y2="10" stroke="${COLORS.smoothed}" stroke-width="2"/>`, 'smoothed score')}
${item(140, `<line x1="0" x2="22" y1="10" y2="10" stroke="${COLORS.raw}" stroke-width="1.2"/>`, 'raw score')}
${item(250, `<rect x="0" y="3" width="22" height="14" fill="${COLORS.abnormal}"/>`, 'ground-truth anomaly')}
${item(420, `<line x1="0" x2="22" y1="10" y2="10" stroke="${COLORS.threshold}" stroke-dasharray="5 3"/>`, 'threshold')}
${item(520, `<rect x="0" y="7" width="22" height="5" fill="${COLORS.flagged}"/>`, 'flagged frames')}
<text x="820" y="14" fill="#666" text-anchor="end">${perClip ? 'each clip: its own y-scale' : 'one y-scale for all clips'}</text>
</svg>${!perClip && shared.clipped > 0 ? `\n<p class="note clipped">One y-scale for all clips, from the 1st percentile of the frame scores: ${shared.clipped} score${shared.clipped === 1 ? '' : 's'} below ${tickLabel(shared.lo)} ${shared.clipped === 1 ? 'is' : 'are'} drawn on the bottom edge (--per-clip-scale shows each clip's full range).</p>` : ''}`;
}

// Frames shown per segment in the small multiples.
const PANELS = 8;

/**
 * One segment as small multiples: {@link PANELS} frames evenly spread over it, each centred on the
 * person at one scale per segment, plus one panel animating every frame (SVG `<animate>`, 30 fps, looping). Bones follow OpenPose-18; a bone with
 * an undetected end (confidence 0) is left out.
 */
export function skeletonSvg(seg: SegmentSkeleton, panel = 84): string {
  const T = seg.frames.length;
  // Each frame is centred on its own bounding box (a person crossing the scene would otherwise
  // shrink to a dot), at one scale for the whole segment (the largest frame fills the panel), so
  // changes of size and posture stay comparable between panels.
  const boxes = seg.frames.map((f) => {
    const seen = f.filter((j) => j[2]! > 0 && Number.isFinite(j[0]) && Number.isFinite(j[1]));
    if (seen.length === 0) return { cx: 0, cy: 0, span: 0 };
    const xs = seen.map((j) => j[0]!);
    const ys = seen.map((j) => j[1]!);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, span: Math.max(x1 - x0, y1 - y0) };
  });
  const span = Math.max(1, ...boxes.map((b) => b.span));
  const inner = panel - 12;
  const at = (t: number) => ({ sx: (x: number) => panel / 2 - 1 + ((x - boxes[t]!.cx) / span) * inner, sy: (y: number) => panel / 2 - 1 + ((y - boxes[t]!.cy) / span) * inner });
  const bones = (f: number[][], t: number) => {
    const { sx, sy } = at(t);
    return OPENPOSE18.edges
      .map(([a, b]) => {
        const p = f[a]!;
        const q = f[b]!;
        // An undrawn bone is a zero-length move, so every frame's path has the same commands (animatable).
        if (!(p[2]! > 0 && q[2]! > 0)) return 'M0,0';
        return `M${sx(p[0]!).toFixed(1)},${sy(p[1]!).toFixed(1)}L${sx(q[0]!).toFixed(1)},${sy(q[1]!).toFixed(1)}`;
      })
      .join('');
  };
  const picks = Array.from({ length: Math.min(PANELS, T) }, (_, i) => Math.round((i * (T - 1)) / Math.max(1, Math.min(PANELS, T) - 1)));
  const panels = picks
    .map((t, i) => {
      const f = seg.frames[t]!;
      const { sx, sy } = at(t);
      const joints = f
        .filter((j) => j[2]! > 0)
        .map((j) => `<circle cx="${sx(j[0]!).toFixed(1)}" cy="${sy(j[1]!).toFixed(1)}" r="1.6"/>`)
        .join('');
      return `<g class="panel" transform="translate(${i * panel},0)"><rect width="${panel - 2}" height="${panel - 2}" fill="#fafafa" stroke="#ddd"/><path d="${bones(f, t)}" stroke="#333" stroke-width="1.4" fill="none"/>${joints}<text x="3" y="${panel - 5}" font-size="9" fill="#888">+${t}</text></g>`;
    })
    .join('');
  const ax = picks.length * panel + 12;
  const anim = `<g class="animated" transform="translate(${ax},0)"><rect width="${panel - 2}" height="${panel - 2}" fill="#fff4ec" stroke="${COLORS.flagged}"/><path d="${bones(seg.frames[0]!, 0)}" stroke="${COLORS.flagged}" stroke-width="1.8" fill="none"><animate attributeName="d" dur="${(T / 30).toFixed(2)}s" repeatCount="indefinite" calcMode="discrete" values="${seg.frames.map((f, t) => bones(f, t)).join(';')}"/></path><text x="3" y="${panel - 5}" font-size="9" fill="#888">playing</text></g>`;
  return `<svg class="skeleton" xmlns="http://www.w3.org/2000/svg" width="${ax + panel}" height="${panel}" font-family="sans-serif">${panels}${anim}</svg>`;
}

/**
 * A self-contained HTML page: summary, ROC curve with the operating point, per-clip frame scores
 * on one shared y-scale (or each its own with `perClipScale`) with the threshold and a legend, and
 * the most anomalous segments as skeletons.
 */
export function reportHtml(report: ReportData, gtAbnormal: Map<string, ArrayLike<number>>, options: ReportHtmlOptions): string {
  const abnormal: number[] = [];
  const scores: number[] = [];
  for (const c of report.clips) {
    const gt = gtAbnormal.get(c.name)!;
    const sc = c.frameScores.smoothed ?? c.frameScores.raw;
    for (let i = 0; i < sc.length; i++) {
      abnormal.push(gt[i] ? 1 : 0);
      scores.push(sc[i]!);
    }
  }
  const auc = report.auc.smoothed ?? report.auc.raw;
  const hasBoth = abnormal.includes(1) && abnormal.includes(0);
  const op = hasBoth ? operatingPoint(abnormal, scores) : undefined;
  const perClip = options.perClipScale ?? false;
  // One scale for every chart, so equal heights mean equal scores in every clip.
  const shared = sharedScale(report.clips, op?.threshold);
  const clips = report.clips
    .map((c) =>
      clipSvg(c.name, c.frameScores.raw, c.frameScores.smoothed, gtAbnormal.get(c.name)!, {
        // Per clip: its own range, widened to the threshold so the line is always drawn.
        scale: perClip ? valueScale([...c.frameScores.raw, ...(c.frameScores.smoothed ?? []), ...(op ? [op.threshold] : [])]) : { lo: shared.lo, hi: shared.hi },
        ...(op ? { threshold: op.threshold } : {}),
      }),
    )
    .join('\n');
  const segs = options.skeletons ?? [];
  const skeletons = segs
    .map(
      (s, i) =>
        `<div class="segment"><div class="caption">#${i + 1} clip <b>${esc(s.clip)}</b>, person ${esc(s.person)}, frames ${s.start}–${s.start + s.frames.length - 1}, score <b>${s.score.toFixed(3)}</b></div>${skeletonSvg(s)}</div>`,
    )
    .join('\n');
  const scoreWord = report.kind === 'stg-nf' ? 'normality = −NLL in bits/dim' : 'normality score';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(options.title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:860px;color:#222}td{padding:2px 10px}h2{margin-top:28px}.top{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.top table{flex:1 1 420px}.segment{margin:10px 0}.caption{font-size:13px;margin-bottom:3px}.note{color:#555;font-size:13px}svg{display:block}.explained{margin:14px 0}.decision{font-size:13px;margin:4px 0}.top-joints{font-size:12px;border-collapse:collapse}.top-joints th{text-align:left;padding:2px 10px;color:#555}</style></head><body>
<h1>${esc(options.title)}</h1>
<div class="top"><table>
<tr><td>frame AUC (smoothed)</td><td><b>${report.auc.smoothed?.toFixed(4) ?? 'n/a'}</b></td></tr>
<tr><td>frame AUC (raw)</td><td>${report.auc.raw.toFixed(4)}</td></tr>
<tr><td>clips / frames / abnormal frames</td><td>${report.clips.length} / ${report.nFrames} / ${report.nAbnormalFrames}</td></tr>
<tr><td>segments scored</td><td>${report.nSegments}</td></tr>
<tr><td>model</td><td>${esc(report.kind)} (${esc(report.model)})</td></tr>
${op ? `<tr><td>operating point</td><td>frames ≤ ${op.threshold.toFixed(3)} flagged: TPR ${op.tpr.toFixed(3)}, FPR ${op.fpr.toFixed(3)}</td></tr>` : ''}
${(options.extra ?? []).map((e) => `<tr><td colspan="2" class="note">${esc(e)}</td></tr>`).join('')}</table>
${hasBoth ? rocSvg(abnormal, scores, auc, op) : ''}</div>
<h2>Per-clip frame scores</h2>
<p class="note">${esc(scoreWord)}, higher = more normal. The threshold is the operating point of the ROC (largest TPR − FPR); the strip under each chart marks the frames it flags.</p>
${legendSvg(perClip, shared)}
${clips}
${explanationSection(report.clips, report.jointNames, report.thresholds, report.clipLevel)}
${segs.length ? `<h2>Most anomalous segments</h2>\n<p class="note">The ${segs.length} lowest-scoring segments (at most one per person and overlap), ${PANELS} frames each and, on the right, the segment playing at 30 fps. OpenPose-18 bones.</p>\n${skeletons}` : ''}
</body></html>
`;
}
