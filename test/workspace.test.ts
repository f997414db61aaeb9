import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, staleWorkspaceFiles, workspacePackages } from '../scripts/workspace.mjs';

// The architecture as a test: the hand-kept lists match the workspace, imports point one way (no
// package or file cycles, type-only imports included), every import is a declared dependency, the
// data packages pull in no tfjs, and no test reaches into another package's files.

const pkgs = workspacePackages();
const byName = new Map(pkgs.map((p) => [p.name, p]));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
/** Packages whose users must never install tfjs (data and evaluation only). */
const TFJS_FREE = ['@skelflow/base', '@skelflow/linalg', '@skelflow/metrics', '@skelflow/pose', '@skelflow/mocap', '@skelflow/model'];

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const f = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(f) : /\.(ts|mts)$/.test(d.name) && !d.name.endsWith('.d.ts') ? [f] : [];
  });
}
function importsOf(file: string): string[] {
  // Comments and template literals (code run elsewhere, e.g. a worker's bootstrap) are not imports.
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/`[^`]*`/g, '``');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}
function packageOf(spec: string): string | null {
  const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)/.exec(spec);
  return m ? m[1]! : null;
}
function manifest(dir: string) {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8'));
}
function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of graph.keys()) if (!state.has(n)) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

describe('the workspace', () => {
  it('tsconfig paths, typedoc entry points and root devDependencies are generated from it', () => {
    expect(staleWorkspaceFiles(), 'run node scripts/workspace.mjs --write').toEqual([]);
  });

  it('every @skelflow or third-party import in src is a declared dependency', () => {
    const problems: string[] = [];
    for (const p of pkgs) {
      const m = manifest(p.dir);
      const declared = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {}), p.name]);
      for (const f of tsFiles(path.join(repoRoot, p.dir, 'src'))) {
        for (const spec of importsOf(f)) {
          if (spec.startsWith('.') || spec.startsWith('node:')) continue;
          // A subpath import (`#x`, package.json `imports`): declared there, and every package it
          // maps to (per condition) is a dependency.
          if (spec.startsWith('#')) {
            const entry = m.imports?.[spec];
            if (!entry) problems.push(`${path.relative(repoRoot, f)} imports ${spec}, not in the imports map of ${p.name}`);
            const targets = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(targets) : []);
            for (const t of targets(entry)) {
              const dep = t.startsWith('.') ? null : packageOf(t);
              if (dep && !declared.has(dep)) problems.push(`${p.name} imports map sends ${spec} to ${t}, not a dependency`);
            }
            continue;
          }
          const dep = packageOf(spec);
          if (dep && !declared.has(dep)) problems.push(`${path.relative(repoRoot, f)} imports ${spec}, not a dependency of ${p.name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('packages import one way: no cycle between packages', () => {
    const graph = new Map(pkgs.map((p) => [p.name, new Set(Object.keys(manifest(p.dir).dependencies ?? {}).filter((d) => byName.has(d)))]));
    expect(findCycle(graph)).toBeNull();
  });

  it('no import cycle between the files of a package, type-only imports included', () => {
    const cycles: string[] = [];
    for (const p of pkgs) {
      const files = tsFiles(path.join(repoRoot, p.dir, 'src'));
      const graph = new Map<string, Set<string>>();
      for (const f of files) {
        const deps = new Set<string>();
        for (const spec of importsOf(f)) {
          if (!spec.startsWith('.')) continue;
          const target = path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts'));
          const resolved = fs.existsSync(target) ? target : fs.existsSync(path.join(target, 'index.ts')) ? path.join(target, 'index.ts') : null;
          if (resolved) deps.add(resolved);
        }
        graph.set(f, deps);
      }
      // index.ts files only re-export; a cycle through an index is still a cycle.
      const c = findCycle(graph);
      if (c) cycles.push(c.map((f) => path.relative(repoRoot, f)).join(' → '));
    }
    expect(cycles).toEqual([]);
  });

  it('the data packages install no tfjs, directly or through a dependency', () => {
    const closure = (name: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(name)) return seen;
      seen.add(name);
      const p = byName.get(name);
      if (!p) return seen;
      const m = manifest(p.dir);
      for (const d of [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]) closure(d, seen);
      return seen;
    };
    for (const name of TFJS_FREE.filter((n) => byName.has(n))) {
      const tf = [...closure(name)].filter((d) => d.startsWith('@tensorflow/'));
      expect(tf, name).toEqual([]);
    }
  });

  it("no test imports another package's files by relative path", () => {
    const problems: string[] = [];
    for (const p of pkgs) {
      const own = path.join(repoRoot, p.dir);
      for (const f of tsFiles(path.join(own, 'test'))) {
        for (const spec of importsOf(f)) {
          if (!spec.startsWith('.')) continue;
          const target = path.resolve(path.dirname(f), spec);
          if (!target.startsWith(own + path.sep)) problems.push(`${path.relative(repoRoot, f)} imports ${spec}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every package names its exports (no `export *` in src)', () => {
    const star = pkgs.flatMap((p) =>
      tsFiles(path.join(repoRoot, p.dir, 'src'))
        .filter((f) => /^\s*export\s+\*\s+from/m.test(fs.readFileSync(f, 'utf8')))
        .map((f) => path.relative(repoRoot, f)),
    );
    expect(star).toEqual([]);
  });

  it('this test can fail: a cycle and a stale list are detected', () => {
    expect(findCycle(new Map([['a', new Set(['b'])], ['b', new Set(['a'])]]))).toEqual(['a', 'b', 'a']);
    expect(findCycle(new Map([['a', new Set(['b'])], ['b', new Set()]]))).toBeNull();
  });
});
