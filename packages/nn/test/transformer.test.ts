import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { expectThrows, forEachBackend, onBackend, perturbParameters, values, type NdArray } from '@skelflow/testing';
import { AutoregressiveTokenModel, Embedding, LearnedPositions, MultiHeadAttention, TransformerEncoder, causalMask, drawToken, sinusoidalPositions } from '../src/index.js';
import { mhaRef, tokenLogitsRef } from './transformer_reference.js';

// Hand cases of the attention blocks' and the token model's equations (model-cards §2.7 items 1–2),
// on cpu and wasm. The layer contract (transformer_contract.test.ts) covers the blocks' gradients,
// leaks, modes and save/load.

const K = 11; // vocabulary of the small token model
const L = 6; // tokens per sequence

function tokenModel(seed: number, options: { dropout?: number; positions?: 'learned' | 'sinusoidal' } = {}): AutoregressiveTokenModel {
  const m = new AutoregressiveTokenModel({ numTokens: K, maxLength: L, dModel: 8, numHeads: 2, numLayers: 2, dimFeedforward: 16, dropout: options.dropout ?? 0, seed, ...(options.positions ? { positions: options.positions } : {}) });
  perturbParameters(m, `perturb/${seed}`, 0.2);
  return m;
}

function randomTokens(rng: Rng, b: number, l: number, k = K): number[][] {
  return Array.from({ length: b }, () => Array.from({ length: l }, () => rng.int(k)));
}

const int2d = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');

function readState(m: { stateDict(): Map<string, tf.Variable> }): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [n, v] of m.stateDict()) out[n] = { data: Float64Array.from(v.dataSync()), shape: [...v.shape] };
  return out;
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

/** Rows (over the last axis of `[B, T, C]`) of `a` and `b` that are bit-identical, per position t. */
function identicalPositions(a: Float32Array, b: Float32Array, B: number, T: number, C: number): boolean[] {
  return Array.from({ length: T }, (_, t) => {
    for (let s = 0; s < B; s++) for (let c = 0; c < C; c++) if (a[(s * T + t) * C + c] !== b[(s * T + t) * C + c]) return false;
    return true;
  });
}

forEachBackend('@skelflow/nn Transformer hand cases', (backend) => {
  describe('masks and positions', () => {
    it('causalMask is tril(ones)', () => {
      const m = causalMask(4);
      expect(m.arraySync()).toEqual([
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [1, 1, 1, 0],
        [1, 1, 1, 1],
      ]);
      m.dispose();
    });

    it('sinusoidalPositions follows PE(p, 2i) = sin(p/10000^(2i/D)), PE(p, 2i+1) = cos(…) (hand values, D = 6)', () => {
      const pe = sinusoidalPositions(3, 6);
      expect(pe.shape).toEqual([3, 6]);
      // Hand values: 10000^(2/6) = 21.5443469…, 10000^(4/6) = 464.158883…
      const expected = [
        [0, 1, 0, 1, 0, 1],
        [0.8414709848078965, 0.5403023058681398, 0.046399223464731285, 0.9989229760406304, 0.0021544330233656045, 0.9999976792064809],
        [0.9092974268256817, -0.4161468365471424, 0.09269850077872725, 0.9956942241237399, 0.0043088560467428125, 0.9999907168366957],
      ].flat();
      const got = values(pe);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 7);
      pe.dispose();
      const odd = sinusoidalPositions(2, 3); // an odd D ends with a sine column
      expect(values(odd)[5]).toBeCloseTo(Math.sin(1 / Math.pow(10000, 2 / 3)), 7);
      odd.dispose();
      expectThrows(() => sinusoidalPositions(0, 4), ShapeError);
    });

    it('LearnedPositions adds the first T rows of its table', () => {
      const pos = new LearnedPositions(5, 2, { seed: 1 });
      const x = tf.ones([1, 3, 2]);
      const y = pos.call(x);
      const w = values(pos.weight);
      expect(values(y)).toEqual(w.slice(0, 6).map((v) => Math.fround(1 + v)));
      expectThrows(() => pos.table(6), ShapeError);
      tf.dispose([x, y]);
      pos.dispose();
    });
  });

  describe('MultiHeadAttention', () => {
    it('matches the per-head loop reference with causal and key-padding masks, self and cross', () => {
      const rng = new Rng('mha/hand');
      const mha = new MultiHeadAttention(12, 3, { seed: 3 });
      perturbParameters(mha, 'mha/perturb');
      const state = readState(mha);
      const x = normalTensor(rng, [3, 4, 12]);
      const s = normalTensor(rng, [3, 6, 12]);
      const pad = [0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1];
      const padT = tf.tensor2d(pad, [3, 6], 'bool' as never);
      const ndOf = (t: tf.Tensor): NdArray => ({ data: Float64Array.from(t.dataSync()), shape: [...t.shape] });
      const self = mha.attend(x, { causal: true });
      expect(self.weights.shape).toEqual([3, 3, 4, 4]);
      expect(maxRelErr(self.output.dataSync(), mhaRef(ndOf(x), ndOf(x), state, '', { heads: 3, causal: true }))).toBeLessThan(2e-6);
      // Causal weights: zero above the diagonal, rows sum to 1.
      const w = self.weights.arraySync() as number[][][][];
      for (const row of w.flat(2)) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      for (const head of w.flat(1)) for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(head[i]![j]).toBe(0);
      const cross = mha.call(x, { keyValue: s, keyPaddingMask: padT });
      expect(cross.shape).toEqual([3, 4, 12]);
      expect(maxRelErr(cross.dataSync(), mhaRef(ndOf(x), ndOf(s), state, '', { heads: 3, padding: pad }))).toBeLessThan(2e-6);
      tf.dispose([x, s, padT, self.output, self.weights, cross]);
      mha.dispose();
    });

    it('padded keys do not affect the outputs (bit-identical when their values change)', () => {
      const rng = new Rng('mha/pad');
      const mha = new MultiHeadAttention(8, 2, { seed: 4 });
      perturbParameters(mha, 'pad/perturb');
      const pad = tf.tensor2d([[0, 0, 1, 1, 0], [0, 1, 0, 0, 1]]);
      const x = normalTensor(rng, [2, 3, 8]);
      const s = normalTensor(rng, [2, 5, 8]);
      // Replace the padded keys with different values, keep the rest.
      const keep = tf.reshape(tf.sub(1, pad), [2, 5, 1]);
      const s2 = tf.add(tf.mul(s, keep), tf.mul(normalTensor(rng, [2, 5, 8], 0, 10), tf.sub(1, keep)));
      const a = mha.call(x, { keyValue: s, keyPaddingMask: pad });
      const b = mha.call(x, { keyValue: s2, keyPaddingMask: pad });
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      // And the mask matters: without it the outputs move.
      const c = mha.call(x, { keyValue: s2 });
      expect(maxRelErr(c.dataSync(), a.dataSync())).toBeGreaterThan(1e-3);
      // Self-attention through the encoder: unpadded positions ignore padded ones.
      const enc = new TransformerEncoder(8, 2, 2, { seed: 5, dimFeedforward: 16, dropout: 0 });
      perturbParameters(enc, 'enc/perturb');
      const y1 = enc.call(s, { keyPaddingMask: pad });
      const y2 = enc.call(s2, { keyPaddingMask: pad });
      const p = values(pad);
      const v1 = y1.dataSync();
      const v2 = y2.dataSync();
      for (let i = 0; i < 10; i++) if (p[i] === 0) for (let c2 = 0; c2 < 8; c2++) expect(v2[i * 8 + c2]).toBe(v1[i * 8 + c2]);
      tf.dispose([pad, x, s, keep, s2, a, b, c, y1, y2]);
      mha.dispose();
      enc.dispose();
    });

    it('refuses bad shapes and masks with a ShapeError', () => {
      expectThrows(() => new MultiHeadAttention(10, 3), ShapeError);
      const mha = new MultiHeadAttention(4, 2, { seed: 0 });
      const x = tf.zeros([2, 3, 4]);
      const s = tf.zeros([2, 5, 4]);
      expectThrows(() => mha.call(tf.zeros([2, 3, 5])), ShapeError);
      expectThrows(() => mha.call(x, { keyValue: s, causal: true }), ShapeError);
      expectThrows(() => mha.call(x, { keyPaddingMask: tf.zeros([2, 4]) }), ShapeError);
      tf.dispose([x, s]);
      mha.dispose();
    });
  });

  describe('AutoregressiveTokenModel', () => {
    it('follows its equations: logits vs the float64 reference (embedding + positions, causal pre-LN stack, head)', () => {
      const m = tokenModel(1).eval();
      const tokens = randomTokens(new Rng('tok/ref'), 3, L);
      const t = int2d(tokens);
      const logits = m.logits(t);
      expect(logits.shape).toEqual([3, L, K]);
      expect(maxRelErr(logits.dataSync(), tokenLogitsRef(tokens, readState(m), K, 2, 2))).toBeLessThan(5e-6);
      // Teacher forcing: input = [BOS, t_0 … t_{L−2}].
      const input = m.teacherInput(t);
      expect(input.arraySync()).toEqual(tokens.map((r) => [K, ...r.slice(0, L - 1)]));
      // NLL = −log softmax(logits)[t_j], from the logits in float64.
      const nll = m.nll(t);
      const lg = logits.arraySync() as number[][][];
      const expected = tokens.flatMap((r, b) =>
        r.map((tok, j) => {
          const row = lg[b]![j]!;
          const mx = Math.max(...row);
          return mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0)) - row[tok]!;
        }),
      );
      expect(maxRelErr(nll.dataSync(), expected)).toBeLessThan(2e-6);
      const loss = m.loss(t);
      expect(loss.dataSync()[0]).toBeCloseTo(expected.reduce((a, v) => a + v, 0) / expected.length, 5);
      tf.dispose([t, logits, input, nll, loss]);
      m.dispose();
    });

    it('is causal: changing token j never changes the logits that predict t_0…t_j and changes some after', () => {
      const m = tokenModel(2).eval();
      const rng = new Rng('tok/causal');
      const tokens = randomTokens(rng, 2, L);
      const base = int2d(tokens);
      const l0 = m.logits(base);
      const v0 = l0.dataSync() as Float32Array;
      for (let j = 0; j < L - 1; j++) {
        const changed = tokens.map((r) => r.map((v, i) => (i === j ? (v + 1 + rng.int(K - 1)) % K : v)));
        const t = int2d(changed);
        const l1 = m.logits(t);
        const same = identicalPositions(v0, l1.dataSync() as Float32Array, 2, L, K);
        // Logits row p (input position p) predicts t_p from BOS, t_0 … t_{p−1}: rows ≤ j cannot see t_j.
        for (let p = 0; p <= j; p++) expect(same[p], `change t_${j}: logits row ${p} must be bit-identical`).toBe(true);
        expect(same.slice(j + 1).some((s) => !s), `change t_${j}: some row > ${j} must differ`).toBe(true);
        tf.dispose([t, l1]);
      }
      tf.dispose([base, l0]);
      m.dispose();
    });

    it('is causal at the encoder: changing input position j leaves rows < j bit-identical and changes some rows ≥ j', () => {
      const enc = new TransformerEncoder(8, 2, 2, { seed: 9, dimFeedforward: 16, dropout: 0 });
      perturbParameters(enc, 'enc/causal');
      const rng = new Rng('enc/causal/x');
      const x = normalTensor(rng, [2, 5, 8]);
      const y0 = enc.call(x, { causal: true });
      for (let j = 0; j < 5; j++) {
        const bump = tf.tidy(() => tf.add(x, tf.mul(tf.reshape(tf.oneHot(tf.tensor1d([j], 'int32'), 5), [1, 5, 1]), 0.5)));
        const y1 = enc.call(bump, { causal: true });
        const same = identicalPositions(y0.dataSync() as Float32Array, y1.dataSync() as Float32Array, 2, 5, 8);
        for (let p = 0; p < j; p++) expect(same[p], `row ${p} after changing position ${j}`).toBe(true);
        expect(same.slice(j).some((s) => !s)).toBe(true);
        tf.dispose([bump, y1]);
      }
      tf.dispose([x, y0]);
      enc.dispose();
    });

    it('gives NLL = log K exactly with uniform logits (zero head): 6.2383 nats for K = 512, 4.8520 for K = 128', () => {
      for (const k of [512, 128]) {
        const m = new AutoregressiveTokenModel({ numTokens: k, maxLength: 4, dModel: 8, numHeads: 2, numLayers: 1, dropout: 0, seed: 3 });
        tf.tidy(() => m.head.weight.assign(tf.zerosLike(m.head.weight)));
        const t = int2d(randomTokens(new Rng('uniform'), 2, 4, k));
        const nll = m.nll(t);
        for (const v of values(nll)) expect(Math.abs(v - Math.log(k))).toBeLessThan(1e-6);
        expect(Math.log(k)).toBeCloseTo(k === 512 ? 6.2383 : 4.852, 3);
        tf.dispose([t, nll]);
        m.dispose();
      }
    });

    it('hidden states: row j of "predicting" is the state that predicts t_j (= head input of logits row j) and equals row j−1 of "after"', () => {
      const m = tokenModel(4).eval();
      const t = int2d(randomTokens(new Rng('hidden'), 2, L));
      const hp = m.hidden(t);
      const ha = m.hidden(t, { alignment: 'after' });
      expect(hp.shape).toEqual([2, L, 8]);
      expect(ha.shape).toEqual([2, L, 8]);
      const logits = m.logits(t);
      const viaHead = m.head.call(hp);
      expect(maxRelErr(viaHead.dataSync(), logits.dataSync())).toBeLessThan(1e-6);
      const p = hp.arraySync() as number[][][];
      const a = ha.arraySync() as number[][][];
      for (let b = 0; b < 2; b++) for (let j = 1; j < L; j++) expect(maxRelErr(p[b]![j]!, a[b]![j - 1]!)).toBeLessThan(1e-6);
      tf.dispose([t, hp, ha, logits, viaHead]);
      m.dispose();
    });

    it('has finite gradients of every weight that match central finite differences (learned and sinusoidal positions)', () => {
      for (const positions of ['learned', 'sinusoidal'] as const) {
        const m = tokenModel(5, { positions }).eval();
        const t = int2d(randomTokens(new Rng('fd'), 2, 4));
        const loss = () => {
          const l = m.loss(t);
          const v = l.dataSync()[0]!;
          l.dispose();
          return v;
        };
        const params = m.namedParameters();
        const { value, grads } = tf.variableGrads(() => m.loss(t), params.map(([, v]) => v));
        const sel = new Rng(`fd/entries/${positions}`);
        for (const [name, v] of params) {
          const g = grads[v.name];
          expect(g, `no gradient reaches ${name}`).toBeDefined();
          const gv = g!.dataSync();
          for (let i = 0; i < gv.length; i++) expect(Number.isFinite(gv[i]!), `${name}[${i}]`).toBe(true);
          const base = v.dataSync().slice() as Float32Array;
          // Three entries per tensor (the embedding rows of used tokens included: index of the largest gradient).
          let top = 0;
          for (let i = 1; i < gv.length; i++) if (Math.abs(gv[i]!) > Math.abs(gv[top]!)) top = i;
          for (const i of [top, sel.int(base.length), sel.int(base.length)]) {
            const at = (step: number) => {
              const moved = base.slice();
              moved[i] = base[i]! + step;
              tf.tidy(() => v.assign(tf.tensor(moved, v.shape)));
              const l = loss();
              return { l, x: moved[i]! };
            };
            const d = (h: number) => {
              const p = at(h);
              const q = at(-h);
              return (p.l - q.l) / (p.x - q.x);
            };
            const fd = (4 * d(5e-3) - d(1e-2)) / 3;
            tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
            expect(Math.abs(gv[i]! - fd), `${positions}: ∂L/∂${name}[${i}] = ${gv[i]} vs ${fd}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
          }
        }
        tf.dispose([value, ...Object.values(grads), t]);
        m.dispose();
      }
    });

    it('leaks no tensors over logits, nll, loss, hidden, sample and a gradient step', () => {
      const m = tokenModel(6, { dropout: 0.1 });
      const t = int2d(randomTokens(new Rng('leak'), 2, L));
      const round = () => {
        for (const training of [true, false]) {
          m.train(training);
          tf.dispose([m.logits(t), m.nll(t), m.loss(t), m.hidden(t), m.hidden(t, { alignment: 'after' })]);
          const { value, grads } = tf.variableGrads(() => m.loss(t), m.parameters());
          tf.dispose([value, ...Object.values(grads)]);
        }
        m.sample(2, 3, new Rng(1), { topK: 4 }).dispose();
      };
      round();
      const before = tf.memory().numTensors;
      round();
      round();
      expect(tf.memory().numTensors).toBe(before);
      t.dispose();
      m.dispose();
    });

    it('samples reproducibly from a seed; top-1 and temperature 0 are greedy; eval/train mode is restored', () => {
      const m = tokenModel(7, { dropout: 0.1 });
      const a = m.sample(5, L, new Rng(42), { temperature: 1.3, topK: 5 });
      const b = m.sample(5, L, new Rng(42), { temperature: 1.3, topK: 5 });
      expect(m.training).toBe(true);
      expect(a.shape).toEqual([5, L]);
      expect(a.dtype).toBe('int32');
      expect(values(b)).toEqual(values(a));
      for (const v of values(a)) expect(v >= 0 && v < K).toBe(true);
      const g1 = m.sample(3, L, new Rng(1), { topK: 1 });
      const g0 = m.sample(3, L, new Rng(2), { temperature: 0 });
      expect(values(g1)).toEqual(values(g0));
      // Greedy decoding: each token is the argmax of the logits given the tokens before it.
      m.eval();
      const logits = m.logits(g0).arraySync() as number[][][];
      const seqs = g0.arraySync() as number[][];
      seqs.forEach((s, i) => s.forEach((tok, j) => expect(tok).toBe(logits[i]![j]!.indexOf(Math.max(...logits[i]![j]!)))));
      tf.dispose([a, b, g1, g0]);
      m.dispose();
    });

    it('refuses bad tokens and arguments with typed errors', () => {
      const m = tokenModel(8);
      const bad = tf.tensor2d([[0, K]], [1, 2], 'int32');
      expectThrows(() => m.logits(bad), InputError);
      const frac = tf.tensor2d([[0.5, 1]], [1, 2]);
      expectThrows(() => m.nll(frac), InputError);
      const long = tf.zeros([1, L + 1], 'int32');
      expectThrows(() => m.logits(long), ShapeError);
      expectThrows(() => m.sample(1, L + 1, new Rng(0)), InputError);
      expectThrows(() => m.sample(1, 2, new Rng(0), { temperature: -1 }), InputError);
      const emb = new Embedding(3, 2, { seed: 0 });
      const idx = tf.tensor1d([3], 'int32');
      expectThrows(() => emb.call(idx), InputError);
      tf.dispose([bad, frac, long, idx]);
      emb.dispose();
      m.dispose();
    });
  });

  if (backend === 'wasm') {
    it('cpu and wasm draw the same tokens for a seed and agree on logits', async () => {
      const run = () => {
        const m = tokenModel(10);
        const s = m.sample(6, L, new Rng(123), { temperature: 1, topK: 6 });
        const logits = m.logits(s);
        const out = { tokens: values(s), logits: Float32Array.from(logits.dataSync()) };
        tf.dispose([s, logits]);
        m.dispose();
        return out;
      };
      const cpu = await onBackend('cpu', run);
      const wasm = run();
      expect(wasm.tokens).toEqual(cpu.tokens);
      expect(maxRelErr(wasm.logits, cpu.logits)).toBeLessThan(1e-5);
    });
  }
});

describe('drawToken', () => {
  const fixed = (u: number) => ({ uniform: () => u }) as unknown as Rng;
  it('inverts the CDF of softmax(logits / T) over the top k (hand case p = [1/4, 3/4])', () => {
    const logits = [0, Math.log(3)];
    expect(drawToken(logits, 1, 2, fixed(0.24))).toBe(0);
    expect(drawToken(logits, 1, 2, fixed(0.26))).toBe(1);
    // T = 2: p ∝ [1, √3] → p₀ = 0.3660.
    expect(drawToken(logits, 2, 2, fixed(0.36))).toBe(0);
    expect(drawToken(logits, 2, 2, fixed(0.37))).toBe(1);
    // Top-1 keeps only the argmax.
    expect(drawToken(logits, 1, 1, fixed(0.01))).toBe(1);
    expect(drawToken([5, 1, 4, 3], 1, 2, fixed(0.999))).toBe(2);
  });
});
