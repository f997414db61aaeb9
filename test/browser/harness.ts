// Headless Chromium for tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
// download), and a localhost static file server.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/** The system Chromium, or null (the tests skip with a message; `.ci/run` installs it). */
export const chromiumPath: string | null = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) ?? null;

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
  '.map': 'application/json',
};

/** Serves `routes` (URL prefix → folder) on 127.0.0.1; 404 for anything else. */
export async function serveFiles(routes: Record<string, string>): Promise<{ url: string; close: () => Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(url);
    for (const [prefix, dir] of Object.entries(routes).sort((a, b) => b[0].length - a[0].length)) {
      if (!url.startsWith(prefix)) continue;
      let file = path.join(dir, url.slice(prefix.length));
      if (!file.startsWith(path.resolve(dir))) break;
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      if (!fs.existsSync(file)) break;
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A headless Chromium with a fresh profile; `close` removes the profile. */
export async function launchChromium() {
  if (!chromiumPath) throw new Error('no chromium');
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 } });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** An esbuild plugin resolving `@skelflow/*` entries to their TypeScript sources (as vitest does). */
export function workspaceSources(entries: { subpath: string; source: string }[], root: string) {
  const map = new Map(entries.map((e) => [e.subpath, path.join(root, e.source)]));
  return {
    name: 'skelflow-workspace-sources',
    setup(build: { onResolve(o: { filter: RegExp }, cb: (a: { path: string }) => { path: string } | undefined): void }) {
      build.onResolve({ filter: /^@skelflow\// }, (a) => (map.has(a.path) ? { path: map.get(a.path)! } : undefined));
    },
  };
}
