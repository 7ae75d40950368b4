import * as tf from '@tensorflow/tfjs-core';
import { GruSequenceFinal, LstmSequenceFinal, type RecurrenceAttrs, recurrence, recurrenceGrad, setBackend, setFusedKernelsEnabled } from '@basicrnn/core';
import { GATED_FOLD_DEFAULT, LSTM_SPLIT_DEFAULT, setGatedFoldMinSize, setLstmSplitMinWork } from './gated_sequence.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { programsRunBy } from '../test/programs_run_by.js';

// Shader programs per fused LSTM / GRU call, counted at the backend (every runWebGLProgram call), as
// program_counts.browser.test.ts does for SimpleRNN: a fused kernel is one entry in tf.profile.

function tally(programs: string[]): string {
  const counts = new Map<string, number>();
  for (const name of programs) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name}×${n}`).join(', ');
}

/**
 * Programs per call, H even (4), 16 texture units:
 * - forward: `perStep`·T (one step program; two for GRU without resetAfter) + `forward` fixed ones (the input
 *   projection; LSTM: h and c out of the state layout; GRU resetAfter: its bias rows) + one stack per 16 steps
 *   (the [B, W] states copied into a chunk) + the chunk gathers;
 * - backward: `perStep`·T (T-1 carry steps and dh0; GRU without resetAfter: d(r⊙h) too) + `backward` fixed ones
 *   (x and the previous states time-major, gates (x·W + b recomputed inside them, no projection program), factors,
 *   g_{T-1}, the gate gradients, dx, dW, dU, db, and the outputs' layouts) + one stack per 16 carry steps + the chunk gathers.
 * `oddH`: the extra programs with H odd (gate blocks padded to even width, weight gradients unpadded).
 * `gathers`: per T, forward and backward (chunks of 16 steps, merged 16 at a time: linear in T).
 * From T·B' = 1,024 rows the backward adds 3 (x, h_{s-1} and the gate gradients transposed for dW and dU; GRU
 * without resetAfter 4: r⊙h_{s-1} too).
 */
const stacks = (steps: number) => Math.ceil(steps / 16);
type Form = {
  cell: 'lstm' | 'gru';
  resetAfter: boolean;
  label: string;
  perStep: number;
  forward: number;
  backward: number;
  oddH: [number, number];
  gathers: Record<number, [number, number]>;
  /** GRU without resetAfter: gathers of the steps' d(r⊙h) [B, T, H], per T. */
  resetGathers?: Record<number, number>;
};
const FORMS: Form[] = [
  { cell: 'lstm', resetAfter: false, label: 'lstm', perStep: 1, forward: 3, backward: 14, oddH: [3, 5], gathers: { 1: [0, 0], 20: [1, 1], 250: [1, 2], 1000: [5, 5] } },
  { cell: 'gru', resetAfter: true, label: 'gru resetAfter', perStep: 1, forward: 3, backward: 13, oddH: [2, 4], gathers: { 1: [0, 0], 20: [1, 1], 250: [1, 2], 1000: [5, 5] } },
  { cell: 'gru', resetAfter: false, label: 'gru resetAfter false', perStep: 2, forward: 1, backward: 12, oddH: [3, 5], gathers: { 1: [0, 0], 20: [1, 1], 250: [1, 2], 1000: [5, 5] }, resetGathers: { 1: 0, 20: 1, 250: 1, 1000: 5 } },
];

async function counts(form: Form, steps: number, hidden: number, batch = 2, input = 2) {
  const g = form.cell === 'lstm' ? 4 : 3;
  const t = tf.tidy(() => ({
    x: tf.randomUniform([batch, steps, input], -1, 1, 'float32', 1),
    kernel: tf.randomUniform([input, g * hidden], -0.5, 0.5, 'float32', 2),
    recurrentKernel: tf.randomUniform([hidden, g * hidden], -0.3, 0.3, 'float32', 3),
    bias: form.resetAfter ? tf.randomUniform([2, g * hidden], -0.1, 0.1, 'float32', 4) : tf.randomUniform([g * hidden], -0.1, 0.1, 'float32', 4),
    h0: tf.zeros([batch, hidden]),
    ...(form.cell === 'lstm' ? { c0: tf.zeros([batch, hidden]) } : {}),
    mask: tf.ones([batch, steps]),
  }));
  const upstream = tf.tidy(() => ({
    dh: tf.randomUniform([batch, steps, hidden], -1, 1, 'float32', 5),
    ...(form.cell === 'lstm' ? { dc: tf.randomUniform([batch, steps, hidden], -1, 1, 'float32', 6) } : {}),
  }));
  const attrs: RecurrenceAttrs = { cell: form.cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: form.resetAfter };
  // Warm up (uploads, compiles), then count.
  tf.dispose(Object.values(recurrence(t, attrs)));
  const forward = await programsRunBy(() => recurrence(t, attrs));
  // recurrenceGrad runs the forward too (no tape): count the backward kernel alone as the difference.
  tf.dispose(Object.values(recurrenceGrad(t, attrs, upstream)));
  const both = await programsRunBy(() => recurrenceGrad(t, attrs, upstream));
  const backward = both.programs.slice(forward.programs.length);
  expect(both.programs.slice(0, forward.programs.length)).toEqual(forward.programs);
  tf.dispose([...Object.values(forward.result), ...Object.values(both.result), ...Object.values(t), ...Object.values(upstream)]);
  return { forward: forward.programs, backward };
}

describe('fused webgl LSTM / GRU kernels: shader programs per call', () => {
  beforeAll(async () => {
    await setBackend('webgl');
    setFusedKernelsEnabled(true);
  });
  afterAll(() => setFusedKernelsEnabled(true));

  it('lstm split steps (B·H² ≥ 65,536) T=20: forward and backward TWO programs per step', async () => {
    setLstmSplitMinWork(0);
    try {
      const plain = FORMS[0]!;
      const c = await counts(plain, 20, 4);
      console.log(`[programs] lstm split T=20: forward ${c.forward.length} (${tally(c.forward)}), backward ${c.backward.length} (${tally(c.backward)})`);
      // The one-program counts plus one more program per step: c' then [h, c] forward, dz then the carry backward.
      expect(c.backward.length).toBe(2 * 20 + plain.backward + stacks(19) + 1);
      expect(c.backward.filter((n) => n === 'LstmGateGradProgram')).toHaveLength(20);
      expect(c.backward.filter((n) => n === 'LstmSplitCarryProgram')).toHaveLength(20);
      expect(c.backward.filter((n) => n === 'GatedCarryProgram')).toHaveLength(0);
    } finally {
      setLstmSplitMinWork(LSTM_SPLIT_DEFAULT);
    }
  });

  for (const form of FORMS) {
    for (const fold of [false, true]) {
      it(`${form.label} T=20${fold ? ', x·W + b in the steps' : ''}: the final-states kernel runs ${form.perStep}·T + ${form.forward}${fold ? ' - 1' : ''} programs (no stack, no gather)`, async () => {
        const [batch, steps, hidden, input] = [2, 20, 4, 2];
        const g = form.cell === 'lstm' ? 4 : 3;
        const before = tf.memory().numTensors;
        const t = tf.tidy(() => ({
          x: tf.randomUniform([batch, steps, input], -1, 1, 'float32', 1),
          kernel: tf.randomUniform([input, g * hidden], -0.5, 0.5, 'float32', 2),
          recurrentKernel: tf.randomUniform([hidden, g * hidden], -0.3, 0.3, 'float32', 3),
          bias: form.resetAfter ? tf.randomUniform([2, g * hidden], -0.1, 0.1, 'float32', 4) : tf.randomUniform([g * hidden], -0.1, 0.1, 'float32', 4),
        }));
        const attrs = { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: form.resetAfter };
        const finalName = form.cell === 'lstm' ? LstmSequenceFinal : GruSequenceFinal;
        const call = () => [tf.engine().runKernel(finalName, t, attrs)].flat() as tf.Tensor[];
        setGatedFoldMinSize(fold ? 0 : Infinity);
        try {
          tf.dispose(call());
          const c = await programsRunBy(call);
          console.log(`[programs] ${form.label} final T=20${fold ? ' fold' : ''}: ${c.programs.length} (${tally(c.programs)})`);
          // The projection program (none with the fold), the steps, and the fixed ones: LSTM h and c out of the
          // last [h, c] state, GRU resetAfter its bias rows.
          expect(c.programs.length).toBe(form.perStep * steps + form.forward - (fold ? 1 : 0));
          expect(c.programs.filter((n) => n === 'GatedStepProgram')).toHaveLength(form.perStep * steps);
          expect(c.programs.filter((n) => n === 'InputProjectionProgram')).toHaveLength(fold ? 0 : 1);
          tf.dispose([...c.result, ...Object.values(t)]);
        } finally {
          setGatedFoldMinSize(GATED_FOLD_DEFAULT);
        }
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it(`${form.label} T=20, x·W + b in the steps: forward one program fewer, backward the same`, async () => {
      const plain = await counts(form, 20, 4);
      setGatedFoldMinSize(0);
      try {
        const folded = await counts(form, 20, 4);
        expect(folded.forward).toEqual(plain.forward.filter((n) => n !== 'InputProjectionProgram'));
        expect(plain.forward.filter((n) => n === 'InputProjectionProgram')).toHaveLength(1);
        expect(folded.backward).toEqual(plain.backward);
      } finally {
        setGatedFoldMinSize(GATED_FOLD_DEFAULT);
      }
    });

    const results = new Map<number, { forward: number; backward: number }>();
    for (const steps of [1, 20, 250, 1000]) {
      it(`${form.label} T=${steps}: forward ${form.perStep}·T + ${form.forward} + gathers, backward ${form.perStep}·T + ${form.backward} + gathers`, async () => {
        expect(tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER')).toBe(16);
        const before = tf.memory().numTensors;
        const c = await counts(form, steps, 4);
        console.log(`[programs] ${form.label} T=${steps}: forward ${c.forward.length} (${tally(c.forward)}), backward ${c.backward.length} (${tally(c.backward)})`);
        const [gf, gb] = form.gathers[steps]!;
        expect(c.forward.length).toBe(form.perStep * steps + form.forward + stacks(steps) + gf);
        // B2: T·B' = 2T rows; from 1,024 rows dW and dU read transposed inputs (3 transposes, GRU without
        // resetAfter 4).
        const split = 2 * steps >= 1024 ? (form.cell === 'gru' && !form.resetAfter ? 4 : 3) : 0;
        // GRU without resetAfter keeps every step's d(r⊙h) for dr: one more stack per 16 steps (all T of them)
        // and that sequence's gathers.
        const twoPhase = form.cell === 'gru' && !form.resetAfter;
        const resetStacks = twoPhase ? stacks(steps) : 0;
        const resetGathers = twoPhase ? form.resetGathers![steps]! : 0;
        expect(c.backward.length).toBe(form.perStep * steps + form.backward + stacks(steps - 1) + gb + split + resetStacks + resetGathers);
        // Exactly perStep programs per step, and the gathers as counted.
        const perStepForward = c.forward.filter((n) => n === 'GatedStepProgram').length;
        const perStepBackward = c.backward.filter((n) => n === 'GatedCarryProgram' || n === 'GruResetGradProgram').length;
        expect(perStepForward).toBe(form.perStep * steps);
        expect(perStepBackward).toBe(form.perStep * steps);
        expect(c.forward.filter((n) => n === 'SequenceGatherProgram').length).toBe(gf);
        // The backward recomputes x·W + b inside its gate programs: no projection program of its own.
        expect(c.backward.filter((n) => n === 'InputProjectionProgram')).toHaveLength(0);
        expect(c.backward.filter((n) => n === 'GatedGatesProgram')).toHaveLength(1);
        expect(c.backward.filter((n) => n === 'SequenceGatherProgram').length).toBe(gb + resetGathers);
        expect(c.forward.filter((n) => n === 'StepStackProgram').length).toBe(stacks(steps));
        expect(c.backward.filter((n) => n === 'StepStackProgram').length).toBe(stacks(steps - 1) + resetStacks);
        results.set(steps, { forward: c.forward.length, backward: c.backward.length });
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it(`${form.label}: linear in T (T=1000 costs at most 4× T=250 plus a few gathers)`, () => {
      const long = results.get(1000)!;
      const short = results.get(250)!;
      // 750 more steps cost perStep·750 programs, 47 stacks and a handful of gathers, nothing that grows faster.
      expect(long.forward - short.forward).toBeLessThanOrEqual(form.perStep * 750 + 47 + 8);
      // GRU without resetAfter: 47 more stacks and a few gathers of the steps' d(r⊙h).
      const resetExtra = form.cell === 'gru' && !form.resetAfter ? 47 + 8 : 0;
      expect(long.backward - short.backward).toBeLessThanOrEqual(form.perStep * 750 + 47 + 8 + resetExtra);
      expect(long.forward / short.forward).toBeLessThan(4);
      expect(long.backward / short.backward).toBeLessThan(4);
    });

    it(`${form.label} H odd: ${form.oddH[0]} forward and ${form.oddH[1]} backward programs more (padding)`, async () => {
      const even = await counts(form, 20, 4);
      const odd = await counts(form, 20, 5);
      expect(odd.forward.length - even.forward.length).toBe(form.oddH[0]);
      expect(odd.backward.length - even.backward.length).toBe(form.oddH[1]);
    });
  }
});
