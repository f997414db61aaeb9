// Screenshots of the built web app (`pnpm web:build` first) with the bundled demo, via headless
// Chromium: node --import tsx examples/web/scripts/screenshots.ts <out dir>
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, serveFiles } from '../../../test/browser/harness.js';

const outDir = path.resolve(process.argv[2] ?? 'screens');
const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
fs.mkdirSync(outDir, { recursive: true });
const server = await serveFiles({ '/': dist });
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  for (const [name, query] of [
    ['web-demo-frame40', '?demo&frame=40'],
    ['web-demo-frame120', '?demo&frame=120'],
  ] as const) {
    await page.goto(`${server.url}/index.html${query}`);
    await page.waitForFunction(() => /segments/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.evaluate((f) => {
      const s = document.getElementById('frame') as HTMLInputElement;
      s.value = String(f);
      s.dispatchEvent(new Event('input'));
    }, Number(new URLSearchParams(query).get('frame')));
    await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
    console.log(`${name}: ${await page.textContent('#status')} | ${await page.textContent('#flagged')}`);
  }
  // playing: start, wait, shoot
  await page.goto(`${server.url}/index.html?demo&play`);
  await page.waitForFunction(() => /segments/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 60_000 });
  await page.waitForTimeout(2500);
  await page.screenshot({ path: path.join(outDir, 'web-playing.png'), fullPage: true });
  console.log(`web-playing: ${await page.textContent('#flagged')}`);
} finally {
  await browser.close();
  await server.close();
}
