import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasShared, repoRoot } from '@skelflow/testing';
import { codeBlocks } from '../scripts/code_blocks.mjs';

// The guides in docs/guides/ run as written: per guide, its `ts` blocks form one module (later
// blocks use what earlier ones defined), imported here with the workspace aliases; a block marked
// `ts needs-shared` is a module of its own and is skipped, visibly, without ../shared. Shell blocks
// are not run, nor `ts norun` blocks (a test file's contents, a line to add to a repository file),
// which are counted and named in the output. A block that throws (the guides assert what they claim) fails its guide.

const dir = path.join(repoRoot, 'docs', 'guides');
const guides = fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort();
const out = path.join(repoRoot, '.tmp', 'guides');

async function runModule(name: string, code: string): Promise<string[]> {
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, `${name}.mts`);
  fs.writeFileSync(file, code);
  const logs: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void logs.push(a.map(String).join(' '));
  try {
    await import(`${pathToFileURL(file).href}?t=${Date.now()}`);
  } finally {
    console.log = log;
  }
  return logs;
}

describe('docs/guides', () => {
  it('the five guides exist, each with runnable code', () => {
    expect(guides).toEqual(['add-a-bijector.md', 'add-a-model.md', 'compose-a-new-flow.md', 'reproduce-stg-nf.md', 'score-your-own-tracks.md']);
  });

  for (const guide of guides) {
    const all = codeBlocks(fs.readFileSync(path.join(dir, guide), 'utf8')).filter((b) => b.lang === 'ts');
    const blocks = all.filter((b) => !/\bnorun\b/.test(b.info));
    const norun = all.filter((b) => /\bnorun\b/.test(b.info));
    const main = blocks.filter((b) => !/\bneeds-shared\b/.test(b.info));
    const shared = blocks.filter((b) => /\bneeds-shared\b/.test(b.info));
    const base = guide.replace(/\.md$/, '');

    it(`${guide}: its code runs`, async () => {
      expect(main.length, `${guide} has no runnable ts block`).toBeGreaterThan(0);
      const logs = await runModule(base, main.map((b) => `// ${guide}:${b.line}\n${b.code}`).join('\n'));
      console.log(`[${guide}] ${logs.join(' | ')}${norun.length ? ` (not run: ${norun.map((b) => `line ${b.line}`).join(', ')}, marked norun)` : ''}`);
    });

    for (const b of shared) {
      it.skipIf(!hasShared)(`${guide}:${b.line} (needs ../shared)`, async () => {
        const logs = await runModule(`${base}-${b.line}`, b.code);
        console.log(`[${guide}:${b.line}] ${logs.join(' | ')}`);
      });
    }
  }
});
