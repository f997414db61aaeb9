import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
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

// Child processes run asynchronously: a long synchronous one would block the test worker's RPC.
const run = promisify(execFile);

/** How to run pnpm: the one running the tests (`pnpm test`), else the pinned one through npx. */
async function pnpm(args: string[], cwd: string): Promise<string> {
  const exec = process.env.npm_execpath ?? '';
  const [cmd, pre] = /pnpm/.test(exec) ? [process.execPath, [exec]] : ['npx', ['-y', 'pnpm@10.34.8']];
  return (await run(cmd, [...pre, ...args], { cwd, encoding: 'utf8' })).stdout;
}

/** Runs node on a file of the project. */
async function node(file: string): Promise<{ status: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [file], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 90_000 });
    return { status: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof x.code === 'number' ? x.code : 1, out: x.stdout ?? '', err: x.stderr ?? String(e) };
  }
}

/**
 * Strict `tsc` on the project's files; errors inside tfjs-core's own declarations (it names the
 * `Long` type of an optional @types/long) are not ours and are left out — every other file's
 * declarations, ours included, are checked (`skipLibCheck: false`).
 */
async function tscErrors(args: string[]): Promise<string[]> {
  try {
    await run(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), ...args], { cwd: project, encoding: 'utf8' });
    return [];
  } catch (e) {
    const out = String((e as { stdout?: string }).stdout ?? e);
    return out.split('\n').filter((l) => /error TS/.test(l) && !l.startsWith('node_modules/@tensorflow/'));
  }
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


describe.skipIf(!built)('the packed packages in a fresh npm project', () => {
  const manifests = new Map<string, Record<string, unknown>>();
  const tarballs: string[] = [];

  beforeAll(async () => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(path.join(work, 'tarballs'), { recursive: true });
    // Four packs at a time (each is mostly a node start-up).
    const queue = [...PACKAGES];
    const packOne = async (): Promise<void> => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const out = await pnpm(['pack', '--pack-destination', path.join(work, 'tarballs')], path.join(repoRoot, p.dir));
        const tgz = out.trim().split('\n').pop()!.trim();
        const file = path.isAbsolute(tgz) ? tgz : path.join(work, 'tarballs', path.basename(tgz));
        tarballs.push(file);
        manifests.set(p.name, JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' })));
      }
    };
    await Promise.all([packOne(), packOne(), packOne(), packOne()]);
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '--cache', npmCache, ...tarballs], { cwd: project, timeout: 150_000 });
  }, 240_000);

  it('pnpm pack rewrote every workspace:* range; each manifest carries README, description, repository, keywords, license and files', () => {
    expect(manifests.size).toBe(PACKAGES.length);
    for (const [name, m] of manifests) {
      expect(JSON.stringify(m), name).not.toMatch(/workspace:/);
      for (const deps of [m.dependencies, m.peerDependencies] as (Record<string, string> | undefined)[]) {
        for (const [dep, range] of Object.entries(deps ?? {})) if (dep.startsWith('@skelflow/')) expect(range, `${name} → ${dep}`).toMatch(/^\^?\d+\.\d+\.\d+/);
      }
      expect(typeof m.description === 'string' && m.description.length > 20, `${name} description`).toBe(true);
      expect(String((m.repository as { url?: string } | undefined)?.url), `${name} repository`).toMatch(/^git\+https:\/\//);
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

  it('every entry point imports as ESM and requires as CJS; the skelflow bin runs', async () => {
    const entries = PACKAGES.flatMap((p) => p.entries.map((e) => e.subpath));
    fs.writeFileSync(path.join(project, 'entries.mjs'), `${entries.map((e, i) => `import * as m${i} from '${e}';`).join('\n')}\nconsole.log(JSON.stringify([${entries.map((_, i) => `Object.keys(m${i}).length`).join(', ')}]));\n`);
    fs.writeFileSync(path.join(project, 'entries.cjs'), `console.log(JSON.stringify([${entries.map((e) => `Object.keys(require('${e}')).length`).join(', ')}]));\n`);
    for (const f of ['entries.mjs', 'entries.cjs']) {
      const r = await node(f);
      expect(r.status, `${f}: ${r.err}`).toBe(0);
      const counts: number[] = JSON.parse(r.out.trim().split('\n').pop()!);
      counts.forEach((n, i) => expect(n, `${f}: ${entries[i]}`).toBeGreaterThan(0));
    }
    const bin = await run(path.join(project, 'node_modules', '.bin', 'skelflow'), ['--version'], { encoding: 'utf8' });
    expect(bin.stdout.trim(), bin.stderr).toBe(String(manifests.get('@skelflow/cli')!.version));
  });

  it("the README's “Using it” program runs as written (ESM) and as CommonJS", async () => {
    expect(usingIt).toMatch(/^import \{ initBackend \} from '@skelflow\/core';/);
    fs.writeFileSync(path.join(project, 'using-it.mjs'), usingIt);
    fs.writeFileSync(path.join(project, 'using-it.cjs'), asCommonJs(usingIt, true));
    for (const f of ['using-it.mjs', 'using-it.cjs']) {
      const r = await node(f);
      expect(r.status, `${f}: ${r.err}`).toBe(0);
      expect(r.out, f).toMatch(/^\d+ test segments; the least normal scores -?\d+\.\d\d$/m);
      expect(r.out, f).toMatch(/^person \S+, frame \d+: -?\d+\.\d{3}$/m);
    }
  });

  it('strict tsc --noEmit passes on the program (ESM and CJS) and on every entry point', async () => {
    fs.writeFileSync(path.join(project, 'using-it.mts'), usingIt);
    fs.writeFileSync(path.join(project, 'using-it-cjs.cts'), asCommonJs(usingIt, false));
    fs.copyFileSync(path.join(project, 'entries.mjs'), path.join(project, 'entries.mts'));
    // The check can fail: a wrong type in a copy of the program is reported (one tsc run for all files).
    fs.writeFileSync(path.join(project, 'wrong.mts'), `${usingIt}\nconst n: string = normality.length;\n`);
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
        files: ['using-it.mts', 'using-it-cjs.cts', 'entries.mts', 'wrong.mts'],
      }),
    );
    const errors = await tscErrors(['-p', 'tsconfig.json']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.mts\(\d+,\d+\): error TS2322/);
  });
});
