import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@skelflow/testing';
import { workspacePackages } from '../scripts/workspace.mjs';
import { codeBlocks } from '../scripts/code_blocks.mjs';

// What a user of npm gets: every public package packed with `pnpm pack` (which rewrites
// `workspace:*` to the version — `npm pack` would not), the tarballs installed with npm into an
// empty project, then
//   - the packed manifests: no `workspace:` range, README, description, repository, keywords, license, files;
//   - every entry point imported as ESM and required as CJS;
//   - the README's "Using it" program run as written (ESM) and, as CommonJS, with its imports
//     turned into requires and its body wrapped in an async function (CJS has no top-level await);
//   - strict `tsc --noEmit` on both.
// npm's cache is shared between runs (.cache/npm) so only the first run downloads tfjs.

const PACKAGES = workspacePackages().filter((p) => !p.private);
const built = PACKAGES.every((p) => fs.existsSync(path.join(repoRoot, p.dir, 'dist', 'index.js')));
const work = path.join(repoRoot, '.tmp', 'packed');
const project = path.join(work, 'project');
const npmCache = path.join(repoRoot, '.cache', 'npm');

/** How to run pnpm: the one running the tests (`pnpm test`), else the pinned one through npx. */
function pnpm(args: string[], cwd: string): string {
  const exec = process.env.npm_execpath ?? '';
  const [cmd, pre] = /pnpm/.test(exec) ? [process.execPath, [exec]] : ['npx', ['-y', 'pnpm@10.34.8']];
  return execFileSync(cmd, [...pre, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
/** The README's "Using it" program, exactly as written. */
const usingIt = codeBlocks(readme.slice(readme.indexOf('## Using it')).split(/\n## /)[0]!).find((b) => b.lang === 'ts')!.code;

/** The program as CommonJS: `import { a, b } from 'x'` → `const { a, b } = require('x')`, the rest in an async function. */
function asCommonJs(code: string, requires: boolean): string {
  const imports: string[] = [];
  const body: string[] = [];
  for (const line of code.split('\n')) {
    const m = /^import \{([^}]+)\} from '([^']+)';$/.exec(line);
    if (m) imports.push(requires ? `const {${m[1]}} = require('${m[2]}');` : line);
    else body.push(line);
  }
  return `${imports.join('\n')}\n(async () => {\n${body.join('\n')}\n})().catch((e) => {\n  console.error(e);\n  process.exit(1);\n});\n`;
}

function node(file: string): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 90_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!built)('the packed packages in a fresh npm project', () => {
  const manifests = new Map<string, Record<string, unknown>>();
  const tarballs: string[] = [];

  beforeAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, 'tarballs'), { recursive: true });
    for (const p of PACKAGES) {
      const out = pnpm(['pack', '--pack-destination', path.join(work, 'tarballs')], path.join(repoRoot, p.dir));
      const tgz = out.trim().split('\n').pop()!.trim();
      tarballs.push(path.isAbsolute(tgz) ? tgz : path.join(work, 'tarballs', path.basename(tgz)));
      const listing = execFileSync('tar', ['-xzOf', tarballs[tarballs.length - 1]!, 'package/package.json'], { encoding: 'utf8' });
      manifests.set(p.name, JSON.parse(listing));
    }
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }, null, 2));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--cache', npmCache, ...tarballs], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
  }, 240_000);

  it('pnpm pack rewrote every workspace:* range; each manifest carries README, description, repository, keywords, license and files', () => {
    expect(manifests.size).toBe(PACKAGES.length);
    for (const [name, m] of manifests) {
      expect(JSON.stringify(m), name).not.toMatch(/workspace:/);
      for (const deps of [m.dependencies, m.peerDependencies] as (Record<string, string> | undefined)[]) {
        for (const [dep, range] of Object.entries(deps ?? {})) if (dep.startsWith('@skelflow/')) expect(range, `${name} → ${dep}`).toMatch(/^\^?\d+\.\d+\.\d+/);
      }
      expect(typeof m.description === 'string' && m.description.length > 20, `${name} description`).toBe(true);
      expect((m.repository as { url?: string })?.url, `${name} repository`).toMatch(/^git\+https:\/\//);
      expect((m.keywords as string[])?.length, `${name} keywords`).toBeGreaterThan(2);
      expect(m.license, name).toBe('Apache-2.0');
      expect(m.files, name).toEqual(expect.arrayContaining(['dist', 'README.md']));
    }
    for (const t of tarballs) {
      const files = execFileSync('tar', ['-tzf', t], { encoding: 'utf8' }).split('\n');
      expect(files, t).toContain('package/README.md');
      expect(files.some((f) => f.startsWith('package/src/')), `${t} ships no sources`).toBe(false);
    }
  });

  it('every entry point imports as ESM and requires as CJS; the skelflow bin runs', () => {
    const entries = PACKAGES.flatMap((p) => p.entries.map((e) => e.subpath));
    fs.writeFileSync(path.join(project, 'entries.mjs'), `${entries.map((e, i) => `import * as m${i} from '${e}';`).join('\n')}\nconsole.log(JSON.stringify([${entries.map((_, i) => `Object.keys(m${i}).length`).join(', ')}]));\n`);
    fs.writeFileSync(path.join(project, 'entries.cjs'), `console.log(JSON.stringify([${entries.map((e) => `Object.keys(require('${e}')).length`).join(', ')}]));\n`);
    for (const f of ['entries.mjs', 'entries.cjs']) {
      const r = node(f);
      expect(r.status, `${f}: ${r.err}`).toBe(0);
      const counts: number[] = JSON.parse(r.out.trim().split('\n').pop()!);
      counts.forEach((n, i) => expect(n, `${f}: ${entries[i]}`).toBeGreaterThan(0));
    }
    const bin = spawnSync(path.join(project, 'node_modules', '.bin', 'skelflow'), ['--version'], { encoding: 'utf8' });
    expect(bin.stdout.trim(), bin.stderr).toBe(String(manifests.get('@skelflow/cli')!.version));
  });

  it("the README's “Using it” program runs as written (ESM) and as CommonJS", () => {
    expect(usingIt).toMatch(/^import \{ initBackend \} from '@skelflow\/core';/);
    fs.writeFileSync(path.join(project, 'using-it.mjs'), usingIt);
    fs.writeFileSync(path.join(project, 'using-it.cjs'), asCommonJs(usingIt, true));
    for (const f of ['using-it.mjs', 'using-it.cjs']) {
      const r = node(f);
      expect(r.status, `${f}: ${r.err}`).toBe(0);
      expect(r.out, f).toMatch(/^\d+ test segments; the least normal scores -?\d+\.\d\d$/m);
      expect(r.out, f).toMatch(/^person \S+, frame \d+: -?\d+\.\d{3}$/m);
    }
  });

  it('strict tsc --noEmit passes on the program (ESM and CJS) and on every entry point', () => {
    fs.writeFileSync(path.join(project, 'using-it.mts'), usingIt);
    fs.writeFileSync(path.join(project, 'using-it-cjs.cts'), asCommonJs(usingIt, false));
    fs.copyFileSync(path.join(project, 'entries.mjs'), path.join(project, 'entries.mts'));
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
        },
        files: ['using-it.mts', 'using-it-cjs.cts', 'entries.mts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    // The check can fail: a wrong type in the program is reported.
    fs.writeFileSync(path.join(project, 'wrong.mts'), `${usingIt}\nconst n: string = normality.length;\n`);
    const bad = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), 'wrong.mts'], { cwd: project, encoding: 'utf8' });
    expect(bad.stdout).toMatch(/wrong\.mts\(\d+,\d+\): error TS2322/);
  });
});
