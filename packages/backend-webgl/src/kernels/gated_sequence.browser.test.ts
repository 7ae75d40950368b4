import * as tf from '@tensorflow/tfjs-core';
import {
  type RecurrenceInputs,
  GruSequenceFinal,
  LstmSequenceFinal,
  SEQUENCE_OPS,
  recurrence,
  recurrenceGrad,
  rnnSequence,
  rnnSequenceGrad,
  layers,
  sequential,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { expectFinalStatesLikeSequences } from '@basicrnn/test-kit';
import { type GatedCase, expectRelativeClose, gatedAttrsFor, gatedInputsFor } from '../test/gated_cases.js';
import { programsRunBy } from '../test/programs_run_by.js';
import { GATED_FOLD_DEFAULT, LSTM_SPLIT_DEFAULT, setGatedFoldMinSize, setLstmSplitMinWork } from './gated_sequence.js';

// The fused LSTM/GRU kernels against core's composite on the same backend (the cell suite checks both against
// float64 references; these cases reach what it does not: odd and even H and B, several step chunks and gathers,
// masks with whole masked stretches, NaN in masked steps).

type Case = GatedCase;

const CASES: Case[] = [
  { name: 'lstm odd B, odd H, mask, goBackwards', cell: 'lstm', batch: 3, steps: 7, input: 3, hidden: 5, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true },
  { name: 'lstm even H, T=1', cell: 'lstm', batch: 2, steps: 1, input: 2, hidden: 4, activation: 'softsign', recurrentActivation: 'hardSigmoid', goBackwards: false, mask: false },
  // 30 steps: chunks flush mid-sequence, a step starts from a chunk, the gather merges several.
  { name: 'lstm T=30 H=1', cell: 'lstm', batch: 1, steps: 30, input: 2, hidden: 1, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, mask: true },
  // T·B' = 1,080 rows: dW and dU from transposed x, h_{s-1} and gate gradients (TransposedWeightGradProgram).
  { name: 'lstm T=180 B=5 (split weight gradients)', cell: 'lstm', batch: 5, steps: 180, input: 2, hidden: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true },
  { name: 'lstm split steps, odd B, odd H, mask, goBackwards', cell: 'lstm', batch: 3, steps: 7, input: 3, hidden: 5, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true, splitLstm: true },
  { name: 'lstm split steps T=30 H=1', cell: 'lstm', batch: 1, steps: 30, input: 2, hidden: 1, activation: 'softsign', recurrentActivation: 'hardSigmoid', goBackwards: false, mask: true, splitLstm: true },
  { name: 'gru resetAfter odd H, mask', cell: 'gru', resetAfter: true, batch: 3, steps: 6, input: 4, hidden: 5, activation: 'tanh', recurrentActivation: 'hardSigmoidKeras2', goBackwards: false, mask: true },
  { name: 'gru resetAfter T=30 goBackwards', cell: 'gru', resetAfter: true, batch: 2, steps: 30, input: 3, hidden: 4, activation: 'relu', recurrentActivation: 'sigmoid', goBackwards: true, mask: true },
  { name: 'gru resetAfter false odd H, mask, goBackwards', cell: 'gru', resetAfter: false, batch: 3, steps: 6, input: 3, hidden: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true },
  { name: 'gru resetAfter T=180 B=5 odd I (transposed weight gradients)', cell: 'gru', resetAfter: true, batch: 5, steps: 180, input: 3, hidden: 4, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, mask: true },
  { name: 'gru resetAfter false T=180 B=5 odd H (transposed weight gradients)', cell: 'gru', resetAfter: false, batch: 5, steps: 180, input: 2, hidden: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true },
  { name: 'gru resetAfter false T=30', cell: 'gru', resetAfter: false, batch: 4, steps: 30, input: 2, hidden: 6, activation: 'linear', recurrentActivation: 'hardSigmoid', goBackwards: false, mask: false },
];

function inputsFor(c: Case, seed = 1): RecurrenceInputs {
  return gatedInputsFor(c, seed, 0.4);
}

const attrsFor = gatedAttrsFor;
const expectClose = expectRelativeClose;

/** `fold`: the forward steps form their own x·W + b (true), read a projection program's (false), or by size (undefined). */
function run<T>(fused: boolean, fn: () => T, splitLstm = false, fold?: boolean): T {
  setFusedKernelsEnabled(fused);
  if (splitLstm) setLstmSplitMinWork(0);
  if (fold !== undefined) setGatedFoldMinSize(fold ? 0 : Infinity);
  try {
    return fn();
  } finally {
    setFusedKernelsEnabled(true);
    setLstmSplitMinWork(LSTM_SPLIT_DEFAULT);
    setGatedFoldMinSize(GATED_FOLD_DEFAULT);
  }
}

describe('fused webgl LSTM / GRU kernels vs the composite', () => {
  beforeAll(async () => {
    await setBackend('webgl');
  });
  afterAll(() => setFusedKernelsEnabled(true));

  // Each case with the steps forming their own x·W + b (fold) and reading a projection program's.
  for (const c of CASES) for (const fold of [false, true]) {
    it(`${c.name}: forward${fold ? ', x·W + b in the steps' : ''}`, async () => {
      const before = tf.memory().numTensors;
      const bytesBefore = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
      const inputs = inputsFor(c);
      let fused = {} as ReturnType<typeof recurrence>;
      let programs: string[] = [];
      const info = await tf.profile(async () => {
        programs = (await programsRunBy(() => {
          fused = run(true, () => recurrence(inputs, attrsFor(c)), c.splitLstm, fold);
          return fused;
        })).programs;
      });
      expect(programs.filter((name) => name === 'InputProjectionProgram')).toHaveLength(fold ? 0 : 1);
      expect(info.kernelNames).toEqual([c.cell === 'lstm' ? 'BasicLstmSequence' : 'BasicGruSequence']);
      const composite = run(false, () => recurrence(inputs, attrsFor(c)));
      expectClose(fused.hiddenStates, composite.hiddenStates, 'hiddenStates');
      if (c.cell === 'lstm') expectClose(fused.cellStates!, composite.cellStates!, 'cellStates');
      tf.dispose([...Object.values(fused), ...Object.values(composite), ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
      expect((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU).toBe(bytesBefore);
    });
  }

  // Kernel contract (core's kernel_names.ts): outside a gradient tape the op leaves an absent h0, c0 and mask out
  // of the kernel's inputs, and the kernel reads zeros and ones for them.
  for (const c of [CASES[0]!, CASES[7]!, CASES[8]!]) {
    it(`${c.name}: absent h0, c0 and mask equal zeros and ones (forward, and gradients under a tape)`, async () => {
      const before = tf.memory().numTensors;
      const { h0, c0, mask, ...rest } = inputsFor(c);
      const explicit: RecurrenceInputs = { ...rest, h0: tf.zerosLike(h0!), mask: tf.ones([c.batch, c.steps]), ...(c0 ? { c0: tf.zerosLike(c0) } : {}) };
      const info = await tf.profile(() => tf.dispose(Object.values(recurrence(rest, attrsFor(c)))));
      expect(info.kernels.map((k) => k.inputShapes.length), 'x, kernel, recurrentKernel, bias only').toEqual([4]);
      const absentOut = recurrence(rest, attrsFor(c));
      const explicitOut = recurrence(explicit, attrsFor(c));
      for (const key of Object.keys(explicitOut) as (keyof typeof explicitOut)[]) expectClose(absentOut[key]!, explicitOut[key]!, key, 1e-6);
      const loss = (inputs: RecurrenceInputs) => (x: tf.Tensor, k: tf.Tensor, u: tf.Tensor) =>
        tf.sum(tf.square(recurrence({ ...inputs, x, kernel: k, recurrentKernel: u }, attrsFor(c)).hiddenStates));
      const args = [rest.x, rest.kernel, rest.recurrentKernel];
      const grads = [tf.grads(loss(rest))(args), tf.grads(loss(explicit))(args)];
      grads[0]!.forEach((g, i) => expectClose(g, grads[1]![i]!, `gradient ${i}`, 1e-6));
      tf.dispose([...grads.flat(), ...Object.values(absentOut), ...Object.values(explicitOut), ...Object.values(rest)]);
      tf.dispose([h0!, explicit.h0!, explicit.mask!, ...(c0 ? [c0, explicit.c0!] : []), ...(mask ? [mask] : [])]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  // The final-states kernels (core's LstmSequenceFinal / GruSequenceFinal): the same step programs without gathering
  // the steps, so the forward's last step bit for bit, with and without h0, c0 and the mask.
  for (const c of [CASES[0]!, CASES[2]!, CASES[4]!, CASES[6]!, CASES[7]!, CASES[8]!, CASES[11]!]) for (const fold of [false, true]) {
    it(`${c.name}: final-states kernel equals the forward's last step${fold ? ', x·W + b in the steps' : ''}`, async () => {
      const before = tf.memory().numTensors;
      const bytesBefore = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
      const inputs = inputsFor(c);
      const named = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
      const attrs = { activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: c.goBackwards, resetAfter: c.resetAfter ?? false };
      const finalName = c.cell === 'lstm' ? LstmSequenceFinal : GruSequenceFinal;
      const perStep = (c.cell === 'lstm' && c.splitLstm) || (c.cell === 'gru' && !c.resetAfter) ? 2 : 1;
      for (const given of [named, { x: named.x!, kernel: named.kernel!, recurrentKernel: named.recurrentKernel!, bias: named.bias! }]) {
        const full = run(true, () => [tf.engine().runKernel(SEQUENCE_OPS[c.cell].kernelName, given, attrs)].flat() as tf.Tensor[], c.splitLstm, fold);
        let finals: tf.Tensor[] = [];
        const { programs } = await programsRunBy(() => {
          finals = run(true, () => [tf.engine().runKernel(finalName, given, attrs)].flat() as tf.Tensor[], c.splitLstm, fold);
        });
        // Only the steps (and LSTM's h and c out of the state layout): nothing gathered, no slice.
        expect(programs.filter((name) => name === 'GatedStepProgram')).toHaveLength(perStep * c.steps);
        expect(programs.filter((name) => name === 'StepStackProgram' || name === 'SequenceGatherProgram')).toHaveLength(0);
        expect(programs.filter((name) => name === 'InputProjectionProgram')).toHaveLength(fold ? 0 : 1);
        expect(finals).toHaveLength(full.length);
        full.forEach((seq, k) => {
          const last = tf.tidy(() => tf.squeeze(tf.slice(seq, [0, c.steps - 1, 0], [c.batch, 1, c.hidden]), [1]));
          expect(finals[k]!.shape).toEqual([c.batch, c.hidden]);
          expect(Array.from(finals[k]!.dataSync()), `output ${k}`).toEqual(Array.from(last.dataSync()));
          last.dispose();
        });
        tf.dispose([...full, ...finals]);
      }
      tf.dispose(Object.values(inputs).filter((t) => t !== undefined));
      expect(tf.memory().numTensors).toBe(before);
      expect((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU).toBe(bytesBefore);
    });
  }

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: a layer without sequences predicts with the final-states kernel, equal to the unfused path; returnState and stateful too`, async () => {
      const finalName = cell === 'lstm' ? LstmSequenceFinal : GruSequenceFinal;
      const model = sequential({ layers: [layers[cell]({ units: 9 }), layers.dense({ units: 2 })], seed: 4 });
      model.build([null, 6, 3]);
      const x = tf.randomUniform([5, 6, 3], -1, 1, 'float32', 12);
      const profile = await tf.profile(() => model.predict(x));
      expect(profile.kernelNames[0]).toBe(finalName);
      const fused = model.predict(x) as tf.Tensor;
      const composite = run(false, () => model.predict(x) as tf.Tensor);
      expectClose(fused, composite, 'predict');
      // returnState and stateful: the final states as the sequence path gives them, call after call.
      expectFinalStatesLikeSequences(cell, x);
      tf.dispose([x, fused, composite]);
      model.dispose();
    });
  }

  it('simpleRNN: absent h0 and mask equal zeros and ones', async () => {
    const [B, T, I, H] = [3, 7, 2, 5];
    const inputs = tf.tidy(() => ({
      x: tf.randomUniform([B, T, I], -1, 1, 'float32', 1),
      kernel: tf.randomUniform([I, H], -0.6, 0.6, 'float32', 2),
      recurrentKernel: tf.randomUniform([H, H], -0.5, 0.5, 'float32', 3),
      bias: tf.randomUniform([H], -0.3, 0.3, 'float32', 4),
    }));
    const attrs = { activation: 'tanh', goBackwards: true } as const;
    const info = await tf.profile(() => tf.dispose(rnnSequence(inputs, attrs)));
    expect(info.kernels.map((k) => k.inputShapes.length)).toEqual([4]);
    const [h0, mask] = [tf.zeros([B, H]), tf.ones([B, T])];
    const absent = rnnSequence(inputs, attrs);
    const explicit = rnnSequence({ ...inputs, h0, mask }, attrs);
    expectClose(absent, explicit, 'hiddenStates', 1e-6);
    tf.dispose([absent, explicit, h0, mask, ...Object.values(inputs)]);
  });

  for (const c of CASES) {
    it(`${c.name}: backward (every input gradient and dHiddenStates)`, async () => {
      const before = tf.memory().numTensors;
      // GPU bytes held by live textures: every intermediate released exactly once brings them back.
      const gpuBytes = () => (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
      const bytesBefore = gpuBytes();
      const inputs = inputsFor(c);
      const upstream = tf.tidy(() => ({
        dh: tf.randomUniform([c.batch, c.steps, c.hidden], -1, 1, 'float32', 21),
        ...(c.cell === 'lstm' ? { dc: tf.randomUniform([c.batch, c.steps, c.hidden], -1, 1, 'float32', 22) } : {}),
      }));
      let fused = {} as ReturnType<typeof recurrenceGrad>;
      const info = await tf.profile(() => {
        fused = run(true, () => recurrenceGrad(inputs, attrsFor(c), upstream, { hiddenStateGrads: true }), c.splitLstm);
      });
      expect(info.kernelNames).toContain(c.cell === 'lstm' ? 'BasicLstmSequenceGrad' : 'BasicGruSequenceGrad');
      const composite = run(false, () => recurrenceGrad(inputs, attrsFor(c), upstream, { hiddenStateGrads: true }));
      expect(Object.keys(fused).sort()).toEqual(Object.keys(composite).sort());
      for (const key of Object.keys(composite) as (keyof typeof composite)[]) expectClose(fused[key]!, composite[key]!, key, 1e-3);
      tf.dispose([...Object.values(fused), ...Object.values(composite), ...Object.values(inputs), ...Object.values(upstream)]);
      expect(tf.memory().numTensors).toBe(before);
      expect(gpuBytes()).toBe(bytesBefore);
    });
  }

  for (const { split, fold, ...cell } of [
    { cell: 'lstm', resetAfter: false, split: false, fold: false },
    { cell: 'lstm', resetAfter: false, split: true, fold: false },
    { cell: 'gru', resetAfter: true, split: false, fold: false },
    { cell: 'gru', resetAfter: false, split: false, fold: false },
    { cell: 'lstm', resetAfter: false, split: false, fold: true },
    { cell: 'lstm', resetAfter: false, split: true, fold: true },
    { cell: 'gru', resetAfter: true, split: false, fold: true },
    { cell: 'gru', resetAfter: false, split: false, fold: true },
  ] as const) {
    it(`${cell.cell}${cell.cell === 'gru' ? ` resetAfter ${cell.resetAfter}` : ''}${split ? ' split steps' : ''}${fold ? ', x·W + b in the steps' : ''}: NaN inputs at masked steps never reach the states`, () => {
      try {
        nanMaskedCase(cell, split, fold);
      } finally {
        setLstmSplitMinWork(LSTM_SPLIT_DEFAULT);
        setGatedFoldMinSize(GATED_FOLD_DEFAULT);
      }
    });
  }

  // `split`: the LSTM steps run split, forward and backward (run() resets the threshold after each reference);
  // `fold`: the forward steps read the NaN x themselves (and select the previous state at masked steps).
  function nanMaskedCase(cell: { cell: 'lstm' | 'gru'; resetAfter: boolean }, split: boolean, fold: boolean): void {
    {
      const c: Case = { name: '', ...cell, batch: 2, steps: 5, input: 2, hidden: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, mask: true };
      const inputs = inputsFor(c);
      // Steps 1 and 3 of row 0 and step 2 of row 1 are masked, and their inputs are NaN.
      const maskValues = [1, 0, 1, 0, 1, 1, 1, 0, 1, 1];
      const poisoned = tf.tidy(() => {
        const m = tf.tensor2d(maskValues, [2, 5]);
        const x = tf.where(tf.cast(tf.expandDims(m, 2), 'bool'), inputs.x, tf.fill(inputs.x.shape, NaN));
        return { m, x, clean: tf.mul(inputs.x, tf.expandDims(m, 2)) };
      });
      tf.dispose(inputs.mask!);
      if (split) setLstmSplitMinWork(0);
      if (fold) setGatedFoldMinSize(0);
      const out = recurrence({ ...inputs, x: poisoned.x, mask: poisoned.m }, attrsFor(c));
      const reference = run(false, () => recurrence({ ...inputs, x: poisoned.clean, mask: poisoned.m }, attrsFor(c)));
      const h = out.hiddenStates.dataSync();
      expect(Array.from(h).every(Number.isFinite), `hiddenStates ${Array.from(h)}`).toBe(true);
      expectClose(out.hiddenStates, reference.hiddenStates, 'hiddenStates');
      if (c.cell === 'lstm') expectClose(out.cellStates!, reference.cellStates!, 'cellStates');
      // Backward: the masked steps' NaN x must not reach dx, dW or any other gradient either.
      const upstream = tf.tidy(() => ({
        dh: tf.randomUniform([2, 5, 3], -1, 1, 'float32', 21),
        ...(c.cell === 'lstm' ? { dc: tf.randomUniform([2, 5, 3], -1, 1, 'float32', 22) } : {}),
      }));
      if (split) setLstmSplitMinWork(0);
      if (fold) setGatedFoldMinSize(0);
      const grads = recurrenceGrad({ ...inputs, x: poisoned.x, mask: poisoned.m }, attrsFor(c), upstream, { hiddenStateGrads: true });
      const expected = run(false, () => recurrenceGrad({ ...inputs, x: poisoned.clean, mask: poisoned.m }, attrsFor(c), upstream, { hiddenStateGrads: true }));
      for (const key of Object.keys(expected) as (keyof typeof expected)[]) expectClose(grads[key]!, expected[key]!, `NaN-masked ${key}`, 1e-3);
      tf.dispose([...Object.values(out), ...Object.values(reference), ...Object.values(poisoned), ...Object.values(inputs)]);
      tf.dispose([...Object.values(upstream), ...Object.values(grads), ...Object.values(expected)]);
    }
  }

  it('simpleRNN: NaN inputs at masked steps never reach the states (the step selects, it does not blend)', () => {
    const mask = tf.tensor2d([1, 0, 1, 1, 0, 1, 0, 1], [2, 4]);
    const clean = tf.randomUniform([2, 4, 3], -1, 1, 'float32', 31);
    const x = tf.where(tf.cast(tf.expandDims(mask, 2), 'bool'), clean, tf.fill([2, 4, 3], NaN));
    const weights = {
      kernel: tf.randomUniform([3, 5], -0.5, 0.5, 'float32', 32),
      recurrentKernel: tf.randomUniform([5, 5], -0.5, 0.5, 'float32', 33),
      h0: tf.randomUniform([2, 5], -0.5, 0.5, 'float32', 34),
    };
    const out = rnnSequence({ x, ...weights, mask }, { activation: 'tanh', goBackwards: false });
    const reference = run(false, () => rnnSequence({ x: clean, ...weights, mask }, { activation: 'tanh', goBackwards: false }));
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
    expectClose(out, reference, 'hiddenStates');
    // Backward (both directions, odd and even T through the two weight-gradient loops): no NaN reaches dW.
    for (const goBackwards of [false, true]) {
      for (const steps of [4, 3]) {
        const m = tf.slice(mask, [0, 0], [2, steps]);
        const xs = tf.slice(x, [0, 0, 0], [2, steps, 3]);
        const xc = tf.slice(clean, [0, 0, 0], [2, steps, 3]);
        const attrs = { activation: 'tanh' as const, goBackwards };
        const states = rnnSequence({ x: xs, ...weights, mask: m }, attrs);
        const dy = tf.randomUniform([2, steps, 5], -1, 1, 'float32', 35);
        const grads = rnnSequenceGrad({ x: xs, ...weights, mask: m, hiddenStates: states, dy }, attrs);
        const expected = run(false, () => rnnSequenceGrad({ x: xc, ...weights, mask: m, hiddenStates: states, dy }, attrs));
        for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
          expectClose(grads[key], expected[key], `NaN-masked ${key} (goBackwards ${goBackwards}, T=${steps})`, 1e-3);
        }
        tf.dispose([m, xs, xc, states, dy, ...Object.values(grads), ...Object.values(expected)]);
      }
    }
    tf.dispose([mask, clean, x, out, reference, ...Object.values(weights)]);
  });

  it('simpleRNN B2 T520 (transposed weight gradients): NaN inputs at masked steps never reach dW', () => {
    const steps = 520;
    // Every third step of row 0 and every fifth of row 1 masked, with NaN inputs there.
    const maskValues = Array.from({ length: 2 * steps }, (_, i) => (i < steps ? (i % 3 === 1 ? 0 : 1) : (i % 5 === 2 ? 0 : 1)));
    const mask = tf.tensor2d(maskValues, [2, steps]);
    const clean = tf.randomUniform([2, steps, 3], -1, 1, 'float32', 41);
    const x = tf.where(tf.cast(tf.expandDims(mask, 2), 'bool'), clean, tf.fill([2, steps, 3], NaN));
    const weights = {
      kernel: tf.randomUniform([3, 4], -0.5, 0.5, 'float32', 42),
      recurrentKernel: tf.randomUniform([4, 4], -0.5, 0.5, 'float32', 43),
      h0: tf.randomUniform([2, 4], -0.5, 0.5, 'float32', 44),
    };
    for (const goBackwards of [false, true]) {
      const attrs = { activation: 'tanh' as const, goBackwards };
      const states = rnnSequence({ x, ...weights, mask }, attrs);
      const dy = tf.randomUniform([2, steps, 4], -1, 1, 'float32', 45);
      const grads = rnnSequenceGrad({ x, ...weights, mask, hiddenStates: states, dy }, attrs);
      const expected = run(false, () => rnnSequenceGrad({ x: clean, ...weights, mask, hiddenStates: states, dy }, attrs));
      for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
        expectClose(grads[key], expected[key], `NaN-masked ${key} (goBackwards ${goBackwards}, T=${steps})`, 1e-3);
      }
      tf.dispose([states, dy, ...Object.values(grads), ...Object.values(expected)]);
    }
    tf.dispose([mask, clean, x, ...Object.values(weights)]);
  });
});
