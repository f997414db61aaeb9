// The demo's data cache, written so that an interrupted generation can never be read as a
// complete data set: the files go to a sibling temporary folder, a manifest of every file and its
// size is written last, the folder is verified against it and only then renamed into place.
// (The cache used to write its marker first: after a crash mid-generation the next `demo`
// evaluated 20 of 40 clips, or trained on 13,318 of 23,328 segments, and exited 0.)
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import type { DemoDataset } from '@skelflow/pose';
import { DEMO_MARKER, demoDatasetFiles, writeDemoDataset } from '@skelflow/pose/node';

/** Written last into a complete cache folder: every file's relative path and size in bytes. */
export const DEMO_CACHE_MANIFEST = '.skelflow-demo-complete.json';

interface Manifest {
  files: Record<string, number>;
}

/** Why `dir` is not a complete cache (`undefined` when it is): manifest missing, or a file missing or of another size. */
export function demoCacheProblem(dir: string): string | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, DEMO_CACHE_MANIFEST), 'utf8')) as Manifest;
  } catch {
    return `no ${DEMO_CACHE_MANIFEST} (an interrupted or older generation)`;
  }
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.files !== 'object' || manifest.files === null) return `${DEMO_CACHE_MANIFEST} is malformed`;
  const entries = Object.entries(manifest.files);
  if (entries.length === 0) return `${DEMO_CACHE_MANIFEST} lists no file`;
  for (const [rel, size] of entries) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(dir, rel));
    } catch {
      return `${rel} is missing`;
    }
    if (!st.isFile() || st.size !== size) return `${rel} has ${st.size} bytes, the manifest says ${size}`;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary folders of earlier generations of `dir` whose process is gone. */
function removeStaleTemps(dir: string): void {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.tmp-`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/** What {@link prepareDemoCache} did. */
export type DemoCacheOutcome = { kind: 'cached' } | { kind: 'generated'; replaced: string | undefined; dataset: DemoDataset };

/**
 * Makes `dir` a complete demo data cache: uses it if its manifest verifies; otherwise generates the
 * data (`generate`), writes it with `write` into `<dir>.tmp-<pid>-<n>`, writes the manifest last,
 * verifies the folder against it and renames it to `dir`. An incomplete earlier cache (it carries
 * the demo marker but no verified manifest) is replaced; a folder that is not a demo cache is
 * never touched.
 *
 * @param dir - the cache folder
 * @param generate - makes the data set (only called when needed)
 * @param write - writes a data set to a folder (default `writeDemoDataset`; tests pass one that fails midway)
 * @throws InputError naming `dir` when it exists but is not a demo cache, or when the data written does not verify
 *
 * @example
 * ```ts
 * const r = prepareDemoCache(path.join(cache, 'demo-v2-tiny-seed7'), () => generateDemoDataset({ seed: 7, scale: 'tiny' }));
 * ```
 */
export function prepareDemoCache(
  dir: string,
  generate: () => DemoDataset,
  write: (dir: string, ds: DemoDataset) => unknown = writeDemoDataset,
): DemoCacheOutcome {
  if (fs.existsSync(dir) && demoCacheProblem(dir) === undefined) return { kind: 'cached' };
  let replaced: string | undefined;
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory() || !fs.existsSync(path.join(dir, DEMO_MARKER))) {
      throw new InputError(`exists but is not a skelflow demo cache (no ${DEMO_MARKER}); move it away or set SKELFLOW_CACHE`, { source: dir });
    }
    replaced = demoCacheProblem(dir);
  }
  removeStaleTemps(dir);
  const ds = generate();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    write(tmp, ds);
    const files: Record<string, number> = {};
    for (const f of demoDatasetFiles(ds)) files[f.path] = typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length;
    files[DEMO_MARKER] = fs.statSync(path.join(tmp, DEMO_MARKER)).size;
    fs.writeFileSync(path.join(tmp, DEMO_CACHE_MANIFEST), JSON.stringify({ files } satisfies Manifest) + '\n');
    const problem = demoCacheProblem(tmp);
    if (problem !== undefined) throw new InputError(`the generated data does not verify: ${problem}`, { source: tmp });
    if (replaced !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // Another process finished the same cache first: use theirs if it verifies.
      if (!fs.existsSync(dir) || demoCacheProblem(dir) !== undefined) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { kind: 'generated', replaced, dataset: ds };
}
