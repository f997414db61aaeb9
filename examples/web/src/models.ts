// Models from files, in the browser: a saved STG-NF folder's files (config.json, model.json,
// weights.bin), a released STG-NF checkpoint (the original torch.save .tar/.pth as it is, or its
// JSON export), or the bundled demo model. Each loader is keyed by what it recognises; add one here
// for a new format.
import type { AnomalyModel } from '@skelflow/model';
import { StgNfAnomalyModel, stgNfFromCheckpoint, stgNfFromSavedFiles } from '@skelflow/stg-nf';

/** A file the user picked (or one fetched), by name. */
export interface PickedFile {
  name: string;
  bytes: Uint8Array;
}

const text = (f: PickedFile) => new TextDecoder().decode(f.bytes);

/** One way to turn picked files into a model: `accepts` says whether these files are its format. */
export interface ModelLoader {
  name: string;
  accepts(files: PickedFile[]): boolean;
  load(files: PickedFile[]): Promise<AnomalyModel>;
}

const byName = (files: PickedFile[], n: string) => files.find((f) => f.name === n || f.name.endsWith(`/${n}`));

export const MODEL_LOADERS: ModelLoader[] = [
  {
    name: 'saved STG-NF folder (model.json + weights.bin)',
    accepts: (files) => !!byName(files, 'model.json') && !!byName(files, 'weights.bin'),
    load: async (files) => {
      const mj = byName(files, 'model.json')!;
      const wb = byName(files, 'weights.bin')!;
      const cfg = byName(files, 'config.json');
      const savedConfig = cfg ? (JSON.parse(text(cfg)) as { model?: unknown }) : null;
      return new StgNfAnomalyModel(stgNfFromSavedFiles(text(mj), wb.bytes, { source: mj.name, weightsSource: wb.name, savedConfig }));
    },
  },
  {
    // The original releases (`ShanghaiTech_85_9.tar`, any torch.save `.pth`: read by
    // @skelflow/torchfile, only the globals a checkpoint needs are allowed) or their JSON exports.
    name: 'released STG-NF checkpoint (.tar, .pth or .json)',
    accepts: (files) => files.length === 1 && /\.(tar|pth|pt|json)$/i.test(files[0]!.name),
    load: async ([f]) => new StgNfAnomalyModel(stgNfFromCheckpoint(f!.bytes, f!.name)),
  },
];

/** The model in `files`, by the first loader that accepts them. */
export async function modelFromFiles(files: PickedFile[]): Promise<AnomalyModel> {
  const loader = MODEL_LOADERS.find((l) => l.accepts(files));
  if (!loader) {
    throw new Error(`not a model: pick a saved folder's model.json and weights.bin, or a checkpoint .tar, .pth or .json (got ${files.map((f) => f.name).join(', ') || 'nothing'})`);
  }
  return loader.load(files);
}

/** Reads `File`s from an `<input type=file>` into {@link PickedFile}s. */
export async function readPicked(list: FileList | File[]): Promise<PickedFile[]> {
  return Promise.all(Array.from(list).map(async (f) => ({ name: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

/** Fetches files relative to `base` (the bundled demo). */
export async function fetchFiles(base: string, names: string[]): Promise<PickedFile[]> {
  return Promise.all(
    names.map(async (n) => {
      const r = await fetch(new URL(n, base));
      if (!r.ok) throw new Error(`${n}: HTTP ${r.status}`);
      return { name: n, bytes: new Uint8Array(await r.arrayBuffer()) };
    }),
  );
}
