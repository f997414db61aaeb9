import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { resolveFolder } from '@skelflow/base/node';
import { initBackend } from '@skelflow/core';
import { registry } from '@skelflow/cli';
import { generateDemoDataset } from '@skelflow/pose';
import { writeDemoDataset } from '@skelflow/pose/node';
import { repoRoot } from '@skelflow/testing';

// Issue #14's acceptance test: `skelflow train` runs as a child process (tiny model, tiny data) and
// is killed with SIGKILL at seeded random moments — during training and inside the checkpoint and
// model saves, whose windows the test hook SKELFLOW_TEST_SAVE_PAUSE_MS widens. After every kill the
// checkpoint folder is one complete checkpoint (its model, config and state written together, and
// loadable), never a mixture; the next run resumes from it, and the chain of resumed runs ends with
// the weights of an uninterrupted run, bit for bit. SIGINT and SIGTERM checkpoint and exit 130 / 143
// with a message saying how to resume. A killed `--force` overwrite leaves the old model or the new.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-kill-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');
const ARGS = ['--poses', path.join(data, 'pose', 'train'), '--K', '2', '--seg-len', '12', '--epochs', '4', '--batch', '64', '--backend', 'wasm'];
const PAUSE_MS = 40;

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/**
 * Runs `skelflow train …` as a child process (TypeScript sources through tsx). `kill` decides when
 * to send which signal, given the stderr so far and the ms since training started.
 */
function train(args: string[], kill?: { signal: NodeJS.Signals; when: (stderr: string) => number | null }): Promise<Child> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('packages', 'cli', 'src', 'bin.ts'), 'train', ...args], {
      cwd: repoRoot,
      env: { ...process.env, SKELFLOW_TEST_SAVE_PAUSE_MS: String(PAUSE_MS), NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let armed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (kill && !armed) {
        const delay = kill.when(stderr);
        if (delay !== null) {
          armed = true;
          setTimeout(() => child.kill(kill.signal), delay);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - t0 }));
  });
}

const read = (f: string) => fs.readFileSync(f);
const json = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

/** The checkpoint in `out` is one complete set: loadable, and its config.json, state.json and model agree. */
async function checkCheckpoint(out: string): Promise<{ epoch: number; batch: number } | null> {
  const dir = await resolveFolder(path.join(out, 'checkpoint'));
  if (!fs.existsSync(dir)) return null;
  const names = fs.readdirSync(dir).sort();
  expect(names, dir).toEqual(['config.json', 'model.json', 'state.bin', 'state.json', 'weights.bin']);
  const state = json(path.join(dir, 'state.json'));
  const cfg = json(path.join(dir, 'config.json'));
  expect(cfg.training.checkpoint, 'config.json and state.json of one checkpoint').toEqual({ epoch: state.state.epoch, batch: state.state.batch });
  const model = await registry.get('stg-nf').load(dir); // throws on a partial or mixed folder
  model.dispose();
  return { epoch: state.state.epoch, batch: state.state.batch };
}

describe('training survives SIGKILL, SIGINT and SIGTERM (child processes)', () => {
  let ref: Buffer;
  beforeAll(async () => {
    await initBackend('wasm');
    writeDemoDataset(data, generateDemoDataset({ seed: 5, scale: 'tiny' }));
    const r = await train([...ARGS, '--out', path.join(root, 'ref')]);
    expect(r.code, r.stderr).toBe(0);
    ref = read(path.join(root, 'ref', 'weights.bin'));
  });

  it('killed at seeded random moments (SIGKILL in training and inside saves, SIGTERM, SIGINT): always one complete checkpoint; the resumed chain ends bit-identical', async () => {
    const rng = new Rng('kill-test');
    const out = path.join(root, 'killed');
    const seen: string[] = [];
    const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
    // Each round is a new process (fresh, or --resume when a checkpoint exists) stopped at a moment
    // keyed on its own progress, so every round advances about one epoch.
    const rounds: { signal: NodeJS.Signals; at: 'save' | 'train' }[] = [
      { signal: 'SIGKILL', at: 'save' },
      { signal: 'SIGKILL', at: 'train' },
      { signal: 'SIGTERM', at: 'train' },
      { signal: 'SIGKILL', at: 'save' },
      { signal: 'SIGINT', at: 'train' },
      { signal: 'SIGKILL', at: 'save' },
    ];
    let kills = 0;
    for (const { signal, at } of rounds) {
      const resume = fs.existsSync(path.join(out, 'checkpoint'));
      // 'save': at a random instant of the 1st or 2nd widened save window (after the new folder is
      // synced, or between the renames); 'train': a random time after the first checkpoint line.
      const nth = 1 + rng.int(2);
      const delay = at === 'save' ? rng.int(PAUSE_MS) : rng.int(400);
      const r = await train([...ARGS, '--out', out, ...(resume ? ['--resume'] : fs.existsSync(out) ? ['--force'] : [])], {
        signal,
        when: (s) => (at === 'save' ? (count(s, /save pause/g) >= nth ? delay : null) : count(s, /checkpoint: /g) >= 1 ? delay : null),
      });
      if (r.signal === 'SIGKILL') kills++;
      if (r.code !== 0 && signal !== 'SIGKILL' && r.signal === signal) {
        // The signal landed after training had ended and its handler was removed (a fast machine can
        // finish the last epoch within the random delay): the process dies by the signal's default
        // action, which is harmless only if the finished model was already saved in full.
        expect(fs.existsSync(path.join(out, 'model.json')), `${signal} after training: the model must be saved\n${r.stderr}`).toBe(true);
      } else if (r.code !== 0 && signal !== 'SIGKILL') {
        // A graceful stop: checkpoint written, exit 128 + signal number, one line saying how to resume.
        expect(r.code, r.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
        expect(r.stderr).toMatch(new RegExp(`skelflow train: training interrupted by ${signal} at epoch \\d+, batch \\d+; checkpoint saved .*; continue with: skelflow train .* --resume`));
      }
      const pos = await checkCheckpoint(out);
      seen.push(`${r.signal ?? r.code}@${pos ? `${pos.epoch}.${pos.batch}` : '-'}`);
      // A model in `out` is only ever the finished one: the uninterrupted run's weights exactly.
      if (fs.existsSync(path.join(out, 'model.json'))) expect(read(path.join(out, 'weights.bin')).equals(ref)).toBe(true);
    }
    console.log(`[kill test] ${kills} SIGKILLs; exit@checkpoint (epoch.batch) after each round: ${seen.join(' ')}`);
    expect(kills).toBeGreaterThanOrEqual(3);
    const resume = fs.existsSync(path.join(out, 'checkpoint'));
    const last = await train([...ARGS, '--out', out, ...(resume ? ['--resume'] : ['--force'])]);
    expect(last.code, last.stderr).toBe(0);
    expect(read(path.join(out, 'weights.bin')).equals(ref), 'final weights equal the uninterrupted run').toBe(true);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.killed.'))).toEqual([]); // no temporary folder left

    // A --force overwrite of that finished model, killed inside its final save: old or new, never a mixture.
    const old = { w: read(path.join(out, 'weights.bin')), m: read(path.join(out, 'model.json')), c: json(path.join(out, 'config.json')) };
    const epochs = Number(ARGS[ARGS.indexOf('--epochs') + 1]);
    const r = await train([...ARGS, '--seed', '77', '--out', out, '--force'], {
      signal: 'SIGKILL',
      // Saves: the first checkpoint, one per epoch, then the model's (its two pauses).
      when: (s) => (count(s, /save pause/g) >= 2 * (epochs + 1) + 1 ? rng.int(2 * PAUSE_MS) : null),
    });
    const dir = await resolveFolder(out);
    const w = read(path.join(dir, 'weights.bin'));
    const c = json(path.join(dir, 'config.json'));
    const isOld = w.equals(old.w) && c.training.seed === old.c.training.seed && read(path.join(dir, 'model.json')).equals(old.m);
    const isNew = !w.equals(old.w) && c.training.seed === 77;
    console.log(`[kill test] --force overwrite killed in its final save (${r.signal ?? r.code}): the folder holds the ${isOld ? 'old' : isNew ? 'new' : 'MIXED'} model`);
    expect(isOld || isNew, 'weights, model.json and config.json from one save').toBe(true);
    (await registry.get('stg-nf').load(dir)).dispose();
  });
});
