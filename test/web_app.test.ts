import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@skelflow/testing';
import { initBackend } from '@skelflow/core';
import { parsePoseTrackJson, readGroundTruth } from '@skelflow/pose';
import { StgNfAnomalyModel, stgNfFromSavedFiles } from '@skelflow/stg-nf';
import { analyse } from '../examples/web/src/analysis.js';
import { chromiumPath, launchChromium, serveFiles } from './browser/harness.js';

// examples/web built with Vite (as `pnpm web:build` does) and opened with ?selftest in headless
// Chromium: it scores the bundled demo clip with the bundled demo model, in the page.
const webDir = path.join(repoRoot, 'examples/web');
const outDir = path.join(repoRoot, '.tmp', 'web-dist');

if (!chromiumPath) console.warn('SKIPPED: the web app selftest: no chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!chromiumPath)('the web app (examples/web)', () => {
  let server: Awaited<ReturnType<typeof serveFiles>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    const { build } = await import('vite');
    await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'silent', build: { outDir, emptyOutDir: true, minify: false, reportCompressedSize: false } });
    server = await serveFiles({ '/': outDir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('builds to static files with the demo and the .wasm files', () => {
    const files = fs.readdirSync(path.join(outDir, 'assets'));
    expect(files.some((f) => f.endsWith('.wasm'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'demo', 'model', 'weights.bin'))).toBe(true);
  });

  it('?selftest scores the bundled demo clip with the bundled model, in the page', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${server.url}/index.html?selftest`);
      await page.waitForFunction(() => document.title === 'skelflow: selftest done', undefined, { timeout: 60_000 });
      const r = JSON.parse((await page.textContent('#selftest'))!) as { segments: number; scores: number[]; auc: number; backend: string; error?: string };
      expect(r.error).toBeUndefined();
      expect(errors).toEqual([]);
      console.log(`web selftest: ${JSON.stringify(r)}`);
      expect(r.backend).toBe('wasm');
      expect(r.segments).toBeGreaterThan(100);
      expect(r.scores).toHaveLength(10);
      expect(r.scores.every(Number.isFinite)).toBe(true);
      // The same files scored in Node give the same numbers.
      await initBackend('wasm');
      const demo = path.join(webDir, 'public', 'demo');
      const m = JSON.parse(fs.readFileSync(path.join(demo, 'demo.json'), 'utf8')) as { poses: string; gt: string };
      const model = new StgNfAnomalyModel(
        stgNfFromSavedFiles(fs.readFileSync(path.join(demo, 'model', 'model.json'), 'utf8'), new Uint8Array(fs.readFileSync(path.join(demo, 'model', 'weights.bin')))),
      );
      const tracks = parsePoseTrackJson(fs.readFileSync(path.join(demo, m.poses), 'utf8'), m.poses);
      const a = analyse(model, { name: 'demo', tracks }, readGroundTruth(new Uint8Array(fs.readFileSync(path.join(demo, m.gt))), m.gt, 'shanghaitech'));
      model.dispose();
      expect(r.segments).toBe(a.segmentScores.length);
      r.scores.forEach((s, i) => expect(s).toBeCloseTo(a.segmentScores[i]!, 5));
      expect(r.auc).toBeCloseTo(a.auc!.smoothed, 6);
    } finally {
      await page.close();
    }
  });
});
