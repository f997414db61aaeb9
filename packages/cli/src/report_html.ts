import { rocCurve } from '@skelflow/metrics';
import type { EvalReport } from './commands/eval.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A line chart of one clip's smoothed (and raw) frame scores with the abnormal frames shaded. */
export function clipSvg(name: string, raw: number[], smoothed: number[] | null, abnormal: ArrayLike<number>, width = 720, height = 160): string {
  const n = raw.length;
  const pad = { l: 44, r: 8, t: 18, b: 22 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const vals = [...raw, ...(smoothed ?? [])].filter(Number.isFinite);
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const x = (i: number) => pad.l + (n > 1 ? (i / (n - 1)) * w : 0);
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * h;
  const path = (a: number[]) => a.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const shade: string[] = [];
  for (let i = 0; i < n; ) {
    if (!abnormal[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && abnormal[j]) j++;
    shade.push(`<rect x="${x(i).toFixed(1)}" y="${pad.t}" width="${Math.max(1, x(j - 1) - x(i)).toFixed(1)}" height="${h}" fill="#f4b6b6"/>`);
    i = j;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<text x="${pad.l}" y="12">${esc(name)} — normality score per frame (higher = more normal); red = ground-truth anomaly</text>
${shade.join('')}
<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>
<path d="${path(raw)}" fill="none" stroke="#9bb7d4" stroke-width="1"/>
${smoothed ? `<path d="${path(smoothed)}" fill="none" stroke="#1f4e99" stroke-width="1.6"/>` : ''}
<text x="4" y="${pad.t + 8}">${hi.toFixed(2)}</text><text x="4" y="${pad.t + h}">${lo.toFixed(2)}</text>
<text x="${pad.l}" y="${height - 6}">frame 0</text><text x="${pad.l + w - 50}" y="${height - 6}">frame ${n - 1}</text>
</svg>`;
}

/** The ROC curve of frame-level anomaly detection (positive = abnormal, score = −normality). */
export function rocSvg(abnormal: number[], normality: number[], auc: number, size = 320): string {
  const c = rocCurve(abnormal, normality.map((s) => -s));
  const pad = 36;
  const s = size - 2 * pad;
  const pts = Array.from(c.fpr, (f, i) => `${(pad + f * s).toFixed(1)},${(pad + (1 - c.tpr[i]!) * s).toFixed(1)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif" font-size="11">
<text x="${pad}" y="20">ROC, frame level — AUC ${auc.toFixed(4)}</text>
<rect x="${pad}" y="${pad}" width="${s}" height="${s}" fill="none" stroke="#999"/>
<line x1="${pad}" y1="${pad + s}" x2="${pad + s}" y2="${pad}" stroke="#ccc" stroke-dasharray="4 3"/>
<polyline points="${pts}" fill="none" stroke="#1f4e99" stroke-width="1.8"/>
<text x="${pad + s / 2 - 40}" y="${size - 8}">false positive rate</text>
<text x="4" y="${pad + s / 2}" transform="rotate(-90 10 ${pad + s / 2})">true positive rate</text>
</svg>`;
}

/** A self-contained HTML page: summary, ROC curve and one chart per clip. */
export function reportHtml(report: EvalReport, gtAbnormal: Map<string, ArrayLike<number>>, title: string, extra: string[] = []): string {
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
  const clips = report.clips.map((c) => clipSvg(c.name, c.frameScores.raw, c.frameScores.smoothed, gtAbnormal.get(c.name)!)).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:900px}td{padding:2px 10px}</style></head><body>
<h1>${esc(title)}</h1>
<table><tr><td>frame AUC (smoothed)</td><td><b>${report.auc.smoothed?.toFixed(4) ?? 'n/a'}</b></td></tr>
<tr><td>frame AUC (raw)</td><td>${report.auc.raw.toFixed(4)}</td></tr>
<tr><td>clips / frames / abnormal frames</td><td>${report.clips.length} / ${report.nFrames} / ${report.nAbnormalFrames}</td></tr>
<tr><td>segments scored</td><td>${report.nSegments}</td></tr>
${extra.map((e) => `<tr><td colspan="2">${esc(e)}</td></tr>`).join('')}</table>
${rocSvg(abnormal, scores, auc)}
<h2>Per-clip frame scores</h2>
${clips}
</body></html>
`;
}
