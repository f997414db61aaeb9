// Issue #14: property-based fuzzing (fast-check, fixed seed, bounded runs) of every reader and CLI
// entry, plus the mutation corpus as a regression set. Rules checked on every input: no
// exit 1 (uncaught), every error one line naming the file at fault, no exit 0 with a non-finite or
// convention-inverted result. Counts: SKELFLOW_FUZZ_REPORT=1 npx vitest run packages/cli/test/fuzz.test.ts
// (SKELFLOW_FUZZ_SCALE=4 runs four times as many cases).
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, parseCheckpointJson } from '@skelflow/core';
import { parseMocapManifest } from '@skelflow/mocap';
import { readAsfAmc, readBvh } from '@skelflow/mocap/node';
import { stgNfFamily } from '@skelflow/stg-nf';
import { hasShared, sharedDir } from '@skelflow/testing';
import { fuzzCli, fuzzReader, summary, tally } from './fuzz/harness.js';
import { bytesPlan, floatPlan, jsonPlan, linesPlan, mutateBytes, mutateFloat, mutateJson, mutateLines } from './fuzz/mutate.js';
import { npyBytes, TINY_CLIPS, TINY_FRAMES, tinyDataset, tinyModel, tmpDir, walkerPerson, type TinyDataset } from './tiny_data.js';

const SEED = 14;
const SCALE = Number(process.env.SKELFLOW_FUZZ_SCALE ?? 1) || 1;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

let d: TinyDataset;
let pca: string;
let stg: string;
let work: string;
let baselineAuc = 0;

/** Exit-0 check of an eval report: every number finite; for data edits, not inverted. */
function evalCheck(report: string, dataEdit: boolean): () => string | undefined {
  return () => {
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    const nums: unknown[] = [r.auc.raw, r.auc.smoothed, r.fillValue];
    for (const c of r.clips) nums.push(...c.frameScores.raw, ...(c.frameScores.smoothed ?? []), ...c.segments.map((s: { score: number }) => s.score));
    const bad = nums.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) return `non-finite number in the report (${String(nums[bad])})`;
    if (r.auc.raw < 0 || r.auc.raw > 1) return `AUC ${r.auc.raw} outside [0, 1]`;
    if (dataEdit && r.auc.raw < 0.5) return `AUC ${r.auc.raw} below 0.5 (baseline ${baselineAuc}): inverted`;
    return undefined;
  };
}

/** Writes `data` over `file`, runs `fn`, restores the original. */
async function withEdit(file: string, data: string | Uint8Array, fn: () => Promise<void> | void): Promise<void> {
  const orig = fs.readFileSync(file);
  fs.writeFileSync(file, data);
  try {
    await fn();
  } finally {
    fs.writeFileSync(file, orig);
  }
}

const evalArgv = (model: string, report: string, extra: string[] = []) => ['eval', '--model', model, '--poses', d.poses, '--gt', d.gt, '--out', report, '--force', '--backend', 'cpu', ...extra];
const numbersCheck = (stdout: string): string | undefined => {
  const o = JSON.parse(stdout) as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (typeof v !== 'number' || !Number.isFinite(v)) return `${k} = ${String(v)}`;
  return undefined;
};

// ----------------------------------------------------------------- hand-made mocap and metrics inputs
const ASF = `:version 1.10
:name t
:units
  mass 1.0
  length 1.0
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name lfemur
     direction 0.34 -0.94 0
     length 7
     axis 0 0 20 XYZ
     dof rx ry rz
     limits (-160.0 20.0)
            (-70.0 70.0)
            (-60.0 70.0)
  end
  begin
     id 2
     name ltibia
     direction 0.34 -0.94 0
     length 7.2
     axis 0 0 20 XYZ
     dof rx
     limits (-10.0 170.0)
  end
:hierarchy
  begin
    root lfemur
    lfemur ltibia
  end
`;
const AMC = [':FULLY-SPECIFIED', ':DEGREES', ...Array.from({ length: 6 }, (_, f) => [`${f + 1}`, `root ${f * 0.5} 17 ${-f} -1.5 ${2 * f} 0.3`, `lfemur ${-10 + f} 3 4`, `ltibia ${12 + f}`]).flat()].join('\n') + '\n';
const BVH = [
  'HIERARCHY', 'ROOT Hips', '{', '  OFFSET 0 0 0', '  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation',
  '  JOINT LeftUpLeg', '  {', '    OFFSET 10 0 0', '    CHANNELS 3 Zrotation Xrotation Yrotation', '    End Site', '    {', '      OFFSET 0 -40 0', '    }', '  }', '}',
  'MOTION', 'Frames: 4', 'Frame Time: 0.0333333', '0 90 0 0 0 0 0 0 0', '1 90 0 5 0 0 10 0 0', '2 91 0 10 0 0 20 0 0', '3 91 1 15 0 0 30 0 0',
].join('\n') + '\n';
const TRACKS = '0,10,5,5,40,80\n0,11,6,5,41,80\n0,12,7,5,42,80\n1,30,100,20,140,90\n';
const DETECTIONS = '10,5,5,40,80,0.9\n11,6,5,41,80,0.8\n12,90,90,120,120,0.4\n30,100,20,140,90,0.7\n45,0,0,10,10,0.2\n';
const CKPT = JSON.stringify({
  args: { K: 1 },
  state_dict: {
    'flow.w': { shape: [2, 3], dtype: 'float32', data: [1, 2, 3, 4, 5, 6] },
    'flow.n': { shape: [], dtype: 'int64', data: [7] },
  },
});

const cocoMap = (a: string, b: string, c: string) => ({
  left_shoulder: c, right_shoulder: b, left_elbow: c, right_elbow: b, left_wrist: c, right_wrist: b,
  left_hip: b, right_hip: a, left_knee: b, right_knee: a, left_ankle: c, right_ankle: a, head: c, headBase: a, headEnd: c,
});
const ASF_COCO = { cocoMap: cocoMap('root', 'lfemur', 'ltibia') };
const BVH_COCO = { cocoMap: cocoMap('Hips', 'LeftUpLeg', 'LeftUpLeg_end') };

const finiteArray = (a: ArrayLike<number>) => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return `non-finite value ${a[i]} at ${i}`;
  return undefined;
};

beforeAll(async () => {
  await initBackend('cpu');
  d = tinyDataset();
  work = tmpDir('skelflow-fuzz-');
  pca = await tinyModel(path.join(work, 'pca'));
  stg = path.join(work, 'stg');
  const m = stgNfFamily.create(stgNfFamily.configure({ K: 2 }));
  await m.save(stg);
  m.dispose();
  const report = path.join(work, 'baseline.json');
  const out: string[] = [];
  const code = await import('@skelflow/cli').then((c) => c.runCli(evalArgv(pca, report), { stdout: (s) => void out.push(s), stderr: (s) => void out.push(s) }));
  expect(code, out.join('')).toBe(0);
  baselineAuc = JSON.parse(fs.readFileSync(report, 'utf8')).auc.raw;
  fs.writeFileSync(path.join(work, 'l.json'), JSON.stringify([0, 0, 1, 1, 0, 1, 0, 1]));
  fs.writeFileSync(path.join(work, 's.json'), JSON.stringify([0.1, 0.3, 0.8, 0.7, 0.2, 0.9, 0.4, 0.35]));
  fs.writeFileSync(path.join(work, 's.npy'), npyBytes([0.1, 0.3, 0.8, 0.7, 0.2, 0.9, 0.4, 0.35], '<f8'));
  for (const sub of ['t', 'd']) fs.mkdirSync(path.join(work, sub));
  fs.writeFileSync(path.join(work, 't', 'v1.txt'), TRACKS);
  fs.writeFileSync(path.join(work, 'd', 'v1.txt'), DETECTIONS);
  fs.writeFileSync(path.join(work, 't.asf'), ASF);
  fs.writeFileSync(path.join(work, 't.amc'), AMC);
  fs.writeFileSync(path.join(work, 't.bvh'), BVH);
  fs.writeFileSync(path.join(work, 'ckpt.json'), CKPT);
});

afterAll(() => {
  if (process.env.SKELFLOW_FUZZ_REPORT) {
    console.log(summary());
    for (const l of [...tally.exit1, ...tally.unnamed, ...tally.silentWrong]) console.log(`  ${l}`);
  }
});

const prop = <T>(arb: fc.Arbitrary<T>, n: number, body: (plan: T) => Promise<void> | void) =>
  fc.assert(fc.asyncProperty(arb, async (plan) => (await body(plan), true)), { seed: SEED, numRuns: runs(n) });

describe('fuzz: skelflow eval', () => {
  it('the clean baseline scores well above chance (so an inversion would show)', () => {
    expect(baselineAuc).toBeGreaterThan(0.8);
  });

  it('pose JSON: structural and byte mutations', async () => {
    const report = path.join(work, 'r-pose.json');
    await prop(fc.tuple(fc.nat(2), fc.oneof(jsonPlan.map((p) => ({ json: p })), bytesPlan.map((p) => ({ bytes: p })))), 70, async ([c, m]) => {
      const file = d.poseFile(TINY_CLIPS[c]!);
      const text = fs.readFileSync(file, 'utf8');
      const edited = 'json' in m ? mutateJson(text, m.json) : mutateBytes(Buffer.from(text), m.bytes);
      await withEdit(file, edited, () => fuzzCli('pose-json', JSON.stringify(m), evalArgv(pca, report), file, evalCheck(report, true)));
    });
  });

  it('.npy masks: header, byte and value mutations', async () => {
    const report = path.join(work, 'r-mask.json');
    await prop(fc.tuple(fc.nat(2), fc.oneof(bytesPlan.map((p) => ({ bytes: p })), fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }).map((p) => ({ value: p })), fc.constantFrom("'<f8'", "'|b1'", "'<i8'", "'>u1'", "'|u2'", '(60, 1)', '(61,)', '(0,)', '()').map((h) => ({ header: h })))), 40, async ([c, m]) => {
      const file = d.maskFile(TINY_CLIPS[c]!);
      const bytes = fs.readFileSync(file);
      let edited: Uint8Array;
      if ('bytes' in m) edited = mutateBytes(bytes, m.bytes);
      else if ('value' in m) {
        edited = Buffer.from(bytes);
        edited[bytes.length - TINY_FRAMES + (m.value.at % TINY_FRAMES)] = m.value.byte;
      } else {
        const text = bytes.toString('latin1');
        edited = Buffer.from(m.header.startsWith("'") ? text.replace("'|u1'", m.header) : text.replace(`(${TINY_FRAMES},)`, m.header.padEnd(`(${TINY_FRAMES},)`.length)), 'latin1');
      }
      await withEdit(file, edited, () => fuzzCli('npy-mask', JSON.stringify(m), evalArgv(pca, report), file, evalCheck(report, true)));
    });
  });

  it('model folders (pca-gaussian, stg-nf): config.json, model.json, params.bin, weights.bin', async () => {
    const report = path.join(work, 'r-model.json');
    const files = [
      [pca, 'config.json'], [pca, 'params.bin'], [stg, 'config.json'], [stg, 'model.json'], [stg, 'weights.bin'],
    ] as const;
    await prop(fc.tuple(fc.nat(files.length - 1), jsonPlan, bytesPlan, floatPlan, fc.boolean()), 60, async ([k, jp, bp, fp, structural]) => {
      const [dir, name] = files[k]!;
      const file = path.join(dir, name);
      const orig = fs.readFileSync(file);
      const edited = name.endsWith('.json') ? (structural ? mutateJson(orig.toString('utf8'), jp) : mutateBytes(orig, bp)) : structural ? mutateFloat(orig, 0, fp) : mutateBytes(orig, bp);
      const what = `${name} ${JSON.stringify(name.endsWith('.json') ? (structural ? jp : bp) : structural ? fp : bp)}`;
      await withEdit(file, edited, () => fuzzCli('model-folder', what, evalArgv(dir, report), dir, evalCheck(report, false)));
    });
  });

  it.skipIf(!hasShared)('STG-NF checkpoint JSON (the released ShanghaiTech one, from ../shared)', async () => {
    const ckpt = path.join(work, 'ShanghaiTech_85_9.json');
    fs.copyFileSync(path.join(sharedDir, 'data/stgnf/checkpoints/ShanghaiTech_85_9.json'), ckpt);
    const report = path.join(work, 'r-ckpt.json');
    await prop(fc.oneof(jsonPlan.map((p) => ({ json: p })), bytesPlan.map((p) => ({ bytes: p }))), 30, async (m) => {
      const text = fs.readFileSync(ckpt, 'utf8');
      const edited = 'json' in m ? mutateJson(text, m.json) : mutateBytes(Buffer.from(text), m.bytes);
      await withEdit(ckpt, edited, () => fuzzCli('checkpoint-json', JSON.stringify(m), evalArgv(ckpt, report), ckpt, evalCheck(report, false)));
    });
  });

  it('flags: hostile numbers for --batch and --seg-len', async () => {
    const report = path.join(work, 'r-flags.json');
    await prop(fc.tuple(fc.constantFrom('--batch', '--seg-len'), fc.constantFrom('0', '-1', '1e309', 'NaN', '1.5', '', 'x', '99999999999', '12')), 12, async ([flag, v]) => {
      await fuzzCli('flags', `${flag} ${v}`, evalArgv(pca, report, [flag, v]), flag, evalCheck(report, true));
    });
  });
});

describe('fuzz: skelflow train', () => {
  it('training pose JSON (stg-nf, one epoch, K = 1)', async () => {
    let k = 0;
    await prop(fc.tuple(fc.nat(2), fc.oneof(jsonPlan.map((p) => ({ json: p })), bytesPlan.map((p) => ({ bytes: p })))), 16, async ([c, m]) => {
      const file = d.poseFile(TINY_CLIPS[c]!);
      const text = fs.readFileSync(file, 'utf8');
      const edited = 'json' in m ? mutateJson(text, m.json) : mutateBytes(Buffer.from(text), m.bytes);
      const out = path.join(work, `train-${k++}`);
      await withEdit(file, edited, () =>
        fuzzCli('train', JSON.stringify(m), ['train', '--model', 'stg-nf', '--poses', d.poses, '--out', out, '--backend', 'cpu', '--epochs', '1', '--K', '1'], file, (stdout) => {
          const loss = /final loss (\S+)/.exec(stdout)?.[1];
          return loss !== undefined && Number.isFinite(Number(loss)) ? undefined : `final loss ${loss}`;
        }),
      );
    });
  });
});

describe('fuzz: skelflow stream', () => {
  it('pose JSON through the streaming scorer', async () => {
    await prop(jsonPlan, 20, async (p) => {
      const file = d.poseFile(TINY_CLIPS[0]);
      await withEdit(file, mutateJson(fs.readFileSync(file, 'utf8'), p), () =>
        fuzzCli('stream', JSON.stringify(p), ['stream', '--model', pca, '--poses', file, '--backend', 'cpu'], file, (stdout) => {
          for (const line of stdout.split('\n').filter(Boolean)) {
            const n = JSON.parse(line).normality;
            if (typeof n !== 'number' || !Number.isFinite(n)) return `normality ${String(n)}`;
          }
          return undefined;
        }),
      );
    });
  });
});

describe('fuzz: skelflow metrics', () => {
  it('labels / scores arrays (JSON and .npy)', async () => {
    const files = ['l.json', 's.json', 's.npy'];
    await prop(fc.tuple(fc.nat(2), jsonPlan, bytesPlan, floatPlan, fc.boolean()), 60, async ([k, jp, bp, fp, structural]) => {
      const name = files[k]!;
      const file = path.join(work, name);
      const orig = fs.readFileSync(file);
      const edited = name.endsWith('.json') ? (structural ? mutateJson(orig.toString('utf8'), jp) : mutateBytes(orig, bp)) : structural ? mutateFloat(orig, 128, fp) : mutateBytes(orig, bp);
      const scores = path.join(work, name === 's.npy' ? 's.npy' : 's.json');
      await withEdit(file, edited, () => fuzzCli('metrics-arrays', `${name} ${JSON.stringify(structural ? (name.endsWith('.json') ? jp : fp) : bp)}`, ['metrics', '--labels', path.join(work, 'l.json'), '--scores', scores], file, numbersCheck));
    });
  });

  it('RBDC/TBDC track and detection files', async () => {
    await prop(fc.tuple(fc.constantFrom('t', 'd'), linesPlan), 60, async ([sub, p]) => {
      const file = path.join(work, sub, 'v1.txt');
      await withEdit(file, mutateLines(fs.readFileSync(file, 'utf8'), p), () =>
        fuzzCli('rbdc-tbdc', `${sub} ${JSON.stringify(p)}`, ['metrics', '--tracks', path.join(work, 't'), '--detections', path.join(work, 'd'), '--frames', '200'], file, numbersCheck),
      );
    });
  });
});

describe('fuzz: motion capture and checkpoint readers', () => {
  const clipCheck = (c: { joints: ArrayLike<number>; coco: ArrayLike<number> }) => finiteArray(c.joints) ?? finiteArray(c.coco);

  it('ASF and AMC', async () => {
    await prop(fc.tuple(fc.constantFrom('t.asf', 't.amc'), linesPlan), 60, ([name, p]) => {
      const file = path.join(work, name);
      return withEdit(file, mutateLines(fs.readFileSync(file, 'utf8'), p), () =>
        fuzzReader('asf-amc', `${name} ${JSON.stringify(p)}`, file, () => readAsfAmc(path.join(work, 't.asf'), path.join(work, 't.amc'), ASF_COCO), clipCheck),
      );
    });
  });

  it('BVH', async () => {
    await prop(linesPlan, 50, (p) => {
      const file = path.join(work, 't.bvh');
      return withEdit(file, mutateLines(fs.readFileSync(file, 'utf8'), p), () => fuzzReader('bvh', JSON.stringify(p), file, () => readBvh(file, BVH_COCO), clipCheck));
    });
  });

  it('mocap-dataset manifest (packages/mocap/manifests/cmu-02-03.json)', async () => {
    const file = path.resolve(__dirname, '../../mocap/manifests/cmu-02-03.json');
    const text = fs.readFileSync(file, 'utf8');
    await prop(fc.oneof(jsonPlan.map((p) => ({ json: p })), bytesPlan.map((p) => ({ bytes: p }))), 40, (m) => {
      const edited = 'json' in m ? mutateJson(text, m.json) : Buffer.from(mutateBytes(Buffer.from(text), m.bytes)).toString('utf8');
      fuzzReader('mocap-manifest', JSON.stringify(m), file, () => parseMocapManifest(edited, file), () => undefined);
    });
  });

  it('checkpoint JSON reader', async () => {
    await prop(fc.oneof(jsonPlan.map((p) => ({ json: p })), bytesPlan.map((p) => ({ bytes: p }))), 40, (m) => {
      const file = path.join(work, 'ckpt.json');
      const edited = 'json' in m ? mutateJson(CKPT, m.json) : Buffer.from(mutateBytes(Buffer.from(CKPT), m.bytes)).toString('utf8');
      fuzzReader('checkpoint-reader', JSON.stringify(m), file, () => parseCheckpointJson(edited.toString(), file), (ck) => {
        for (const [name, t] of ck.tensors) {
          const p = finiteArray(t.data);
          if (p) return `${name}: ${p}`;
        }
        return undefined;
      });
    });
  });
});

describe('fuzz: the mutation corpus of issue #14 (regression set)', () => {
  it('every case of the issue in this scope is an error naming its file, or an explicit warning', async () => {
    const report = path.join(work, 'r-corpus.json');
    const exit0Before = tally.exit0;
    const poseCase = async (what: string, edit: (p: Record<string, Record<string, { keypoints: number[]; scores: number }>>) => void) => {
      const file = d.poseFile('01_0002');
      const p = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(p);
      await withEdit(file, JSON.stringify(p), () => fuzzCli('corpus', what, evalArgv(pca, report), file, evalCheck(report, true)));
    };
    await poseCase('nose x = 1e30', (p) => void (p['1']!['0010']!.keypoints[0] = 1e30));
    await poseCase('a value of 1e39', (p) => void (p['2']!['0005']!.keypoints[7] = 1e39));
    const dupFile = d.poseFile('01_0003');
    await withEdit(dupFile, fs.readFileSync(dupFile, 'utf8').replace(/^\{/, `{"1": ${JSON.stringify(walkerPerson(TINY_FRAMES))}, `), () =>
      fuzzCli('corpus', 'duplicated person key', evalArgv(pca, report), dupFile, evalCheck(report, true)),
    );
    const mask = d.maskFile('01_0001');
    await withEdit(mask, npyBytes(Array.from({ length: TINY_FRAMES }, (_, f) => (f >= TINY_FRAMES / 2 ? 0 : 1)), '<f8'), () =>
      fuzzCli('corpus', 'float mask, 1 = normal, default convention', evalArgv(pca, report), mask, evalCheck(report, true)),
    );
    await fuzzCli('corpus', 'uint8 masks under --gt-convention ubnormal', evalArgv(pca, report, ['--gt-convention', 'ubnormal']), d.gt, evalCheck(report, true));
    const pose = d.poseFile('01_0001');
    await withEdit(pose, '', async () => {
      fs.rmSync(pose);
      await fuzzCli('corpus', 'mask without a pose file, --strict', evalArgv(pca, report, ['--strict']), mask, evalCheck(report, true));
    });
    const params = path.join(pca, 'params.bin');
    await withEdit(params, mutateFloat(fs.readFileSync(params), 0, { at: 3, value: NaN, width: 8 }), () =>
      fuzzCli('corpus', 'NaN in the model parameters', evalArgv(pca, report), pca, evalCheck(report, false)),
    );
    const det = path.join(work, 'd', 'v1.txt');
    await withEdit(det, `${DETECTIONS}-1,0,0,10,10,0.5\n`, () =>
      fuzzCli('corpus', 'detection at frame -1', ['metrics', '--tracks', path.join(work, 't'), '--detections', path.join(work, 'd'), '--frames', '200'], det, numbersCheck),
    );
    await fuzzCli('corpus', '--frames smaller than the data', ['metrics', '--tracks', path.join(work, 't'), '--detections', path.join(work, 'd'), '--frames', '20'], '--frames', numbersCheck);
    const scores = path.join(work, 's.json');
    await withEdit(scores, `[0.1, ${'['.repeat(200_000)}${']'.repeat(200_000)}, 0.8, 0.7, 0.2, 0.9, 0.4, 0.35]`, () =>
      fuzzCli('corpus', '200k-deep nested scores array', ['metrics', '--labels', path.join(work, 'l.json'), '--scores', scores], scores, numbersCheck),
    );
    const amc = path.join(work, 't.amc');
    const asf = path.join(work, 't.asf');
    const clip = () => readAsfAmc(asf, amc, ASF_COCO);
    await withEdit(amc, AMC.replace('root 1 17 -2', 'root 1e300 17 -2'), () => fuzzReader('corpus', 'AMC root value 1e300', amc, clip, () => undefined));
    await withEdit(amc, AMC.replace('\n3\n', '\n2\n'), () => fuzzReader('corpus', 'duplicate AMC frame number', amc, clip, () => undefined));
    await withEdit(asf, ASF.replace('     axis 0 0 20 XYZ\n     dof rx\n', '     dof rx\n'), () => fuzzReader('corpus', 'ASF bone without axis', asf, clip, () => undefined));
    const bvh = path.join(work, 't.bvh');
    await withEdit(bvh, BVH.replace('3 91 1 15', '1e300 91 1 15'), () => fuzzReader('corpus', 'BVH value 1e300', bvh, () => readBvh(bvh, BVH_COCO), () => undefined));
    const deep = ['HIERARCHY', 'ROOT j0', '{', 'OFFSET 0 0 0', 'CHANNELS 3 Xrotation Yrotation Zrotation'];
    for (let i = 1; i < 50_000; i++) deep.push(`JOINT j${i}`, '{', 'OFFSET 0 1 0', 'CHANNELS 3 Xrotation Yrotation Zrotation');
    for (let i = 0; i < 50_000; i++) deep.push('}');
    await withEdit(bvh, [...deep, 'MOTION', 'Frames: 0', 'Frame Time: 0.04'].join('\n'), () => fuzzReader('corpus', 'BVH with 50k nested joints', bvh, () => readBvh(bvh), () => undefined));
    // Every corpus case is a clean error (none may pass).
    expect(tally.byTarget.corpus).toBe(15);
    expect(tally.exit0).toBe(exit0Before);
  });
});

describe('fuzz: totals', () => {
  it('no exit 1, every error names its file, no silent wrong result', () => {
    expect(tally.inputs).toBeGreaterThan(400 * Math.min(SCALE, 1));
    expect(tally.exit1).toEqual([]);
    expect(tally.unnamed).toEqual([]);
    expect(tally.silentWrong).toEqual([]);
  });
});
