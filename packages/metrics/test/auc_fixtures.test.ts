// Frame-level metrics against scikit-learn 1.2.1 (shared fixture auc_cases.json).
import { describe, expect, it } from 'vitest';
import { averagePrecision, equalErrorRate, MetricsInputError, microMacroAuc, rocAuc } from '@skelflow/metrics';
import { decodeNumber, loadSharedFixture } from './helpers';

interface Case {
  id: string;
  n: number;
  labels: number[];
  scores: Array<number | string>;
  expected: { roc_auc: number; average_precision: number; eer: number };
}
interface MultiCase {
  id: string;
  videos: Array<{ name: string; labels: number[]; scores: number[] }>;
  expected: {
    micro_auc: number;
    micro_average_precision: number;
    micro_eer: number;
    macro_auc: number | null;
    per_video_auc: Record<string, number | null>;
    skipped_videos: string[];
    variants: { macro_auc_ubnormal_padded: number };
  };
}
interface InvalidCase {
  id: string;
  labels: number[];
  scores: Array<number | string>;
}
interface AucFixture {
  cases: Case[];
  multi_video_cases: MultiCase[];
  invalid_cases: InvalidCase[];
}

const fixture = loadSharedFixture<AucFixture>('auc_cases.json');

// The fixture's own tolerance (1e-12 for n <= 1000, 1e-9 above), within the 1e-9.
const tol = (n: number) => (n <= 1000 ? 1e-12 : 1e-9);

describe.skipIf(!fixture)('auc_cases.json (scikit-learn 1.2.1)', () => {
  const f = fixture!;

  it('holds the expected number of cases', () => {
    expect(f.cases.length).toBeGreaterThanOrEqual(30);
    expect(f.multi_video_cases.length).toBeGreaterThanOrEqual(3);
  });

  for (const c of fixture?.cases ?? []) {
    describe(c.id, () => {
      const scores = c.scores.map(decodeNumber);
      it('roc_auc', () => expect(Math.abs(rocAuc(c.labels, scores) - c.expected.roc_auc)).toBeLessThanOrEqual(tol(c.n)));
      it('average_precision', () =>
        expect(Math.abs(averagePrecision(c.labels, scores) - c.expected.average_precision)).toBeLessThanOrEqual(tol(c.n)));
      it('eer', () => expect(Math.abs(equalErrorRate(c.labels, scores) - c.expected.eer)).toBeLessThanOrEqual(tol(c.n)));
      it('gives the same numbers from typed arrays', () => {
        const l = Uint8Array.from(c.labels);
        const s = Float64Array.from(scores);
        expect(rocAuc(l, s)).toBe(rocAuc(c.labels, scores));
        expect(averagePrecision(l, s)).toBe(averagePrecision(c.labels, scores));
        expect(equalErrorRate(l, s)).toBe(equalErrorRate(c.labels, scores));
      });
    });
  }

  for (const c of fixture?.multi_video_cases ?? []) {
    describe(`multi-video ${c.id}`, () => {
      const n = c.videos.reduce((a, v) => a + v.labels.length, 0);
      it('micro and macro AUC, per-video AUCs, skipped videos', () => {
        const r = microMacroAuc(c.videos);
        expect(Math.abs(r.microAuc - c.expected.micro_auc)).toBeLessThanOrEqual(tol(n));
        if (c.expected.macro_auc === null) expect(r.macroAuc).toBeNull();
        else expect(Math.abs(r.macroAuc! - c.expected.macro_auc)).toBeLessThanOrEqual(1e-12);
        expect(r.skippedVideos).toEqual(c.expected.skipped_videos);
        expect(r.perVideo.map((p) => p.name)).toEqual(c.videos.map((v) => v.name));
        for (const p of r.perVideo) {
          const want = c.expected.per_video_auc[p.name];
          if (want === null) expect(p.auc).toBeNull();
          else expect(Math.abs(p.auc! - want)).toBeLessThanOrEqual(1e-12);
        }
      });
      it('micro AP and EER over the concatenated frames', () => {
        const labels = c.videos.flatMap((v) => v.labels);
        const scores = c.videos.flatMap((v) => v.scores);
        expect(Math.abs(averagePrecision(labels, scores) - c.expected.micro_average_precision)).toBeLessThanOrEqual(tol(n));
        expect(Math.abs(equalErrorRate(labels, scores) - c.expected.micro_eer)).toBeLessThanOrEqual(tol(n));
      });
      it('UBnormal padded macro variant', () => {
        const r = microMacroAuc(c.videos, { macro: 'ubnormal-padded' });
        expect(Math.abs(r.macroAuc! - c.expected.variants.macro_auc_ubnormal_padded)).toBeLessThanOrEqual(1e-12);
        expect(r.skippedVideos).toEqual([]);
      });
    });
  }

  for (const c of fixture?.invalid_cases ?? []) {
    it(`invalid input ${c.id} raises MetricsInputError naming the input`, () => {
      const scores = c.scores.map(decodeNumber);
      for (const fn of [rocAuc, equalErrorRate]) {
        let err: unknown;
        try {
          fn(c.labels, scores);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(MetricsInputError);
        const e = err as MetricsInputError;
        expect(['labels', 'scores']).toContain(e.source);
        expect(e.message.startsWith(e.source)).toBe(true);
        if (c.id === 'nan_score') expect(e.location).toBe('index 1');
      }
    });
  }
});
