// recurrence(): input checks (typed errors, nothing leaked), routing (SimpleRNN through rnnSequence, so its fused
// kernels apply), gradients reaching only one LSTM output, and per-step ∂loss/∂h_t. Numerical parity of every
// cell against float64 references lives in @basicrnn/test-kit/cells (cellParityTests), run per backend.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CELLS,
  ConfigError,
  DTypeError,
  GruSequence,
  type RecurrenceAttrs,
  type RecurrenceInputs,
  ShapeError,
  hiddenStateGradients,
  recurrence,
  recurrenceGrad,
  rnnSequence,
  setFusedKernelsEnabled,
} from '../index.js';

const B = 2;
const T = 4;
const I = 3;
const H = 3;

function inputsFor(gates: number, biasShape: number[] = [gates * H]): RecurrenceInputs {
  return {
    x: tf.randomUniform([B, T, I], -1, 1, 'float32', 1),
    kernel: tf.randomUniform([I, gates * H], -0.5, 0.5, 'float32', 2),
    recurrentKernel: tf.randomUniform([H, gates * H], -0.5, 0.5, 'float32', 3),
    bias: tf.randomUniform(biasShape, -0.2, 0.2, 'float32', 4),
    h0: tf.randomUniform([B, H], -0.5, 0.5, 'float32', 5),
  };
}

const lstm: RecurrenceAttrs = { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false };
const gru: RecurrenceAttrs = { ...lstm, cell: 'gru', resetAfter: true };

describe('recurrence', () => {
  afterAll(() => setFusedKernelsEnabled(true));

  it.each([
    ['unknown cell', { ...lstm, cell: 'rnn' }, {}, ConfigError, /attrs\.cell.*'simpleRNN', 'lstm', 'gru'.*"rnn"/],
    ['unknown activation', { ...lstm, activation: 'gelu' }, {}, ConfigError, /attrs\.activation.*"gelu"/],
    ['non-boolean goBackwards', { ...lstm, goBackwards: 1 }, {}, ConfigError, /attrs\.goBackwards\): expected a boolean/],
    ['kernel with the wrong gate count', lstm, { kernel: tf.zeros([I, 3 * H]) }, ShapeError, /inputs\.kernel\): expected shape \[3,12\], received \[3,9\]/],
    ['GRU resetAfter bias of shape [3H]', gru, { bias: tf.zeros([3 * H]) }, ShapeError, /inputs\.bias\): expected shape \[2,9\], received \[9\]/],
    ['h0 of the wrong batch', lstm, { h0: tf.zeros([B + 1, H]) }, ShapeError, /inputs\.h0\): expected shape \[2,3\]/],
    ['c0 for a GRU', gru, { c0: tf.zeros([B, H]) }, ConfigError, /inputs\.c0\): only the 'lstm' cell/],
    ['mask of the wrong shape', lstm, { mask: tf.ones([B, T + 1]) }, ShapeError, /inputs\.mask\): expected shape \[2,4\], received \[2,5\]/],
    ['int32 mask', lstm, { mask: tf.ones([B, T], 'int32') }, DTypeError, /inputs\.mask\): expected dtype bool or float32, received int32/],
    ['int32 x', lstm, { x: tf.zeros([B, T, I], 'int32') }, DTypeError, /inputs\.x\): expected dtype float32, received int32/],
    ['disposed recurrentKernel', lstm, { recurrentKernel: (() => { const t = tf.zeros([H, 4 * H]); t.dispose(); return t; })() }, ShapeError, /inputs\.recurrentKernel/],
    ['recurrent-dropout mask of the wrong shape', lstm, { recurrentDropoutMask: tf.ones([B, H + 1]) }, ShapeError, /inputs\.recurrentDropoutMask\)/],
  ] as const)('%s: typed error naming the argument; nothing allocated', (_name, attrs, override, type, message) => {
    const gates = attrs.cell === 'gru' ? 3 : 4;
    const inputs = { ...inputsFor(gates, attrs.cell === 'gru' ? [2, 3 * H] : [gates * H]), ...override } as RecurrenceInputs;
    const before = tf.memory().numTensors;
    expect(() => recurrence(inputs, attrs as unknown as RecurrenceAttrs)).toThrow(type);
    expect(() => recurrence(inputs, attrs as unknown as RecurrenceAttrs)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs).filter((t) => !t.isDisposed));
  });

  it('simpleRNN goes through rnnSequence (same values, and its kernel runs), with or without fused kernels', async () => {
    const inputs = inputsFor(1);
    const attrs: RecurrenceAttrs = { cell: 'simpleRNN', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, resetAfter: false };
    for (const fused of [true, false]) {
      setFusedKernelsEnabled(fused);
      const { hiddenStates } = recurrence(inputs, attrs);
      const direct = rnnSequence(inputs as Required<Pick<RecurrenceInputs, 'x' | 'kernel' | 'recurrentKernel' | 'h0'>>, { activation: 'tanh', goBackwards: true });
      expect(Array.from(hiddenStates.dataSync())).toEqual(Array.from(direct.dataSync()));
      tf.dispose([hiddenStates, direct]);
    }
    setFusedKernelsEnabled(true);
    const info = await tf.profile(() => tf.dispose(recurrence(inputs, attrs).hiddenStates));
    expect(info.kernelNames).toContain('BasicRnnSequence');
    tf.dispose(Object.values(inputs));
  });

  it.each([true, false])('LSTM gradient through the cell states alone (hidden states unused), fused %s, equals the composite', (fused) => {
    const inputs = inputsFor(4);
    const loss = (x: tf.Tensor) => tf.sum(tf.square(recurrence({ ...inputs, x }, lstm).cellStates!));
    setFusedKernelsEnabled(false);
    const expected = tf.grad(loss)(inputs.x);
    setFusedKernelsEnabled(fused);
    const before = tf.memory().numTensors;
    const got = tf.grad(loss)(inputs.x);
    expect(tf.memory().numTensors).toBe(before + 1);
    const e = expected.dataSync();
    got.dataSync().forEach((v, k) => expect(v).toBeCloseTo(e[k]!, 5));
    tf.dispose([expected, got, ...Object.values(inputs)]);
    setFusedKernelsEnabled(true);
  });

  it.each([lstm, gru])('composite path (%o): inputs disposed after the call still differentiate (the backward op reads saved copies)', (attrs) => {
    setFusedKernelsEnabled(false);
    const inputs = inputsFor(attrs.cell === 'lstm' ? 4 : 3, attrs.cell === 'lstm' ? [4 * H] : [2, 3 * H]);
    const before = tf.memory().numTensors;
    const loss = (x: tf.Tensor) => {
      const h0 = tf.mul(inputs.h0!, 1);
      const kernel = tf.mul(inputs.kernel, 1);
      const out = recurrence({ ...inputs, x, h0, kernel }, attrs);
      tf.dispose([h0, kernel]);
      return tf.sum(out.hiddenStates);
    };
    const got = tf.grad(loss)(inputs.x);
    setFusedKernelsEnabled(true);
    const expected = tf.grad(loss)(inputs.x);
    const e = expected.dataSync();
    got.dataSync().forEach((v, k) => expect(v).toBeCloseTo(e[k]!, 5));
    tf.dispose([got, expected]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });

  it.each([
    ['lstm', lstm, [4 * H]],
    ['gru resetAfter', gru, [2, 3 * H]],
    ['gru', { ...gru, resetAfter: false }, [3 * H]],
  ] as const)('%s: the composite BPTT equals tape autodiff through the cell composite (two derivations agree)', (_name, attrs, biasShape) => {
    setFusedKernelsEnabled(false);
    const inputs = { ...inputsFor(biasShape[biasShape.length - 1]! / H, [...biasShape]), mask: tf.tensor2d([[1, 1, 0, 1], [0, 1, 1, 1]]) };
    const cellAttrs = { activation: attrs.activation, recurrentActivation: attrs.recurrentActivation, goBackwards: attrs.goBackwards, resetAfter: attrs.resetAfter };
    const args = [inputs.x, inputs.kernel, inputs.recurrentKernel, inputs.bias!, inputs.h0!];
    const viaOp = tf.grads((x: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor, h: tf.Tensor) =>
      tf.sum(tf.square(recurrence({ ...inputs, x, kernel: k, recurrentKernel: u, bias: b, h0: h }, attrs).hiddenStates)),
    )(args);
    const viaTape = tf.grads((x: tf.Tensor, k: tf.Tensor, u: tf.Tensor, b: tf.Tensor, h: tf.Tensor) =>
      tf.sum(tf.square(CELLS[attrs.cell].forward({ ...inputs, x, kernel: k, recurrentKernel: u, bias: b, h0: h }, cellAttrs).hiddenStates)),
    )(args);
    viaOp.forEach((g, i) => {
      const e = viaTape[i]!.dataSync();
      g.dataSync().forEach((v, k) => expect(Math.abs(v - e[k]!), `input ${i}[${k}]`).toBeLessThan(1e-5 + 1e-4 * Math.abs(e[k]!)));
    });
    setFusedKernelsEnabled(true);
    tf.dispose([...viaOp, ...viaTape, ...Object.values(inputs)]);
  });

  it.each([
    ['simpleRNN', { ...lstm, cell: 'simpleRNN' }, [H]],
    ['lstm', lstm, [4 * H]],
    ['gru resetAfter', gru, [2, 3 * H]],
  ] as const)('%s: a fractional mask blends h + m·(next − h) on the composite as in cpu\'s fused kernel; 0 and 1 select', (_name, attrs, biasShape) => {
    const inputs = { ...inputsFor(biasShape[biasShape.length - 1]! / H, [...biasShape]), mask: tf.tensor2d([[1, 0.5, 0, 1], [0.25, 1, 1, 0]]) };
    const dh = tf.randomUniform([B, T, H], -1, 1, 'float32', 8);
    const results = [true, false].map((fused) => {
      setFusedKernelsEnabled(fused);
      const out = recurrence(inputs, attrs as RecurrenceAttrs);
      const grads = recurrenceGrad(inputs, attrs as RecurrenceAttrs, { dh });
      return [out.hiddenStates, grads.dx, grads.dRecurrentKernel, grads.dh0].map((t) => {
        const v = Array.from(t.dataSync());
        t.dispose();
        return v;
      });
    });
    setFusedKernelsEnabled(true);
    results[1]!.forEach((values, i) => values.forEach((v, k) => expect(Math.abs(v - results[0]![i]![k]!), `result ${i}[${k}]`).toBeLessThan(1e-5)));
    tf.dispose([dh, ...Object.values(inputs)]);
  });

  it('hiddenStateGradients: the last step gets only its own upstream gradient; earlier steps add what flows back', () => {
    const inputs = inputsFor(3, [2, 3 * H]);
    const dh = tf.zeros([B, T, H]).bufferSync();
    for (let n = 0; n < B; n++) for (let j = 0; j < H; j++) dh.set(1, n, T - 1, j);
    const upstream = dh.toTensor();
    const before = tf.memory().numTensors;
    const perStep = hiddenStateGradients(inputs, gru, { dh: upstream });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(perStep.shape).toEqual([B, T, H]);
    const v = perStep.arraySync();
    for (let n = 0; n < B; n++) {
      expect(v[n]![T - 1]).toEqual([1, 1, 1]);
      expect(v[n]![0]!.some((g) => Math.abs(g) > 1e-4)).toBe(true);
    }
    // And dh0 is the gradient reaching the state before step 0.
    const grads = recurrenceGrad(inputs, gru, { dh: upstream });
    expect(grads.dHiddenStates).toBeUndefined();
    expect(grads.dh0.shape).toEqual([B, H]);
    tf.dispose([perStep, upstream, ...Object.values(grads), ...Object.values(inputs)]);
  });

  it('the fused kernels share one input validator: a kernel called around the op refuses wrong shapes by name', () => {
    const inputs = inputsFor(3, [3 * H]);
    const before = tf.memory().numTensors;
    const mask = tf.ones([B, T]);
    const call = () =>
      tf.engine().runKernel(
        GruSequence,
        { x: inputs.x, kernel: inputs.kernel, recurrentKernel: inputs.recurrentKernel, bias: inputs.bias!, h0: inputs.h0!, mask },
        { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true },
      );
    expect(call).toThrow(ShapeError);
    expect(call).toThrow('BasicGruSequence (cpu): expected bias of shape [2, 9], received [9]');
    mask.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });

  it('a failed call inside tf.tidy leaves the engine as it was', () => {
    const inputs = inputsFor(4);
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => recurrence({ ...inputs, h0: tf.zeros([B, H + 1]) }, lstm).hiddenStates)).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });
});
