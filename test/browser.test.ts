import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { repoRoot } from '@skelflow/testing';
import { workspacePackages } from '../scripts/workspace.mjs';
import { chromiumPath, launchChromium, serveFiles, workspaceSources } from './browser/harness.js';
import { scoreFixture, type FixtureScores } from './browser/score_fixture.js';

// The README pipeline in a real browser: a small app bundled with esbuild (platform browser, no
// externals) scores fixed poses with STG-NF in headless Chromium; its scores must equal Node's
// for the same input, on cpu and on wasm (the .wasm files served by the test's server).
const out = path.join(repoRoot, '.tmp', 'browser');
// The wasm backend's package folder (its dist/ holds the .wasm files a page must be served).
const wasmDir = fs.realpathSync(path.join(repoRoot, 'node_modules/@tensorflow/tfjs-backend-wasm'));

// What we publish (dist/, resolved through node_modules as a user's bundler would): every package
// that runs in browsers bundles with esbuild and with Vite, nothing external, no tfjs-layers.
const BROWSER_PACKAGES = workspacePackages().filter((p) => !p.private && p.browser);
const built = BROWSER_PACKAGES.every((p) => fs.existsSync(path.join(repoRoot, p.dir, 'dist', 'index.js')));
if (!built) console.warn('SKIPPED: bundling the built packages for browsers: run `pnpm build` first');

describe.skipIf(!built)('the built packages bundle for browsers', () => {
  it('with esbuild, platform browser, no externals', async () => {
    // One build with an entry per package (each entry is its own bundle; esbuild parses shared files once).
    const dir = path.join(repoRoot, '.tmp', 'esbuild-all');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const entryPoints = BROWSER_PACKAGES.map((p) => {
      const f = path.join(dir, `${p.name.replace('@skelflow/', '')}.js`);
      fs.writeFileSync(f, `export * from '${p.name}';\n`);
      return f;
    });
    const r = await build({ entryPoints, outdir: path.join(dir, 'out'), bundle: true, platform: 'browser', format: 'esm', minify: true, metafile: true, logLevel: 'silent' });
    const sizes: Record<string, number> = {};
    for (const [file, o] of Object.entries(r.metafile.outputs)) {
      const inputs = Object.keys(o.inputs);
      expect(inputs.filter((i) => i.includes('tfjs-layers')), `${file} pulls in tfjs-layers`).toEqual([]);
      sizes[path.basename(file, '.js')] = Math.round(o.bytes / 1024);
    }
    expect(Object.keys(sizes)).toHaveLength(BROWSER_PACKAGES.length);
    console.log(`esbuild browser bundles (KB, minified, everything exported): ${JSON.stringify(sizes)}`);
  });

  it('with Vite (one app importing every package)', async () => {
    const { build: viteBuild } = await import('vite');
    const dir = path.join(repoRoot, '.tmp', 'vite-all');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const names = BROWSER_PACKAGES.map((p) => p.name);
    fs.writeFileSync(
      path.join(dir, 'main.js'),
      names.map((n, i) => `import * as p${i} from '${n}';`).join('\n') + `\nconsole.log(${names.map((_, i) => `Object.keys(p${i}).length`).join(', ')});\n`,
    );
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
    await viteBuild({ root: dir, logLevel: 'silent', configFile: false, build: { outDir: path.join(dir, 'dist'), emptyOutDir: true, minify: false, reportCompressedSize: false } });
    const js = fs.readdirSync(path.join(dir, 'dist', 'assets')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
  });
});

if (!chromiumPath) console.warn('SKIPPED: headless-Chromium tests: no chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!chromiumPath)('a bundled app in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof serveFiles>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let bundleBytes = 0;

  beforeAll(async () => {
    fs.mkdirSync(out, { recursive: true });
    const r = await build({
      entryPoints: [path.join(repoRoot, 'test/browser/score_app.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      outfile: path.join(out, 'app.js'),
      plugins: [workspaceSources(workspacePackages().flatMap((p) => p.entries), repoRoot)],
      metafile: true,
      logLevel: 'silent',
    });
    bundleBytes = fs.statSync(path.join(out, 'app.js')).size;
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((i) => i.includes('tfjs-layers')), 'tfjs-layers in the bundle').toEqual([]);
    fs.writeFileSync(path.join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>skelflow</title><script type="module" src="app.js"></script>');
    server = await serveFiles({ '/wasm/': path.join(wasmDir, 'dist'), '/': out });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function inPage(backend: 'cpu' | 'wasm', wasmPaths?: string): Promise<FixtureScores> {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.title === 'skelflow: ready');
      return await page.evaluate(([b, w]) => window.skelflowScore(b as 'cpu' | 'wasm', w ? { wasmPaths: w } : {}), [backend, wasmPaths] as const);
    } finally {
      await page.close();
    }
  }

  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

  it('bundles without Node built-ins or tfjs-layers', () => {
    console.log(`browser app bundle: ${(bundleBytes / 1024).toFixed(0)} KB minified`);
    expect(bundleBytes).toBeGreaterThan(0);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`scores equal Node's on ${backend}`, async () => {
      const browserScores = await inPage(backend, backend === 'wasm' ? '/wasm/' : undefined);
      const nodeScores = await scoreFixture(backend);
      expect(browserScores.backend).toBe(backend);
      expect(nodeScores.backend).toBe(backend);
      expect(browserScores.tfjs).toHaveLength(12);
      expect(browserScores.tfjs.every(Number.isFinite)).toBe(true);
      console.log(`${backend}: max |browser − node| tfjs ${maxDiff(browserScores.tfjs, nodeScores.tfjs).toExponential(2)}, fused ${maxDiff(browserScores.fused, nodeScores.fused).toExponential(2)}`);
      expect(maxDiff(browserScores.tfjs, nodeScores.tfjs)).toBeLessThan(1e-5);
      expect(maxDiff(browserScores.fused, nodeScores.fused)).toBeLessThan(1e-5);
      // The two engines agree with each other too (float32 tensors vs float64 loops).
      expect(maxDiff(browserScores.tfjs, browserScores.fused)).toBeLessThan(1e-3);
    });
  }

  it('wasm whose .wasm files are not served is a loud error, not a silent cpu', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.title === 'skelflow: ready');
      const message = await page.evaluate(() => window.skelflowScore('wasm', { wasmPaths: '/nowhere/' }).then(() => 'resolved', (e: Error) => e.message));
      expect(message).toMatch(/wasm backend could not start: its \.wasm files were not found under \/nowhere\//);
    } finally {
      await page.close();
    }
  });
});
