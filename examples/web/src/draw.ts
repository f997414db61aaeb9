// Canvas drawing: the skeletons of one frame, the normality curve with the threshold and the
// ground truth, and the ROC. Plain 2-D canvas, sized for the device pixel ratio.
import { COCO17 } from '@skelflow/pose';
import type { Analysis } from './analysis.js';

export const COLORS = { normal: '#2f9e44', flagged: '#e03131', curve: '#1c7ed6', raw: '#a5d8ff', gt: 'rgba(224, 49, 49, 0.13)', threshold: '#f08c00', axis: '#495057', grid: '#e9ecef' };

/** Sets the backing store to the CSS size × devicePixelRatio; returns a context in CSS pixels. */
export function prepare(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

/** The bounding box of every confident keypoint of the clip, padded. */
export function clipBounds(a: Analysis): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const t of a.clip.tracks.values()) {
    for (let i = 0; i < t.keypoints.length; i += 3) {
      if (t.keypoints[i + 2]! <= 0) continue;
      x0 = Math.min(x0, t.keypoints[i]!);
      x1 = Math.max(x1, t.keypoints[i]!);
      y0 = Math.min(y0, t.keypoints[i + 1]!);
      y1 = Math.max(y1, t.keypoints[i + 1]!);
    }
  }
  const px = (x1 - x0) * 0.05 + 10;
  const py = (y1 - y0) * 0.08 + 10;
  return { x0: x0 - px, y0: y0 - py, x1: x1 + px, y1: y1 + py };
}

/** Blue (most normal of the range) → yellow → red (least normal). */
export function normalityColor(v: number, lo: number, hi: number): string {
  const t = Math.min(1, Math.max(0, (hi - v) / (hi - lo || 1)));
  const hue = 220 - 220 * t;
  return `hsl(${hue.toFixed(0)}, 85%, 45%)`;
}

export function drawScene(canvas: HTMLCanvasElement, a: Analysis, frame: number, threshold: number, bounds: ReturnType<typeof clipBounds>): string[] {
  const { ctx, w, h } = prepare(canvas);
  ctx.fillStyle = '#f8f9fa';
  ctx.fillRect(0, 0, w, h);
  const s = Math.min(w / (bounds.x1 - bounds.x0), h / (bounds.y1 - bounds.y0));
  const ox = (w - s * (bounds.x1 - bounds.x0)) / 2 - s * bounds.x0;
  const oy = (h - s * (bounds.y1 - bounds.y0)) / 2 - s * bounds.y0;
  const flagged: string[] = [];
  const [jlo, jhi] = jointRange(a);
  for (const [id, t] of a.clip.tracks) {
    const k = t.frames.indexOf(frame);
    if (k < 0) continue;
    const score = a.personScores.get(id)?.[frame] ?? NaN;
    const isFlagged = Number.isFinite(score) && score < threshold;
    if (isFlagged) flagged.push(id);
    const color = isFlagged ? COLORS.flagged : Number.isFinite(score) ? COLORS.normal : '#adb5bd';
    const kp = t.keypoints.subarray(k * 51, k * 51 + 51);
    const X = (j: number) => ox + s * kp[j * 3]!;
    const Y = (j: number) => oy + s * kp[j * 3 + 1]!;
    const ok = (j: number) => kp[j * 3 + 2]! > 0.05;
    ctx.lineWidth = isFlagged ? 4 : 2.5;
    ctx.lineCap = 'round';
    ctx.strokeStyle = color;
    for (const [i, j] of COCO17.edges) {
      if (!ok(i) || !ok(j)) continue;
      ctx.beginPath();
      ctx.moveTo(X(i), Y(i));
      ctx.lineTo(X(j), Y(j));
      ctx.stroke();
    }
    const joints = a.jointScores?.get(id);
    for (let j = 0; j < 17; j++) {
      if (!ok(j)) continue;
      const js = joints?.[frame * 17 + j];
      ctx.fillStyle = js !== undefined && Number.isFinite(js) ? normalityColor(js, jlo, jhi) : color;
      ctx.beginPath();
      ctx.arc(X(j), Y(j), joints ? 4.5 : 3, 0, Math.PI * 2);
      ctx.fill();
    }
    // label above the head
    let top = Infinity, cx = 0, n = 0;
    for (let j = 0; j < 17; j++) if (ok(j)) { top = Math.min(top, Y(j)); cx += X(j); n++; }
    if (n) {
      ctx.font = `${isFlagged ? 'bold ' : ''}12px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.fillStyle = color;
      ctx.fillText(`#${id}${Number.isFinite(score) ? ` ${score.toFixed(2)}` : ''}`, cx / n, top - 8);
    }
  }
  ctx.textAlign = 'left';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = COLORS.axis;
  ctx.fillText(`frame ${frame} / ${a.nFrames - 1}`, 8, 16);
  // legend: what the colours mean
  const legend: [string, string][] = [[COLORS.normal, 'normal'], [COLORS.flagged, 'flagged (below threshold)'], ['#adb5bd', 'not scored (track too short)']];
  let lx = 8;
  for (const [c, label] of legend) {
    ctx.fillStyle = c;
    ctx.fillRect(lx, h - 16, 12, 8);
    ctx.fillStyle = COLORS.axis;
    ctx.fillText(label, lx + 16, h - 8);
    lx += ctx.measureText(label).width + 30;
  }
  if (a.jointScores) {
    ctx.fillStyle = COLORS.axis;
    ctx.fillText('joints: blue = normal … red = abnormal', lx, h - 8);
  }
  if (a.gt?.[frame]) {
    ctx.fillStyle = COLORS.flagged;
    ctx.fillText('ground truth: abnormal frame', 8, 32);
  }
  return flagged;
}

function jointRange(a: Analysis): [number, number] {
  if (!a.jointScores) return a.range;
  let lo = Infinity, hi = -Infinity;
  for (const arr of a.jointScores.values()) for (const v of arr) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return [lo, hi];
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/** The normality curve over the clip: smoothed (the one scored), raw, threshold, ground truth, cursor. */
export function drawCurve(canvas: HTMLCanvasElement, a: Analysis, frame: number, threshold: number): void {
  const { ctx, w, h } = prepare(canvas);
  const m = { l: 52, r: 12, t: 22, b: 26 };
  const all = [...a.frameRaw, ...a.frameSmoothed, threshold];
  let lo = Math.min(...all), hi = Math.max(...all);
  const pad = (hi - lo) * 0.05 || 1;
  lo -= pad;
  hi += pad;
  const X = (f: number) => m.l + ((w - m.l - m.r) * f) / Math.max(1, a.nFrames - 1);
  const Y = (v: number) => m.t + ((h - m.t - m.b) * (hi - v)) / (hi - lo);
  if (a.gt) {
    // One band per run of abnormal frames (per-frame rectangles leave hairline gaps).
    ctx.fillStyle = COLORS.gt;
    for (let f = 0; f < a.nFrames; f++) {
      if (!a.gt[f]) continue;
      let e = f;
      while (e + 1 < a.nFrames && a.gt[e + 1]) e++;
      ctx.fillRect(X(Math.max(0, f - 0.5)), m.t, X(Math.min(a.nFrames - 1, e + 0.5)) - X(Math.max(0, f - 0.5)), h - m.t - m.b);
      f = e;
    }
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = COLORS.axis;
  ctx.strokeStyle = COLORS.grid;
  ctx.textAlign = 'right';
  for (const v of niceTicks(lo, hi)) {
    ctx.beginPath();
    ctx.moveTo(m.l, Y(v));
    ctx.lineTo(w - m.r, Y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(Math.abs(v) < 10 ? 1 : 0), m.l - 6, Y(v) + 4);
  }
  ctx.textAlign = 'center';
  for (const f of niceTicks(0, a.nFrames - 1, 8)) ctx.fillText(String(f), X(f), h - 8);
  const line = (vals: Float64Array, color: string, width: number) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    vals.forEach((v, f) => (f ? ctx.lineTo(X(f), Y(v)) : ctx.moveTo(X(f), Y(v))));
    ctx.stroke();
  };
  line(a.frameRaw, COLORS.raw, 1);
  line(a.frameSmoothed, COLORS.curve, 2);
  ctx.setLineDash([6, 4]);
  ctx.strokeStyle = COLORS.threshold;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(m.l, Y(threshold));
  ctx.lineTo(w - m.r, Y(threshold));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = '#212529';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(X(frame), m.t);
  ctx.lineTo(X(frame), h - m.b);
  ctx.stroke();
  ctx.fillStyle = COLORS.curve;
  ctx.beginPath();
  ctx.arc(X(frame), Y(a.frameSmoothed[frame]!), 4, 0, Math.PI * 2);
  ctx.fill();
  // legend
  ctx.textAlign = 'left';
  const items: [string, string][] = [[COLORS.curve, 'normality (smoothed)'], [COLORS.raw, 'raw'], [COLORS.threshold, `threshold ${threshold.toFixed(2)}`]];
  if (a.gt) items.push(['rgba(224, 49, 49, 0.45)', 'abnormal (ground truth)']);
  let x = m.l;
  for (const [c, label] of items) {
    ctx.fillStyle = c;
    ctx.fillRect(x, 6, 14, 8);
    ctx.fillStyle = COLORS.axis;
    ctx.fillText(label, x + 18, 14);
    x += ctx.measureText(label).width + 34;
  }
  ctx.save();
  ctx.translate(12, (h - m.b + m.t) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('normality (−NLL, higher = normal)', 0, 0);
  ctx.restore();
}

/** The ROC (abnormal frames = positives) with its AUC and the threshold's operating point. */
export function drawRoc(canvas: HTMLCanvasElement, a: Analysis, threshold: number): void {
  const { ctx, w, h } = prepare(canvas);
  if (!a.roc || !a.gt || !a.auc) {
    ctx.fillStyle = COLORS.axis;
    ctx.font = '13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText('open a ground-truth mask (.npy or JSON array)', w / 2, h / 2 - 8);
    ctx.fillText('to see the ROC', w / 2, h / 2 + 10);
    return;
  }
  const m = { l: 48, r: 14, t: 14, b: 36 };
  const size = Math.min(w - m.l - m.r, h - m.t - m.b);
  const X = (v: number) => m.l + v * size;
  const Y = (v: number) => m.t + (1 - v) * size;
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.axis;
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    ctx.beginPath();
    ctx.moveTo(X(v), Y(0));
    ctx.lineTo(X(v), Y(1));
    ctx.moveTo(X(0), Y(v));
    ctx.lineTo(X(1), Y(v));
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.fillText(v.toFixed(2), X(v), Y(0) + 14);
    ctx.textAlign = 'right';
    ctx.fillText(v.toFixed(2), X(0) - 4, Y(v) + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText('false-positive rate', X(0.5), Y(0) + 28);
  ctx.setLineDash([4, 4]);
  ctx.strokeStyle = '#adb5bd';
  ctx.beginPath();
  ctx.moveTo(X(0), Y(0));
  ctx.lineTo(X(1), Y(1));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = COLORS.curve;
  ctx.lineWidth = 2;
  ctx.beginPath();
  a.roc.fpr.forEach((f, i) => (i ? ctx.lineTo(X(f), Y(a.roc!.tpr[i]!)) : ctx.moveTo(X(f), Y(a.roc!.tpr[i]!))));
  ctx.stroke();
  ctx.lineWidth = 1;
  // operating point: frames whose smoothed normality is below the threshold are called abnormal
  let tp = 0, fp = 0, p = 0, n = 0;
  a.frameSmoothed.forEach((v, f) => {
    const called = v < threshold;
    if (a.gt![f]) { p++; if (called) tp++; } else { n++; if (called) fp++; }
  });
  ctx.fillStyle = COLORS.threshold;
  ctx.beginPath();
  ctx.arc(X(fp / n), Y(tp / p), 5, 0, Math.PI * 2);
  ctx.fill();
  ctx.textAlign = 'left';
  ctx.fillStyle = COLORS.axis;
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(`AUC ${a.auc.smoothed.toFixed(3)} (raw ${a.auc.raw.toFixed(3)})`, X(0.3), Y(0.12));
  ctx.fillStyle = COLORS.threshold;
  ctx.fillText(`threshold: TPR ${(tp / p).toFixed(2)}, FPR ${(fp / n).toFixed(2)}`, X(0.3), Y(0.04));
  ctx.save();
  ctx.translate(10, Y(0.5));
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillStyle = COLORS.axis;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText('true-positive rate', 0, 0);
  ctx.restore();
}
