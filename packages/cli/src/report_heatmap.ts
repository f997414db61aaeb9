import type { DecisionThresholds } from '@skelflow/model';
import { niceTicks } from './chart_ticks.js';
import type { ClipExplanationReport, ClipLevelMetrics } from './report_explain.js';

// The HTML report's part for models that explain their scores (NFlowAD): per clip a frames × joints
// heat map of S_{j,t}, min–max normalised over the clip as the paper's Table 3 (so the colours show
// which joints dominate, not how anomalous the clip is: the S_t band above and the decisions below
// say that), with the frames the frame level flags marked, and the joints behind the alarms.

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** YlOrRd (ColorBrewer), low → high. */
const STOPS: readonly [number, number, number][] = [
  [255, 255, 204],
  [254, 217, 118],
  [253, 141, 60],
  [227, 26, 28],
  [128, 0, 38],
];
/** Colour levels: adjacent cells of one level merge into one rectangle (the page stays small). */
const LEVELS = 32;
const FLAG = '#d9480f';
const NONE = '#e9ecef';

/**
 * The heat map as an 8-bit palette BMP (base64), one pixel per frame (x) and joint (y, top-down):
 * palette entries 0 … LEVELS − 1 are the colour levels ({@link heatColor} at each level's centre),
 * entry LEVELS the grey of frames without a person. BMP needs no compression, so no zlib: the page
 * stays a plain string.
 */
export function heatmapBmp(rows: readonly (readonly number[] | null)[], nJoints: number, level: (v: number) => number): string {
  const W = Math.max(1, rows.length);
  const H = Math.max(1, nJoints);
  const nColors = LEVELS + 1;
  const stride = (W + 3) & ~3;
  const offset = 14 + 40 + 4 * nColors;
  const buf = Buffer.alloc(offset + stride * H);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(W, 18);
  buf.writeInt32LE(-H, 22); // negative height: rows top-down, joint 0 first
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(8, 28);
  buf.writeUInt32LE(stride * H, 34);
  buf.writeUInt32LE(2835, 38);
  buf.writeUInt32LE(2835, 42);
  buf.writeUInt32LE(nColors, 46);
  for (let k = 0; k < nColors; k++) {
    const hex = k < LEVELS ? heatColor((k + 0.5) / LEVELS) : NONE;
    const o = 54 + 4 * k;
    buf[o] = parseInt(hex.slice(5, 7), 16);
    buf[o + 1] = parseInt(hex.slice(3, 5), 16);
    buf[o + 2] = parseInt(hex.slice(1, 3), 16);
  }
  for (let j = 0; j < H; j++) {
    for (let f = 0; f < rows.length; f++) {
      const row = rows[f];
      buf[offset + j * stride + f] = row ? level(row[j]!) : LEVELS;
    }
  }
  return buf.toString('base64');
}

/** The colour of u in [0, 1] on {@link STOPS}. */
export function heatColor(u: number): string {
  const x = Math.min(1, Math.max(0, u)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const t = x - i;
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * t));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** Runs [start, end) of consecutive frames in a sorted list. */
function runs(frames: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const f of frames) {
    const last = out[out.length - 1];
    if (last && last[1] === f) last[1] = f + 1;
    else out.push([f, f + 1]);
  }
  return out;
}

/**
 * One clip's heat map: joints as rows (layout names on the axis), frames as columns, S_{j,t}
 * min–max normalised over the clip (grey: no person scored), with a band of S_t and τ_frame above,
 * the flagged frames as a strip over the map and a colour bar giving the range in S units.
 */
export function heatmapSvg(name: string, e: ClipExplanationReport, jointNames: readonly string[], thresholds: DecisionThresholds | null, width = 820): string {
  const F = e.jointScores.length;
  const V = jointNames.length;
  const rowH = Math.max(4, Math.min(11, Math.floor(220 / Math.max(1, V))));
  const pad = { l: 104, r: 64, t: 20 };
  const band = 36;
  const strip = 7;
  const mapTop = pad.t + band + strip + 3;
  const h = rowH * V;
  const w = width - pad.l - pad.r;
  const height = mapTop + h + 26;
  const cw = w / Math.max(1, F);
  const x = (f: number) => pad.l + f * cw;
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of e.jointScores) {
    if (!row) continue;
    for (const v of row) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const image = heatmapBmp(e.jointScores, V, (v) => Math.min(LEVELS - 1, Math.floor(((v - lo) / span) * LEVELS)));
  // One pixel per (frame, joint), scaled up without smoothing: a few kB per clip where one SVG
  // rectangle per cell made a 60-clip report 6.6 MB.
  const cells = `<image class="cells" x="${pad.l}" y="${mapTop}" width="${w}" height="${h}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/bmp;base64,${image}"/>`;
  const fontSize = Math.min(10, rowH);
  const names = jointNames
    .map((n, j) => `<text x="${pad.l - 4}" y="${(mapTop + j * rowH + rowH / 2 + fontSize * 0.35).toFixed(1)}" text-anchor="end" font-size="${fontSize}">${esc(n)}</text>`)
    .join('');
  // S_t band: the curve on the clip's own range, with τ_frame when it lies inside.
  const s = e.frameScores;
  const finite = s.filter((v): v is number => v !== null);
  const sLo = Math.min(...finite, thresholds?.frame ?? Infinity);
  const sHi = Math.max(...finite, thresholds?.frame ?? -Infinity);
  const sy = (v: number) => pad.t + band - 3 - ((v - sLo) / (sHi > sLo ? sHi - sLo : 1)) * (band - 6);
  let path = '';
  s.forEach((v, f) => {
    if (v === null) return;
    path += `${path === '' || s[f - 1] === null ? 'M' : 'L'}${(x(f) + cw / 2).toFixed(1)},${sy(v).toFixed(1)}`;
  });
  const tau = thresholds && finite.length > 0 ? `<line x1="${pad.l}" x2="${pad.l + w}" y1="${sy(thresholds.frame).toFixed(1)}" y2="${sy(thresholds.frame).toFixed(1)}" stroke="${FLAG}" stroke-dasharray="4 3"/><text x="${pad.l + w + 4}" y="${(sy(thresholds.frame) + 3).toFixed(1)}" font-size="9" fill="${FLAG}">τ_frame</text>` : '';
  const flagged = runs(e.decisions?.flaggedFrames ?? [])
    .map(([a, b]) => `<rect class="flagged-frame" x="${x(a).toFixed(2)}" y="${pad.t + band + 1}" width="${Math.max(1.5, x(b) - x(a)).toFixed(2)}" height="${strip}" fill="${FLAG}"/>`)
    .join('');
  const ticks = niceTicks(0, Math.max(1, F - 1), 6)
    .filter((f) => Number.isInteger(f) && f < F)
    .map((f) => `<text x="${(x(f) + cw / 2).toFixed(1)}" y="${mapTop + h + 13}" text-anchor="middle" font-size="10">${f}</text>`)
    .join('');
  // Colour bar on the right, in S_{j,t} units of this clip.
  const cb = { x: pad.l + w + 12, w: 10 };
  const bar = Array.from({ length: LEVELS }, (_, k) => {
    const y0 = mapTop + h - ((k + 1) * h) / LEVELS;
    return `<rect x="${cb.x}" y="${y0.toFixed(2)}" width="${cb.w}" height="${(h / LEVELS + 0.3).toFixed(2)}" fill="${heatColor((k + 0.5) / LEVELS)}"/>`;
  }).join('');
  const barText = Number.isFinite(lo)
    ? `<text x="${cb.x + cb.w + 3}" y="${mapTop + 8}" font-size="9">${fmt(hi)}</text><text x="${cb.x + cb.w + 3}" y="${mapTop + h}" font-size="9">${fmt(lo)}</text>`
    : '';
  return `<svg class="heatmap" data-clip="${esc(name)}" data-lo="${lo}" data-hi="${hi}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<text x="${pad.l}" y="13" font-weight="bold">${esc(name)}</text>
<text x="${pad.l - 4}" y="${pad.t + band / 2 + 3}" text-anchor="end" font-size="10" fill="#555">S_t</text>
<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${band}" fill="#fafafa" stroke="#ddd"/>
<path d="${path}" fill="none" stroke="#333" stroke-width="1.2"/>${tau}
${flagged}
${cells}
<rect x="${pad.l}" y="${mapTop}" width="${w}" height="${h}" fill="none" stroke="#999"/>
${names}${ticks}<text x="${pad.l - 4}" y="${mapTop + h + 13}" text-anchor="end" font-size="10" fill="#666">frame</text>
${bar}<rect x="${cb.x}" y="${mapTop}" width="${cb.w}" height="${h}" fill="none" stroke="#999"/>${barText}
</svg>`;
}

/** The legend of the heat maps. */
function heatLegend(): string {
  const stops = Array.from({ length: 5 }, (_, k) => `<stop offset="${k / 4}" stop-color="${heatColor(k / 4)}"/>`).join('');
  return `<svg class="heat-legend" xmlns="http://www.w3.org/2000/svg" width="820" height="22" font-family="sans-serif" font-size="12">
<defs><linearGradient id="heat-grad">${stops}</linearGradient></defs>
<rect x="0" y="4" width="80" height="12" fill="url(#heat-grad)" stroke="#999"/><text x="86" y="14">S_{j,t}, min → max of the clip</text>
<rect x="290" y="4" width="22" height="12" fill="${NONE}" stroke="#999"/><text x="318" y="14">no person scored</text>
<rect x="440" y="7" width="22" height="7" fill="${FLAG}"/><text x="468" y="14">flagged frames (S_t &gt; τ_frame)</text>
<line x1="660" x2="682" y1="10" y2="10" stroke="#333" stroke-width="1.2"/><text x="688" y="14">S_t</text>
</svg>`;
}

/**
 * The joints that most often explain a clip's flagged frames: each frame's top-k joints get k, k − 1,
 * …, 1 points (a Borda count, so being first counts more than being third); most points first, ties
 * to the lower joint index.
 */
export function frequentJoints(e: ClipExplanationReport, count = 3): string[] {
  const points = new Map<number, { joint: string; points: number }>();
  for (const f of e.decisions?.topJoints ?? []) {
    f.top.forEach((j, rank) => {
      const p = points.get(j.index) ?? { joint: j.joint, points: 0 };
      p.points += f.top.length - rank;
      points.set(j.index, p);
    });
  }
  return [...points.entries()].sort((a, b) => b[1].points - a[1].points || a[0] - b[0]).slice(0, count).map(([, p]) => p.joint);
}

/** What a clip's decisions say, in one paragraph, and its most anomalous flagged frames with their top-3 joints. */
function decisionsHtml(e: ClipExplanationReport): string {
  const d = e.decisions;
  if (!d) return '<p class="note">No decision thresholds: matrix only.</p>';
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const verdict = d.anomalous ? `<b style="color:${FLAG}">anomalous</b> (${d.reasons.join(', ')})` : '<b>normal</b>';
  const seq = d.sequences.map((q) => `${esc(q.person)} ${q.anomalous ? 'anomalous' : 'normal'} (mean ${fmt(q.meanScore)})`).join('; ');
  const top = [...d.topJoints].sort((a, b) => b.score - a.score || a.frame - b.frame).slice(0, 5);
  const freq = frequentJoints(e);
  const rows = top
    .map((f) => `<tr><td>${f.frame}</td><td>${fmt(f.score)}</td><td>${esc(f.person)}</td><td>${f.top.map((j) => `${esc(j.joint)} ${fmt(j.score)}`).join(', ')}</td></tr>`)
    .join('');
  return `<p class="decision">Clip ${verdict}: ${d.flaggedFrames.length} of ${d.nScoredFrames} frames flagged (S_frac ${pct(d.frameFraction)}), max S_t ${d.maxScore === null ? 'n/a' : fmt(d.maxScore)}, mean ${d.meanScore === null ? 'n/a' : fmt(d.meanScore)}; ${d.flaggedJoints.reduce((a, r) => a + r.joints.length, 0)} joint alarms. Person tracks: ${seq || 'none'}.${
    freq.length ? ` Joints behind the flagged frames (points 3/2/1 for top-1/2/3): <b>${freq.map(esc).join(', ')}</b>.` : ''
  }</p>${rows ? `<table class="top-joints"><tr><th>frame</th><th>S_t</th><th>person</th><th>top-3 joints (S_{j,t})</th></tr>${rows}</table>` : ''}`;
}

/**
 * The report section of an explaining model: the thresholds, clip-level metrics, a legend and per
 * clip its heat map and decisions. Empty when the report has no explanation.
 */
export function explanationSection(
  clips: readonly { name: string; explanation?: ClipExplanationReport }[],
  jointNames: readonly string[] | undefined,
  thresholds: DecisionThresholds | null | undefined,
  clipLevel: ClipLevelMetrics | null | undefined,
): string {
  if (!jointNames || !clips.some((c) => c.explanation)) return '';
  const th = thresholds
    ? `τ_joint ${fmt(thresholds.joint)}, τ_frame ${fmt(thresholds.frame)}, τ_seq ${fmt(thresholds.sequence)}, τ_frac ${(100 * thresholds.clipFraction).toFixed(0)} %`
    : 'none';
  const f3 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
  const cl = clipLevel
    ? `<p class="note">Over ${clipLevel.nClips} clips (${clipLevel.nAnomalous} with abnormal frames), ${clipLevel.nFlagged} flagged: clip-level precision ${f3(clipLevel.precision)}, recall ${f3(clipLevel.recall)}, AUC ${f3(clipLevel.auc)} (clip score max_t S_t).</p>`
    : '';
  const maps = clips
    .filter((c) => c.explanation)
    .map((c) => `<div class="explained">${heatmapSvg(c.name, c.explanation!, jointNames, thresholds ?? null)}${decisionsHtml(c.explanation!)}</div>`)
    .join('\n');
  return `<h2>Joints behind the alarms</h2>
<p class="note">Anomaly S (higher = more anomalous) per frame and joint, for the most anomalous person in each frame (mean over the windows covering the frame). Thresholds: ${th}. A clip is anomalous when max_t S_t &gt; τ_frame, mean_t S_t &gt; τ_seq or S_frac ≥ τ_frac. Colours are min–max normalised per clip.</p>
${cl}
${heatLegend()}
${maps}`;
}
