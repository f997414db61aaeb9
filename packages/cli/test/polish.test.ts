import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { runCli } from '@skelflow/cli';
import { repoRoot } from '@skelflow/testing';
import { displayPath, relativePath } from '../src/paths.js';
import { EpochMeanLoss, formatDuration, ProgressBar } from '../src/progress.js';
import { acceptedFlags } from '../src/usage_error.js';
import { capture, expectUsageFailure, runOk } from './helpers.js';

// CLI polish: --version, per-command help, aligned help columns, every flag documented, progress
// with throughput and ETA, the loss on the bar equal to the final one, announced caches, relative
// paths in what is written, and a bin that exists before the build.

const COMMANDS = ['models', 'demo', 'train', 'eval', 'convert', 'stream', 'metrics', 'mocap-dataset', 'benchmark'];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-polish-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * Blocks of consecutive flag rows (`  --flag <v>   description`) whose description columns differ.
 * A row is a line starting with spaces and `--`; a block ends at any other line.
 */
function misaligned(text: string): string[] {
  const bad: string[] = [];
  let block: { line: string; col: number }[] = [];
  const flush = () => {
    if (new Set(block.map((b) => b.col)).size > 1) bad.push(block.map((b) => b.line).join('\n'));
    block = [];
  };
  for (const line of text.split('\n')) {
    const m = /^(\s+--\S+(?: \S+)?\s{2,})\S/.exec(line);
    if (m) block.push({ line, col: m[1]!.length });
    else if (!/^\s{8,}\S/.test(line)) flush(); // continuation lines of a description do not end the block
  }
  flush();
  return bad;
}

describe('skelflow --version and help', () => {
  it('--version and -v print the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const { out } = await runOk([flag]);
      expect(out).toBe(`${pkg.version}\n`);
    }
  });

  it('`skelflow help <command>` prints the command’s help, as `<command> --help` does', async () => {
    const top = (await runOk(['--help'])).out;
    for (const cmd of COMMANDS) {
      expect(top, cmd).toMatch(new RegExp(`^  ${cmd}\\s`, 'm'));
      const a = await runOk(['help', cmd]);
      const b = await runOk([cmd, '--help']);
      expect(a.out).toBe(b.out);
      expect(a.out).not.toBe(top);
      expect(a.out).toMatch(new RegExp(`skelflow ${cmd}`));
    }
    expect((await runOk(['help', 'train', '--model', 'pca-gaussian'])).out).toBe((await runOk(['train', '--model', 'pca-gaussian', '--help'])).out);
    await expectUsageFailure(['help', 'evaluate'], /skelflow help: unknown command 'evaluate'/);
  });

  it('help columns are aligned (top level and every command)', async () => {
    const top = (await runOk(['--help'])).out;
    const rows = top.split('\n').filter((l) => /^  [a-z-]+\s{2,}\S/.test(l));
    expect(rows).toHaveLength(COMMANDS.length);
    expect(new Set(rows.map((l) => /^  [a-z-]+\s+/.exec(l)![0].length)).size).toBe(1);
    for (const argv of [...COMMANDS.map((c) => [c, '--help']), ['train', '--model', 'pca-gaussian', '--help']]) {
      expect(misaligned((await runOk(argv)).out), argv.join(' ')).toEqual([]);
    }
    // The check can fail: a hand-misaligned block is caught.
    expect(misaligned('  --a <x>  one\n  --bb     two\n  --c     three\n')).toHaveLength(1);
  });

  it('every flag a command accepts is documented in its help', async () => {
    const cases = [...COMMANDS.map((c) => [c, '--help']), ['train', '--model', 'stg-nf', '--help'], ['train', '--model', 'pca-gaussian', '--help']];
    for (const argv of cases) {
      const { out } = await runOk(argv);
      const flags = acceptedFlags(argv[0]!);
      if (argv[0] !== 'train' || argv.length > 2) expect(flags.length, argv.join(' ')).toBeGreaterThan(0);
      for (const f of flags) if (f !== 'help') expect(out, `${argv.join(' ')}: --${f}`).toMatch(new RegExp(`--${f}(?![\\w-])`));
    }
    expect(acceptedFlags('eval')).toEqual(expect.arrayContaining(['batch', 'backend', 'html', 'out']));
  });

  it('--backend is checked', async () => {
    await expectUsageFailure(['eval', '--model', 'm', '--poses', 'p', '--gt', 'g', '--out', path.join(root, 'x.json'), '--backend', 'gpu'], /--backend must be wasm or cpu, got 'gpu'/);
  });

  it('mocap-dataset --help names no file of the repository; the default manifest ships in @skelflow/mocap', async () => {
    const { out } = await runOk(['mocap-dataset', '--help']);
    expect(out).not.toMatch(/data\/manifests/);
    expect(out).toMatch(/default: cmu-02-03, shipped in @skelflow\/mocap/);
    expect(out).toMatch(/mocap\.cs\.cmu\.edu/);
    const mocapPkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'packages/mocap/package.json'), 'utf8'));
    expect(mocapPkg.files).toContain('manifests');
    expect(fs.existsSync(path.join(repoRoot, 'packages/mocap/manifests/cmu-02-03.json'))).toBe(true);
    // Without --manifest the shipped one is read: a missing --mocap folder is then the error.
    await expectUsageFailure(['mocap-dataset', '--mocap', path.join(root, 'no-such-mocap'), '--out', path.join(root, 'mds')], /no-such-mocap/);
  });

  it("every package's bin exists in the repository (no 'Failed to create bin' on install) and is published", () => {
    for (const group of ['packages', 'examples']) {
      for (const d of fs.readdirSync(path.join(repoRoot, group))) {
        const pj = path.join(repoRoot, group, d, 'package.json');
        if (!fs.existsSync(pj)) continue;
        const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
        for (const [name, target] of Object.entries((pkg.bin ?? {}) as Record<string, string>)) {
          const file = path.join(repoRoot, group, d, target);
          expect(fs.existsSync(file), `${pkg.name} bin ${name} → ${target}`).toBe(true);
          expect(target.startsWith('./dist/'), `${pkg.name} bin ${name} must not point into dist/ (not there at install time)`).toBe(false);
          expect(pkg.files.some((f: string) => target.replace(/^\.\//, '').startsWith(f)), `${target} in files`).toBe(true);
          expect(fs.readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
        }
      }
    }
  });
});

describe('publish-ready manifests (the fast check; test/packed.test.ts checks the packed ones)', () => {
  it('every public package has README, description, repository (with its folder), keywords, license and files', () => {
    for (const group of ['packages', 'examples']) {
      for (const d of fs.readdirSync(path.join(repoRoot, group))) {
        const pj = path.join(repoRoot, group, d, 'package.json');
        if (!fs.existsSync(pj)) continue;
        const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
        if (pkg.private) continue;
        expect(fs.existsSync(path.join(repoRoot, group, d, 'README.md')), `${pkg.name} README.md`).toBe(true);
        expect(String(pkg.description).length, `${pkg.name} description`).toBeGreaterThan(20);
        expect(pkg.repository, `${pkg.name} repository`).toMatchObject({ type: 'git', directory: `${group}/${d}` });
        expect(pkg.keywords?.length, `${pkg.name} keywords`).toBeGreaterThan(2);
        expect(pkg.license, pkg.name).toBe('Apache-2.0');
        expect(pkg.files, pkg.name).toEqual(expect.arrayContaining(['dist', 'README.md']));
      }
    }
  });
});

describe('progress', () => {
  it('shows throughput in segments/s and the time left', () => {
    const lines: string[] = [];
    let t = 1000;
    const bar = new ProgressBar('training', 100, (s) => void lines.push(s), false, { unit: 'segments', unitsPerStep: 256, now: () => t });
    t += 10_000;
    bar.update(25, 'epoch 1 loss 1.000');
    // 25 steps × 256 segments in 10 s = 640 segments/s; 75 steps left at 2.5 steps/s = 30 s.
    expect(lines[0]).toMatch(/ 25% 25\/100 10s {2}640 segments\/s {2}ETA 30s {2}epoch 1 loss 1\.000/);
    t += 30_000;
    bar.update(100, 'epoch 4 loss 0.500');
    expect(lines[1]).toMatch(/100% 100\/100 40s {2}640 segments\/s {2}epoch 4 loss 0\.500\n$/);
    expect(lines[1]).not.toMatch(/ETA/);
    bar.done('epoch 4 loss 0.500'); // same as the 100 % line: not printed twice in a log
    expect(lines).toHaveLength(2);
    expect([formatDuration(59.4), formatDuration(185), formatDuration(3720)]).toEqual(['59s', '3m05s', '1h02m']);
  });

  it('a resumed run counts its rate and time left from its own first step', () => {
    const lines: string[] = [];
    let t = 0;
    const bar = new ProgressBar('training', 100, (s) => void lines.push(s), false, { unit: 'segments', countFromFirstUpdate: true, now: () => t });
    t += 10_000;
    bar.update(51); // resumed after 50 steps: one step in 10 s → 0.1 segments/s, 49 steps left → 490 s
    expect(lines[0]).toMatch(/ 51% 51\/100 10s {2}0\.100 segments\/s {2}ETA 8m10s/);
  });

  it('the bar shows the running mean of the epoch, which ends on the epoch mean the trainer records', () => {
    const m = new EpochMeanLoss();
    expect([m.add(0, 4), m.add(0, 2), m.add(0, 3)]).toEqual([4, 3, 3]);
    expect(m.add(1, 1)).toBe(1); // a new epoch restarts the mean
  });
});

describe('paths in outputs', () => {
  it('relativePath and displayPath', () => {
    expect(relativePath('/runs/a', '/runs/a/model')).toBe('model');
    expect(relativePath('/runs/a', '/data/x.json')).toBe('../../data/x.json');
    expect(displayPath('/w/p/out/r.html', '/w/p', '/home/u')).toBe('out/r.html');
    expect(displayPath('/home/u/.cache/skelflow/d', '/w/p', '/home/u')).toBe('~/.cache/skelflow/d');
    expect(displayPath('/tmp/x', '/w/p', '/home/u')).toBe('/tmp/x');
  });
});

describe('skelflow demo (tiny): announced cache, relative paths, HTML report, progress', () => {
  const cache = path.join(root, 'cache');
  const out = path.join(root, 'demo');
  let first: { out: string; err: string };
  beforeAll(async () => {
    await initBackend('wasm');
    process.env.SKELFLOW_CACHE = cache;
    try {
      first = await runOk(['demo', '--scale', 'tiny', '--epochs', '2', '--out', out]);
    } finally {
      delete process.env.SKELFLOW_CACHE;
    }
  });

  it('announces the cache with its size and location, and again when reusing it', async () => {
    const size = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? size(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
    const data = path.join(cache, 'demo-v2-tiny-seed7');
    const mb = (size(data) / 1e6).toFixed(1);
    expect(first.err).toContain(`cached ${mb} MB in ${data}`);
    process.env.SKELFLOW_CACHE = cache;
    const c = capture();
    try {
      expect(await runCli(['demo', '--scale', 'tiny', '--epochs', '1', '--out', path.join(root, 'demo2')], c.io)).toBe(0);
    } finally {
      delete process.env.SKELFLOW_CACHE;
    }
    expect(c.err.join('')).toContain(`using the cached demo dataset in ${data} (${mb} MB`);
  });

  it('training progress: segments/s, and the final loss equals the last loss on the bar and the recorded epoch mean', () => {
    const bars = first.err.split('\n').filter((l) => l.startsWith('training ['));
    expect(bars.length).toBeGreaterThan(1);
    expect(bars.some((l) => /\d segments\/s/.test(l) && /ETA \d/.test(l))).toBe(true);
    const last = /epoch (\d+) loss (-?\d+\.\d+)$/.exec(bars[bars.length - 1]!)!;
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'model', 'config.json'), 'utf8'));
    const history: number[] = cfg.training.history;
    expect(Number(last[1])).toBe(history.length);
    expect(last[2]).toBe(history[history.length - 1]!.toFixed(3));
  });

  it('writes no absolute path into report.json or the model config', () => {
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.model).toBe('model');
    const cfgText = fs.readFileSync(path.join(out, 'model', 'config.json'), 'utf8');
    expect(cfgText).not.toContain(root);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).not.toContain(root);
  });

  it('eval --html writes the JSON report (the model named relative to it) and the HTML report; neither is replaced without --force', async () => {
    const data = path.join(cache, 'demo-v2-tiny-seed7');
    const dir = path.join(root, 'eval-out');
    const args = ['eval', '--model', path.join(out, 'model'), '--poses', path.join(data, 'pose', 'test'), '--gt', path.join(data, 'gt', 'test_frame_mask'), '--out', path.join(dir, 'r.json'), '--html', path.join(dir, 'r.html')];
    const e = await runOk(args);
    expect(e.err).toMatch(/scoring \[#+\] 100% .* segments\/s/);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'));
    expect(report.model).toBe('../demo/model');
    const html = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
    expect(html).toMatch(/class="roc"/);
    expect(html).toMatch(/Most anomalous segments/);
    expect(html.match(/class="clip"/g)).toHaveLength(report.clips.length);
    fs.rmSync(path.join(dir, 'r.json'));
    await expectUsageFailure(args, /r\.html exists; pass --force/);
  });
});
