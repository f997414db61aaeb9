// Screenshots an HTML file with the system's headless Chromium (no browser download):
//   node scripts/screenshot.mjs <page.html> <out.png> [width] [--full | --at <y>]
// (--at: a 900-pixel-high view scrolled to y)
// Used to look at the HTML reports (skelflow eval --html, skelflow demo).
import path from 'node:path';
import { chromium } from 'playwright-core';

const [file, out, width = '900'] = process.argv.slice(2);
if (!file || !out) {
  process.stderr.write('usage: node scripts/screenshot.mjs <page.html> <out.png> [width] [--full]\n');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 900 } });
  await page.goto(`file://${path.resolve(file)}`);
  const at = process.argv.indexOf('--at');
  if (at > 0) await page.evaluate((y) => window.scrollTo(0, y), Number(process.argv[at + 1]));
  await page.screenshot({ path: out, fullPage: process.argv.includes('--full') });
} finally {
  await browser.close();
}
