// The cpu backend's fused recurrence kernels against the composite path, through the whole seam: the op
// dispatches to the registered kernel, core's one gradient runs and calls the backward op's kernel.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BasicRNN, type RecurrenceInputs, RnnSequence, RnnSequenceGrad, SEQUENCE_OPS, getBackendInfo, recurrence, recurrenceGrad, setFusedKernelsEnabled } from '../index.js';

/** Kernel names run by `f`, as tfjs's profiler records them. */
async function kernelsRun(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => {
    const out = f();
    tf.dispose(out);
  });
  return info.kernelNames;
}

describe('cpu fused recurrence kernels', () => {
  afterAll(() => setFusedKernelsEnabled(true));

  it('forward is one kernel call and its gradient one more, for any sequence length', async () => {
    const model = new BasicRNN({ hiddenSize: 4, outputSize: 1, seed: 1 });
    for (const steps of [3, 40]) {
      const x = tf.randomNormal([2, steps, 3]);
      const forward = await kernelsRun(() => model.predict(x));
      expect(forward.filter((k) => k === RnnSequence)).toHaveLength(1);
      expect(forward.length).toBeLessThanOrEqual(8);
      const backward = await kernelsRun(() => tf.grad((a: tf.Tensor) => tf.sum(model.predict(a)))(x));
      expect(backward.filter((k) => k === RnnSequenceGrad)).toHaveLength(1);
      expect(backward.length).toBeLessThanOrEqual(30);
      x.dispose();
    }
    model.dispose();
  });

  it.each([
    ['tanh', false, false],
    ['relu', true, false],
    ['sigmoid', false, true],
    ['linear', true, true],
  ] as const)('%s (goBackwards %s, mask %s): fused forward and core gradient equal the composite path', (activation, goBackwards, masked) => {
    const before = tf.memory().numTensors;
    const model = new BasicRNN({ hiddenSize: 5, outputSize: 2, activation, goBackwards, returnSequences: true, seed: 4 });
    model.build([null, null, 4]);
    const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 1);
    const h0 = tf.randomNormal([3, 5], 0, 0.5, 'float32', 2);
    const mask = masked ? tf.tensor2d([[1, 0, 1, 1, 0, 1], [1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1]]) : undefined;
    const run = () => {
      const vars = model.trainableVariables();
      const f = () => {
        const { output, state } = model.call(x, { initialState: h0, ...(mask ? { mask } : {}) });
        return tf.add(tf.sum(tf.square(output)), tf.sum(state)) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(f, vars);
      const [dx, dh0] = tf.grads((a: tf.Tensor, c: tf.Tensor) => {
        const { output, state } = model.call(a, { initialState: c, ...(mask ? { mask } : {}) });
        return tf.add(tf.sum(tf.square(output)), tf.sum(state));
      })([x, h0]);
      const out = [value, ...vars.map((v) => grads[v.name]!), dx!, dh0!].map((t) => Array.from(t.dataSync()));
      tf.dispose([value, dx!, dh0!, ...Object.values(grads)]);
      return out;
    };
    setFusedKernelsEnabled(true);
    expect(getBackendInfo().fusedKernels).toBe(true);
    const fused = run();
    setFusedKernelsEnabled(false);
    expect(getBackendInfo().fusedKernels).toBe(false);
    const composite = run();
    fused.forEach((values, i) => values.forEach((v, k) => expect(Math.abs(v - composite[i]![k]!), `tensor ${i}[${k}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))));
    tf.dispose([x, h0, ...(mask ? [mask] : [])]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  // Kernel contract (kernel_names.ts): outside a gradient tape the op leaves an absent h0, c0 and mask out of the
  // kernel's inputs, and the kernel reads zeros and ones for them.
  it.each([
    ['lstm', false, false],
    ['gru', true, true],
    ['gru', false, false],
    ['simpleRNN', false, true],
  ] as const)('%s (resetAfter %s, goBackwards %s): absent h0, c0 and mask equal zeros and ones, forward and gradients', async (cell, resetAfter, goBackwards) => {
    setFusedKernelsEnabled(true);
    const before = tf.memory().numTensors;
    const [B, T, I, H] = [3, 5, 4, 6];
    const G = { lstm: 4, gru: 3, simpleRNN: 1 }[cell] * H;
    const rest: RecurrenceInputs = {
      x: tf.randomNormal([B, T, I], 0, 1, 'float32', 1),
      kernel: tf.randomNormal([I, G], 0, 0.4, 'float32', 2),
      recurrentKernel: tf.randomNormal([H, G], 0, 0.4, 'float32', 3),
      bias: tf.randomNormal(cell === 'gru' && resetAfter ? [2, G] : [G], 0, 0.3, 'float32', 4),
    };
    const explicit: RecurrenceInputs = { ...rest, h0: tf.zeros([B, H]), mask: tf.ones([B, T]), ...(cell === 'lstm' ? { c0: tf.zeros([B, H]) } : {}) };
    const attrs = { cell, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards, resetAfter } as const;
    const profile = await tf.profile(() => tf.dispose(Object.values(recurrence(rest, attrs))));
    const call = profile.kernels.find((k) => k.name === SEQUENCE_OPS[cell].kernelName)!;
    expect(call.inputShapes, 'the kernel got x, kernel, recurrentKernel, bias only').toHaveLength(4);
    const values = (out: object) => Object.values(out).map((t: tf.Tensor) => Array.from(t.dataSync()));
    const absentOut = recurrence(rest, attrs);
    const explicitOut = recurrence(explicit, attrs);
    expect(values(absentOut)).toEqual(values(explicitOut));
    const loss = (inputs: RecurrenceInputs) => (x: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor) => {
      const out = recurrence({ ...inputs, x, kernel: k, recurrentKernel: u, bias: b }, attrs);
      return tf.add(tf.sum(tf.square(out.hiddenStates)), out.cellStates === undefined ? 0 : tf.sum(out.cellStates));
    };
    const args = [rest.x, rest.kernel, rest.recurrentKernel, rest.bias!];
    const tape = [tf.grads(loss(rest))(args), tf.grads(loss(explicit))(args)];
    expect(values(tape[0]!)).toEqual(values(tape[1]!));
    const dh = tf.onesLike(absentOut.hiddenStates);
    const grads = [recurrenceGrad(rest, attrs, { dh }), recurrenceGrad(explicit, attrs, { dh })];
    expect(values(grads[0]!)).toEqual(values(grads[1]!));
    tf.dispose([dh, ...tape, ...grads.flatMap((g) => Object.values(g)), ...Object.values(absentOut), ...Object.values(explicitOut)]);
    tf.dispose([...Object.values(rest), explicit.h0!, explicit.mask!, ...(explicit.c0 ? [explicit.c0] : [])]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
