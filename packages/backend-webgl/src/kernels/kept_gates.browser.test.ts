import * as tf from '@tensorflow/tfjs-core';
import {
  type RecurrenceInputs,
  GruSequenceGrad,
  SEQUENCE_OPS,
  ShapeError,
  recurrence,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../index.js';
import { type GatedCase, expectRelativeClose, gatedAttrsFor, gatedInputsFor } from '../test/gated_cases.js';
import { programsRunBy } from '../test/programs_run_by.js';
import { GATED_FOLD_DEFAULT, keepGatedGates, setGatedFoldMinSize, setGatedKeepMinSize } from './gated_sequence.js';
import { paddedWidth } from './programs/gated_programs.js';

// A forward under a gradient tape keeps its gate values (core's keepGates attr) and the backward reads them instead
// of recomputing them. Every input gradient through tf.grads is checked against core's composite and against the
// fused kernels recomputing the gates, with x·W + b formed in the steps and by a projection program, masks with NaN
// inputs in masked steps, odd and even B and H, several gathered chunks, and transposed weight gradients.

type Case = GatedCase;

const CASES: Case[] = [
  { name: 'lstm odd B, odd H, NaN-masked, goBackwards', cell: 'lstm', batch: 3, steps: 7, input: 3, hidden: 5, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true, nan: true },
  { name: 'lstm T=40 (3 chunks of kept gates)', cell: 'lstm', batch: 2, steps: 40, input: 2, hidden: 4, activation: 'softsign', recurrentActivation: 'hardSigmoid', goBackwards: false, mask: true },
  { name: 'lstm T=1 H=1', cell: 'lstm', batch: 1, steps: 1, input: 2, hidden: 1, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, mask: false },
  { name: 'gru resetAfter odd H, NaN-masked', cell: 'gru', resetAfter: true, batch: 3, steps: 6, input: 4, hidden: 5, activation: 'tanh', recurrentActivation: 'hardSigmoidKeras2', goBackwards: false, mask: true, nan: true },
  { name: 'gru resetAfter T=180 B=5 (transposed weight gradients), goBackwards', cell: 'gru', resetAfter: true, batch: 5, steps: 180, input: 3, hidden: 4, activation: 'relu', recurrentActivation: 'sigmoid', goBackwards: true, mask: true },
  { name: 'gru resetAfter false odd H, NaN-masked, goBackwards', cell: 'gru', resetAfter: false, batch: 3, steps: 6, input: 3, hidden: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, mask: true, nan: true },
  { name: 'gru resetAfter false T=180 B=5 odd H (transposed weight gradients)', cell: 'gru', resetAfter: false, batch: 5, steps: 180, input: 2, hidden: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, mask: true },
  { name: 'gru resetAfter false T=30 even H', cell: 'gru', resetAfter: false, batch: 4, steps: 30, input: 2, hidden: 6, activation: 'linear', recurrentActivation: 'hardSigmoid', goBackwards: false, mask: false },
];

function inputsFor(c: Case): RecurrenceInputs & { clean: tf.Tensor } {
  const inputs = gatedInputsFor(c, 50, 0.35);
  if (!c.nan || inputs.mask === undefined) return { ...inputs, clean: inputs.x };
  // A masked step's x is NaN (`nan`): the forward keeps zero gates there and nothing reaches the gradients.
  const { x, clean } = tf.tidy(() => {
    const keep = tf.expandDims(inputs.mask!, 2);
    return { x: tf.where(tf.cast(keep, 'bool'), inputs.x, tf.fill(inputs.x.shape, NaN)), clean: tf.mul(inputs.x, keep) };
  });
  inputs.x.dispose();
  return { ...inputs, x, clean };
}

const attrsFor = gatedAttrsFor;
const expectClose = expectRelativeClose;

/** Settings for one run: fused kernels or the composite, kept gates forced on or off, x·W + b folded or not. */
function run<T>(settings: { fused: boolean; keep?: boolean; fold?: boolean }, fn: () => T): T {
  setFusedKernelsEnabled(settings.fused);
  if (settings.keep !== undefined) setGatedKeepMinSize(settings.keep ? 0 : Infinity);
  if (settings.fold !== undefined) setGatedFoldMinSize(settings.fold ? 0 : Infinity);
  try {
    return fn();
  } finally {
    setFusedKernelsEnabled(true);
    setGatedKeepMinSize(null);
    setGatedFoldMinSize(GATED_FOLD_DEFAULT);
  }
}

/** ∂/∂(x, kernel, recurrentKernel, bias, h0[, c0]) of a weighted sum of the states, through the op's tape path. */
function gradientsOf(c: Case, inputs: RecurrenceInputs, x: tf.Tensor, weights: tf.Tensor[]): tf.Tensor[] {
  const names = ['x', 'kernel', 'recurrentKernel', 'bias', 'h0', ...(c.cell === 'lstm' ? ['c0'] : [])] as const;
  const loss = (...args: tf.Tensor[]) => {
    const given = { ...inputs, x } as RecurrenceInputs;
    names.forEach((n, k) => ((given as unknown as Record<string, tf.Tensor>)[n] = args[k]!));
    const out = recurrence(given, attrsFor(c));
    const terms = [tf.sum(tf.mul(out.hiddenStates, weights[0]!))];
    if (out.cellStates) terms.push(tf.sum(tf.mul(out.cellStates, weights[1]!)));
    return tf.addN(terms) as tf.Scalar;
  };
  return tf.grads(loss)(names.map((n) => (n === 'x' ? x : (inputs as unknown as Record<string, tf.Tensor>)[n]!)));
}

describe('webgl LSTM / GRU: gate values kept by the taped forward for the backward', () => {
  beforeAll(async () => {
    await setBackend('webgl');
  });
  afterAll(() => {
    setFusedKernelsEnabled(true);
    setGatedKeepMinSize(null);
  });

  for (const c of CASES) for (const fold of [false, true]) {
    it(`${c.name}${fold ? ', x·W + b in the steps' : ''}: every gradient equals the composite's and the recomputing backward's`, async () => {
      const before = tf.memory().numTensors;
      const gpuBytes = () => (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
      const bytesBefore = gpuBytes();
      const { clean, ...inputs } = inputsFor(c);
      const weights = [tf.randomUniform([c.batch, c.steps, c.hidden], -1, 1, 'float32', 71), tf.randomUniform([c.batch, c.steps, c.hidden], -1, 1, 'float32', 72)];
      let kept: tf.Tensor[] = [];
      const { programs } = await programsRunBy(() => {
        kept = run({ fused: true, keep: true, fold }, () => gradientsOf(c, inputs, inputs.x, weights));
      });
      let recomputed: tf.Tensor[] = [];
      const { programs: recomputing } = await programsRunBy(() => {
        recomputed = run({ fused: true, keep: false, fold }, () => gradientsOf(c, inputs, inputs.x, weights));
      });
      // The composite reads the clean x (zero in masked steps): NaN-masked steps must change nothing.
      const composite = run({ fused: false }, () => gradientsOf(c, inputs, clean, weights));

      // Kept: the backward recomputes no gate (no GatedGatesProgram or GruCandidateProgram), and every forward step
      // runs its gates then its state (GRU without resetAfter: r first).
      const twoPhase = c.cell === 'gru' && !c.resetAfter;
      const count = (list: string[], name: string) => list.filter((p) => p === name).length;
      expect(count(programs, 'GatedGatesProgram') + count(programs, 'GruCandidateProgram')).toBe(0);
      expect(count(programs, 'GatedStepProgram')).toBe((twoPhase ? 3 : 2) * c.steps);
      expect(count(recomputing, 'GatedGatesProgram')).toBe(1);
      expect(count(recomputing, 'GruCandidateProgram')).toBe(twoPhase ? 1 : 0);

      const names = ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0', 'dc0'];
      kept.forEach((g, k) => {
        expect(Array.from(g.dataSync()).every(Number.isFinite), `${names[k]} finite`).toBe(true);
        expectClose(g, composite[k]!, `${names[k]} vs composite`, 1e-3);
        expectClose(g, recomputed[k]!, `${names[k]} vs recomputed gates`, 1e-4);
      });
      tf.dispose([...kept, ...recomputed, ...composite, ...weights, clean, ...Object.values(inputs)]);
      expect(tf.memory().numTensors).toBe(before);
      expect(gpuBytes()).toBe(bytesBefore);
    });
  }

  it('outside a tape, and under one below the size threshold, the forward returns only its states', () => {
    const c = CASES[0]!;
    const { clean, ...inputs } = inputsFor(c);
    const named = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorMap;
    const attrs = { activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: c.goBackwards, resetAfter: false };
    for (const keep of [true, false]) {
      const outputs = run({ fused: true, keep }, () => [tf.engine().runKernel(SEQUENCE_OPS.lstm.kernelName, named, attrs)].flat() as tf.Tensor[]);
      expect(outputs).toHaveLength(2);
      tf.dispose(outputs);
      const taped = run({ fused: true, keep }, () => [tf.engine().runKernel(SEQUENCE_OPS.lstm.kernelName, named, { ...attrs, keepGates: true })].flat() as tf.Tensor[]);
      // Kept: [hiddenStates, cellStates, gates [B, T, 4·Hp]].
      expect(taped.map((t) => t.shape)).toEqual(keep ? [[3, 7, 5], [3, 7, 5], [3, 7, 24]] : [[3, 7, 5], [3, 7, 5]]);
      tf.dispose(taped);
    }
    tf.dispose([clean, ...Object.values(inputs)]);
  });

  it('by default keeps the gates of LSTM and GRU without resetAfter from B·Hp = 2^14 (the bench\'s L, not M or Long), never of GRU resetAfter', () => {
    setGatedKeepMinSize(null);
    const at = (cell: 'lstm' | 'gru', resetAfter: boolean, batch: number, hidden: number) => keepGatedGates({ cell, resetAfter, batch }, paddedWidth(hidden));
    // L = B64·H256, Long = B8·H128, M = B32·H64; odd H pads to Hp (B64·H255 → Hp 256 keeps; B63·H256 does not).
    expect([at('lstm', false, 64, 256), at('gru', false, 64, 256), at('lstm', false, 64, 255)]).toEqual([true, true, true]);
    expect([at('lstm', false, 8, 128), at('gru', false, 32, 64), at('lstm', false, 63, 256)]).toEqual([false, false, false]);
    expect([at('gru', true, 64, 256), at('gru', true, 1024, 1024)]).toEqual([false, false]);
    setGatedKeepMinSize(0);
    expect(at('gru', true, 1, 2)).toBe(true);
    setGatedKeepMinSize(null);
  });

  it('a backward given gates of the wrong shape or dtype refuses them with a ShapeError, leaking nothing', () => {
    const c = CASES[3]!;
    const { clean, ...inputs } = inputsFor(c);
    const before = tf.memory().numTensors;
    const filled = {
      ...Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)),
      hiddenStates: tf.zeros([c.batch, c.steps, c.hidden]),
      dh: tf.ones([c.batch, c.steps, c.hidden]),
    } as tf.NamedTensorMap;
    const attrs = { activation: c.activation, recurrentActivation: c.recurrentActivation, goBackwards: false, resetAfter: true, hiddenStateGrads: false };
    for (const gates of [tf.zeros([c.batch, c.steps, 20]), tf.zeros([c.batch, c.steps, 24], 'int32'), tf.zeros([c.batch * c.steps, 24])]) {
      expect(() => tf.engine().runKernel(GruSequenceGrad, { ...filled, gates }, attrs)).toThrow(ShapeError);
      expect(() => tf.engine().runKernel(GruSequenceGrad, { ...filled, gates }, attrs)).toThrow(/expected gates .*float32 \[3, 6, 24\]/);
      gates.dispose();
    }
    tf.dispose([filled.hiddenStates!, filled.dh!]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([clean, ...Object.values(inputs)]);
  });
});
