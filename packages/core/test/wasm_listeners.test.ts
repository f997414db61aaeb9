import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@skelflow/testing';

// The wasm backend's Emscripten runtime installs process-wide uncaughtException/unhandledRejection
// listeners that turn any error of the user's program into exit code 7 with a wasm-headed trace.
// After initBackend('wasm') a program's own error must exit 1 with its own stack. Run as a child
// process: the listeners are process-wide, and vitest installs its own.
const core = path.join(repoRoot, 'packages/core/src/index.ts');

function runScript(body: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-listeners-'));
  const file = path.join(dir, 'user_program.mts');
  fs.writeFileSync(file, `import { initBackend } from ${JSON.stringify(core)};\nconst used = await initBackend('wasm');\nconsole.log('backend', used);\n${body}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  fs.rmSync(dir, { recursive: true, force: true });
  return r;
}

describe('the wasm backend leaves the process error handling alone', () => {
  it('an uncaught error of the program exits 1 with its own message and stack', () => {
    const r = runScript(`function usersOwnFunction() { throw new Error('the user broke it'); }\nsetTimeout(usersOwnFunction, 0);`);
    expect(r.stdout).toContain('backend wasm');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the user broke it');
    expect(r.stderr).toContain('usersOwnFunction');
    // The trace is the program's: the first stack frame is in user_program, not the wasm bundle.
    const firstFrame = r.stderr.split('\n').find((l) => l.trim().startsWith('at '));
    expect(firstFrame).toContain('user_program');
    expect(r.stderr).not.toMatch(/tf-backend-wasm/);
  });

  it('an unhandled rejection exits 1 with its own message', () => {
    const r = runScript(`Promise.reject(new Error('rejected by the user'));`);
    expect(r.stdout).toContain('backend wasm');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('rejected by the user');
    expect(r.stderr).not.toMatch(/tf-backend-wasm/);
  });

  it('the program can still install its own handler, and it is the only one', () => {
    const r = runScript(
      `console.log('listeners', process.listeners('uncaughtException').length, process.listeners('unhandledRejection').length);\n` +
        `process.on('uncaughtException', (e) => { console.log('handled', e.message); process.exit(0); });\nsetTimeout(() => { throw new Error('mine'); }, 0);`,
    );
    expect(r.stdout).toContain('listeners 0 0');
    expect(r.stdout).toContain('handled mine');
    expect(r.status).toBe(0);
  });
});
