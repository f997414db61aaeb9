#!/usr/bin/env node
// The workspace's packages, read from the folders themselves, and the hand-kept lists derived from
// them: tsconfig.json `paths` (type-check against sources), typedoc.json entry points and the root
// package.json devDependencies. vitest.config.ts and the published-package test call
// `workspacePackages()` directly. `node scripts/workspace.mjs --write` rewrites the lists;
// `--check` (run by test/workspace.test.ts) fails when one is out of date.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Every workspace package (`packages/*`, `examples/*` with a package.json): its name, folder,
 * whether it is private, and its entry points as `{ subpath, source }` (an `exports` subpath `./x`
 * is built from `src/x.ts`, `.` from `src/index.ts`).
 */
export function workspacePackages(root = repoRoot) {
  const out = [];
  for (const group of ['packages', 'examples']) {
    const base = path.join(root, group);
    if (!fs.existsSync(base)) continue;
    for (const d of fs.readdirSync(base).sort()) {
      const pj = path.join(base, d, 'package.json');
      if (!fs.existsSync(pj)) continue;
      const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
      const dir = `${group}/${d}`;
      const entries = [];
      for (const sub of Object.keys(pkg.exports ?? { '.': null })) {
        if (sub === './package.json') continue;
        const source = sub === '.' ? 'src/index.ts' : `src/${sub.slice(2)}.ts`;
        if (!fs.existsSync(path.join(root, dir, source))) throw new Error(`${dir}/package.json: export ${sub} has no source ${source}`);
        entries.push({ subpath: sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`, source: `${dir}/${source}` });
      }
      out.push({ name: pkg.name, dir, private: pkg.private === true, browser: pkg.skelflow?.browser !== false, entries });
    }
  }
  return out;
}

function expected(root) {
  const pkgs = workspacePackages(root);
  const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.paths = Object.fromEntries(pkgs.flatMap((p) => p.entries.map((e) => [e.subpath, [e.source]])));
  const typedoc = JSON.parse(fs.readFileSync(path.join(root, 'typedoc.json'), 'utf8'));
  typedoc.entryPoints = pkgs.filter((p) => !p.private).map((p) => p.dir);
  const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const dev = Object.fromEntries(Object.entries(rootPkg.devDependencies).filter(([k]) => !k.startsWith('@skelflow/')));
  for (const p of pkgs) dev[p.name] = 'workspace:*';
  rootPkg.devDependencies = dev;
  const arch = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
  return {
    'docs/architecture.md': arch.replace(/(<!-- package-graph:start[^>]*-->\n)[\s\S]*?(<!-- package-graph:end -->)/, (_, a, b) => a + packageGraphMermaid(root) + b),
    'tsconfig.json': JSON.stringify(tsconfig, null, 2) + '\n',
    'typedoc.json': JSON.stringify(typedoc, null, 2) + '\n',
    'package.json': JSON.stringify(rootPkg, null, 2) + '\n',
  };
}

/**
 * The package graph as a Mermaid flowchart: an arrow A --> B means A imports B (a workspace
 * dependency). Transitively implied arrows are left out (if A → B → C, A → C is not drawn); tfjs-free
 * packages are drawn with a double border.
 */
export function packageGraphMermaid(root = repoRoot) {
  const pkgs = workspacePackages(root);
  const names = new Set(pkgs.map((p) => p.name));
  const short = (n) => n.replace('@skelflow/', '');
  const deps = new Map();
  const peers = new Map();
  for (const p of pkgs) {
    const m = JSON.parse(fs.readFileSync(path.join(root, p.dir, 'package.json'), 'utf8'));
    deps.set(p.name, Object.keys(m.dependencies ?? {}).filter((d) => names.has(d)));
    peers.set(p.name, [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
  }
  const reach = (from, skipDirect) => {
    const seen = new Set();
    const stack = skipDirect ? deps.get(from).flatMap((d) => deps.get(d)) : [...deps.get(from)];
    while (stack.length) {
      const n = stack.pop();
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...deps.get(n));
    }
    return seen;
  };
  const tfjsFree = (n) => ![n, ...reach(n, false)].some((d) => peers.get(d).some((x) => x.startsWith('@tensorflow/')));
  const lines = ['```mermaid', 'flowchart BT'];
  for (const p of pkgs) lines.push(`  ${short(p.name).replace(/-/g, '_')}${tfjsFree(p.name) ? `[["${short(p.name)}"]]` : `["${short(p.name)}"]`}`);
  for (const p of pkgs) {
    const indirect = reach(p.name, true);
    for (const d of deps.get(p.name)) if (!indirect.has(d)) lines.push(`  ${short(p.name).replace(/-/g, '_')} --> ${short(d).replace(/-/g, '_')}`);
  }
  lines.push('```', '');
  return lines.join('\n');
}

/** The derived files that differ from what the workspace says they should be. */
export function staleWorkspaceFiles(root = repoRoot) {
  return Object.entries(expected(root))
    .filter(([f, text]) => fs.readFileSync(path.join(root, f), 'utf8') !== text)
    .map(([f]) => f);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2];
  if (mode === '--write') {
    for (const [f, text] of Object.entries(expected(repoRoot))) fs.writeFileSync(path.join(repoRoot, f), text);
  } else if (mode === '--check') {
    const stale = staleWorkspaceFiles();
    if (stale.length) {
      console.error(`out of date with the workspace: ${stale.join(', ')} (run node scripts/workspace.mjs --write)`);
      process.exit(1);
    }
  } else {
    for (const p of workspacePackages()) console.log(`${p.name}\t${p.dir}${p.private ? '\t(private)' : ''}`);
  }
}
