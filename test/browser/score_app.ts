// The bundled app of test/browser.test.ts: exposes the fixture on window for the page script.
import { scoreFixture } from './score_fixture.js';

declare global {
  interface Window {
    skelflowScore: typeof scoreFixture;
  }
}
window.skelflowScore = scoreFixture;
document.title = 'skelflow: ready';
