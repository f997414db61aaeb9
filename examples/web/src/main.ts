// The skelflow web app: pose tracks + a model in, skeletons playing in sync with the normality
// curve, flagged people, the ROC — all computed in this page. `?selftest` scores the bundled demo
// and writes the result into <pre id="selftest"> (the CI browser test reads it).
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend, type BackendName } from '@skelflow/core';
import type { AnomalyModel } from '@skelflow/model';
import { clipNameFromPoseFile, parsePoseTrackJson, readGroundTruth, type PoseClip } from '@skelflow/pose';
import { analyse, type Analysis } from './analysis.js';
import { clipBounds, drawCurve, drawRoc, drawScene } from './draw.js';
import { fetchFiles, modelFromFiles, readPicked, type PickedFile } from './models.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const DEMO_BASE = new URL('demo/', document.baseURI).href;
const FPS = 25;

const state: {
  model: AnomalyModel | null;
  modelName: string;
  clip: PoseClip | null;
  gt: Uint8Array | null;
  a: Analysis | null;
  frame: number;
  playing: boolean;
  threshold: number;
  bounds: ReturnType<typeof clipBounds> | null;
  backend: string;
} = { model: null, modelName: '', clip: null, gt: null, a: null, frame: 0, playing: false, threshold: 0, bounds: null, backend: '' };

function status(msg: string, error = false): void {
  const el = $('status');
  el.textContent = msg;
  el.className = error ? 'error' : '';
}

async function startBackend(): Promise<string> {
  const wanted = (params.get('backend') ?? 'auto') as BackendName;
  const wasmPaths = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };
  return initBackend(wanted, { wasmPaths });
}

function clipFromFile(f: PickedFile): PoseClip {
  const name = clipNameFromPoseFile(f.name.split('/').pop()!) ?? f.name;
  return { name, source: f.name, tracks: parsePoseTrackJson(new TextDecoder().decode(f.bytes), f.name) };
}

function gtFromFile(f: PickedFile): Uint8Array {
  if (f.name.toLowerCase().endsWith('.npy')) return readGroundTruth(f.bytes, f.name, 'shanghaitech');
  const arr = JSON.parse(new TextDecoder().decode(f.bytes)) as unknown;
  if (!Array.isArray(arr) || !arr.every((v) => v === 0 || v === 1)) throw new Error(`${f.name}: expected a JSON array of 0/1 (1 = abnormal frame)`);
  return Uint8Array.from(arr as number[]);
}

async function demoInputs(): Promise<{ model: AnomalyModel; clip: PoseClip; gt: Uint8Array }> {
  const [manifest] = await fetchFiles(DEMO_BASE, ['demo.json']);
  const demo = JSON.parse(new TextDecoder().decode(manifest!.bytes)) as { poses: string; gt: string; model: string };
  const [poses, gt, ...modelFiles] = await fetchFiles(DEMO_BASE, [demo.poses, demo.gt, `${demo.model}model.json`, `${demo.model}weights.bin`]);
  return { model: await modelFromFiles(modelFiles), clip: clipFromFile(poses!), gt: gtFromFile(gt!) };
}

function recompute(): void {
  if (!state.model || !state.clip) {
    render();
    return;
  }
  const t0 = performance.now();
  state.a = analyse(state.model, state.clip, state.gt);
  const ms = performance.now() - t0;
  state.threshold = state.a.threshold;
  state.frame = Math.min(state.frame, state.a.nFrames - 1);
  state.bounds = clipBounds(state.a);
  const slider = $<HTMLInputElement>('frame');
  slider.max = String(state.a.nFrames - 1);
  const th = $<HTMLInputElement>('threshold');
  const [lo, hi] = [Math.min(...state.a.frameSmoothed), Math.max(...state.a.frameSmoothed)];
  th.min = String(lo);
  th.max = String(hi);
  th.step = String((hi - lo) / 500 || 0.01);
  th.value = String(state.threshold);
  const auc = state.a.auc ? `, frame AUC ${state.a.auc.smoothed.toFixed(3)} (raw ${state.a.auc.raw.toFixed(3)})` : '';
  status(
    `${state.model.kind} (${state.modelName}) on ${state.clip.name}: ${state.a.segmentScores.length} segments of ${state.a.segLen} frames, ` +
      `${state.clip.tracks.size} people, ${state.a.nFrames} frames, scored in ${ms.toFixed(0)} ms on ${state.backend}${auc}` +
      (state.a.jointScores ? '' : ' — this model gives no per-joint scores (joints coloured by person)'),
  );
  render();
}

function render(): void {
  const a = state.a;
  if (!a || !state.bounds) return;
  const flagged = drawScene($('scene'), a, state.frame, state.threshold, state.bounds);
  drawCurve($('curve'), a, state.frame, state.threshold);
  drawRoc($('roc'), a, state.threshold);
  $<HTMLInputElement>('frame').value = String(state.frame);
  $('flagged').textContent = flagged.length ? `flagged: ${flagged.map((id) => `#${id}`).join(', ')}` : 'no one flagged';
  $('flagged').className = flagged.length ? 'flag' : '';
}

let last = 0;
function tick(t: number): void {
  if (state.playing && state.a) {
    if (t - last >= 1000 / FPS) {
      last = t;
      state.frame = (state.frame + 1) % state.a.nFrames;
      render();
    }
  }
  requestAnimationFrame(tick);
}

async function guarded(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    status(`${what} …`);
    await fn();
  } catch (e) {
    status(`${what}: ${(e as Error).message}`, true);
    console.error(e);
  }
}

function wire(): void {
  $('demo').addEventListener('click', () =>
    guarded('loading the demo', async () => {
      const d = await demoInputs();
      state.model?.dispose();
      Object.assign(state, { model: d.model, modelName: 'bundled demo model', clip: d.clip, gt: d.gt, frame: 0 });
      recompute();
    }),
  );
  $<HTMLInputElement>('poses').addEventListener('change', (e) =>
    guarded('reading the poses', async () => {
      const [f] = await readPicked((e.target as HTMLInputElement).files!);
      state.clip = clipFromFile(f!);
      state.gt = null;
      recompute();
    }),
  );
  $<HTMLInputElement>('gt').addEventListener('change', (e) =>
    guarded('reading the mask', async () => {
      const [f] = await readPicked((e.target as HTMLInputElement).files!);
      state.gt = gtFromFile(f!);
      recompute();
    }),
  );
  for (const id of ['model', 'modeldir']) {
    $<HTMLInputElement>(id).addEventListener('change', (e) =>
      guarded('loading the model', async () => {
        const files = await readPicked((e.target as HTMLInputElement).files!);
        const model = await modelFromFiles(files);
        state.model?.dispose();
        state.model = model;
        state.modelName = files.map((f) => f.name).join(' + ');
        recompute();
      }),
    );
  }
  $('play').addEventListener('click', () => {
    state.playing = !state.playing;
    $('play').textContent = state.playing ? '❚❚ pause' : '▶ play';
  });
  $<HTMLInputElement>('frame').addEventListener('input', (e) => {
    state.frame = Number((e.target as HTMLInputElement).value);
    render();
  });
  $<HTMLInputElement>('threshold').addEventListener('input', (e) => {
    state.threshold = Number((e.target as HTMLInputElement).value);
    render();
  });
  $('curve').addEventListener('click', (e) => {
    if (!state.a) return;
    const r = (e.target as HTMLCanvasElement).getBoundingClientRect();
    const f = Math.round(((e.clientX - r.left - 52) / (r.width - 64)) * (state.a.nFrames - 1));
    state.frame = Math.max(0, Math.min(state.a.nFrames - 1, f));
    render();
  });
  window.addEventListener('resize', render);
}

async function main(): Promise<void> {
  wire();
  state.backend = await startBackend();
  $('backend').textContent = state.backend;
  if (params.has('selftest')) {
    const out = $('selftest');
    try {
      const d = await demoInputs();
      const a = analyse(d.model, d.clip, d.gt);
      Object.assign(state, { model: d.model, modelName: 'bundled demo model', clip: d.clip, gt: d.gt, a });
      recompute();
      out.textContent = JSON.stringify({ segments: a.segmentScores.length, scores: Array.from(a.segmentScores.slice(0, 10)), auc: a.auc?.smoothed ?? null, backend: state.backend });
    } catch (e) {
      out.textContent = JSON.stringify({ error: (e as Error).message });
    }
    document.title = 'skelflow: selftest done';
    return;
  }
  if (params.has('demo')) $('demo').click();
  if (params.has('frame')) state.frame = Number(params.get('frame'));
  if (params.has('play')) $('play').click();
  requestAnimationFrame(tick);
}

void main().catch((e) => status(`starting: ${(e as Error).message}`, true));
