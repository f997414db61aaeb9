// Node only (node:fs): reached through '@skelflow/base/node'.
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.js';

/** Options of {@link replaceFolder}. */
export interface ReplaceFolderOptions {
  /**
   * Replace a folder that exists and is not empty. Default `false`: such a folder is an
   * {@link InputError} (nothing the user has is overwritten without asking); an empty or missing
   * folder is always written.
   */
  overwrite?: boolean;
  /**
   * Entries of the existing folder carried over into the new one (hard links, copies across file
   * systems) unless the writer wrote an entry of that name, e.g. a training run's `checkpoint`.
   */
  keep?: readonly string[];
}

const TMP = 'tmp';
const PREV = 'prev';

/** `.<name>.<what>-<pid>-<random>`: a sibling of `dir` on the same file system (rename is atomic). */
function sibling(dir: string, what: string): string {
  const abs = path.resolve(dir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Siblings of `dir` left by {@link replaceFolder}: `{ tmp: [...], prev: [...] }`, with the pid that wrote each. */
async function leftovers(dir: string): Promise<{ tmp: { path: string; pid: number }[]; prev: { path: string; pid: number }[] }> {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  const base = path.basename(abs);
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  const out = { tmp: [] as { path: string; pid: number }[], prev: [] as { path: string; pid: number }[] };
  const re = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(${TMP}|${PREV})-(\\d+)-[a-z0-9]+$`);
  for (const n of names) {
    const m = re.exec(n);
    if (m) out[m[1] as 'tmp' | 'prev'].push({ path: path.join(parent, n), pid: Number(m[2]) });
  }
  return out;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The folder to read for `dir`: `dir` itself, or — when a replacement by {@link replaceFolder} was
 * interrupted between its two renames, so `dir` is missing — the previous complete folder, which
 * still sits beside it as `.<name>.prev-*`. Never a mixture of the two. Read-only.
 *
 * @example
 * ```ts
 * const dir = await resolveFolder('runs/stgnf'); // 'runs/stgnf', or its intact predecessor
 * ```
 */
export async function resolveFolder(dir: string): Promise<string> {
  if (await fs.stat(dir).then(() => true, () => false)) return dir;
  const { prev } = await leftovers(dir);
  return prev.length > 0 ? prev.sort((a, b) => a.path.localeCompare(b.path))[0]!.path : dir;
}

/**
 * Cleans up after an interrupted {@link replaceFolder} of `dir`: a missing `dir` gets its previous
 * folder back, and the temporary and previous folders of processes no longer running are removed.
 */
export async function recoverFolder(dir: string): Promise<void> {
  const { tmp, prev } = await leftovers(dir);
  const exists = await fs.stat(dir).then(() => true, () => false);
  const deadPrev = prev.filter((p) => !alive(p.pid));
  if (!exists && deadPrev.length > 0) {
    await fs.rename(deadPrev[0]!.path, dir);
    deadPrev.shift();
  }
  for (const p of [...tmp.filter((t) => !alive(t.pid)), ...deadPrev]) await fs.rm(p.path, { recursive: true, force: true });
}

/** fsyncs every file below `dir`, then the folders themselves (so the entries are durable too). */
async function syncTree(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await syncTree(p);
    else if (e.isFile()) await syncPath(p, 'r+');
  }
  await syncPath(dir, 'r');
}

async function syncPath(p: string, flags: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(p, flags);
    await fh.sync();
  } catch (e) {
    // Some file systems refuse fsync on folders (EISDIR/EINVAL/EPERM): the rename is still atomic.
    const code = (e as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EACCES'].includes(code ?? '')) throw e;
  } finally {
    await fh?.close();
  }
}

/** Hard-links (or copies) `from` into `to`, recursively. */
async function linkTree(from: string, to: string): Promise<void> {
  const st = await fs.stat(from);
  if (st.isDirectory()) {
    await fs.mkdir(to);
    for (const n of await fs.readdir(from)) await linkTree(path.join(from, n), path.join(to, n));
  } else {
    await fs.link(from, to).catch(() => fs.copyFile(from, to));
  }
}

/** The temporary folders of this process's replacements in progress (absolute paths). */
const ownTemporary = new Set<string>();

/**
 * Test hook: `SKELFLOW_TEST_SAVE_PAUSE_MS` widens the window between the steps of a replacement
 * (after the new folder is synced, between the two renames) and announces each pause on stderr,
 * so a test can kill the process inside a save.
 */
async function testPause(step: string): Promise<void> {
  const ms = Number(process.env.SKELFLOW_TEST_SAVE_PAUSE_MS ?? 0);
  if (!(ms > 0)) return;
  process.stderr.write(`[skelflow test: save pause ${step}]\n`);
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Replaces the folder `dir` as a set: `write` fills a fresh sibling folder, every file in it and
 * the folder are fsynced, then the old folder is renamed aside, the new one renamed into place, the
 * parent fsynced and the old one removed. A crash at any moment leaves `dir` either complete and
 * old or complete and new — never a mixture; in the one instant between the two renames `dir` is
 * missing and {@link resolveFolder} / {@link recoverFolder} find the old one beside it. Leftovers of
 * interrupted replacements are removed first. Node only.
 *
 * @param write - writes the new folder's files into the temporary folder it is given.
 * @throws InputError when `dir` exists, is not empty and `overwrite` is false, or is not a folder
 * @example
 * ```ts
 * await replaceFolder('runs/stgnf', async (tmp) => {
 *   await fs.writeFile(path.join(tmp, 'model.json'), json);
 *   await fs.writeFile(path.join(tmp, 'weights.bin'), bytes);
 * }, { overwrite: true });
 * ```
 */
export async function replaceFolder(dir: string, write: (tmp: string) => Promise<void>, options: ReplaceFolderOptions = {}): Promise<void> {
  // Nested inside another replacement of this process (a model saved into a checkpoint being
  // assembled): the outer one syncs and renames; write straight into its temporary folder.
  if (ownTemporary.has(path.resolve(dir))) {
    await write(dir);
    return;
  }
  await recoverFolder(dir);
  const st = await fs.stat(dir).catch(() => null);
  if (st && !st.isDirectory()) throw new InputError('exists and is not a folder', { source: dir });
  const entries = st ? await fs.readdir(dir) : [];
  if (st && !options.overwrite && entries.length > 0) {
    const model = entries.includes('config.json') || entries.includes('model.json');
    throw new InputError(`${model ? 'already holds a model' : 'already exists and is not empty'}; pass overwrite (--force) to replace it`, { source: dir });
  }
  await fs.mkdir(path.dirname(path.resolve(dir)), { recursive: true });
  const tmp = sibling(dir, TMP);
  await fs.mkdir(tmp);
  ownTemporary.add(tmp);
  try {
    await write(tmp);
    if (st) {
      const written = new Set(await fs.readdir(tmp));
      for (const k of options.keep ?? []) {
        if (written.has(k) || !(await fs.stat(path.join(dir, k)).then(() => true, () => false))) continue;
        await linkTree(path.join(dir, k), path.join(tmp, k));
      }
    }
    await syncTree(tmp);
    await testPause('synced');
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    ownTemporary.delete(tmp);
  }
  const parent = path.dirname(path.resolve(dir));
  if (st) {
    const prev = sibling(dir, PREV);
    await fs.rename(dir, prev);
    await testPause('between renames');
    await fs.rename(tmp, dir);
    await syncPath(parent, 'r');
    await fs.rm(prev, { recursive: true, force: true });
  } else {
    await fs.rename(tmp, dir);
    await syncPath(parent, 'r');
  }
}

/**
 * Writes one file atomically and durably: a temporary sibling, fsync, rename, fsync of the folder.
 * Node only.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncPath(path.dirname(path.resolve(file)), 'r');
}
