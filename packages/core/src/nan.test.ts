/**
 * Each claim of the README section "NaN and Infinity" (packages/core/README.md), checked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicRNN, NonFiniteError, type RecurrenceAttrs, layers, type RecurrenceInputs, earlyStopping, recurrence, recurrenceGrad, setFusedKernelsEnabled } from './index.js';

const models: BasicRNN[] = [];
function model(config: Partial<ConstructorParameters<typeof BasicRNN>[0]> = {}): BasicRNN {
  const m = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1, ...config });
  models.push(m);
  return m;
}
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
});

/** [3, 4, 2] inputs in [-0.4, 0.4], with `edits` ([b, t, i, value]) applied. */
function input(edits: [number, number, number, number][] = []): tf.Tensor3D {
  const b = tf.buffer([3, 4, 2]);
  for (let i = 0; i < b.size; i++) b.values[i] = (i % 5) / 5 - 0.4;
  for (const [bi, t, f, v] of edits) b.set(v, bi, t, f);
  return b.toTensor() as tf.Tensor3D;
}

const rows = (t: tf.Tensor) => t.arraySync() as number[][][];

describe('NaN and Infinity in inputs (predict and call propagate them, as Keras does)', () => {
  it('a NaN at (example b, step t) makes that example NaN from step t on; other examples are untouched', () => {
    const m = model({ returnSequences: true });
    const clean = input();
    const dirty = input([[0, 2, 0, NaN]]);
    const [a, b] = [m.predict(clean), m.predict(dirty)];
    const [ra, rb] = [rows(a), rows(b)];
    expect(rb[0]![0]).toEqual(ra[0]![0]);
    expect(rb[0]![1]).toEqual(ra[0]![1]);
    expect(rb[0]![2]![0]).toBeNaN();
    expect(rb[0]![3]![0]).toBeNaN();
    expect(rb[1]).toEqual(ra[1]);
    expect(rb[2]).toEqual(ra[2]);
    tf.dispose([clean, dirty, a, b]);
  });

  it('Infinity follows IEEE arithmetic: tanh saturates x·w = ±∞ to ±1, and ∞ − ∞ gives NaN', () => {
    const m = model({ hiddenSize: 2 });
    const one = tf.fill([1, 2, 1], Infinity);
    const { output, state, hiddenStates } = m.call(one, { returnHiddenStates: true });
    const hs = rows(hiddenStates!)[0]!;
    for (const h of hs.flat()) expect(Math.abs(h)).toBe(1);
    expect(Number.isFinite(output.dataSync()[0])).toBe(true);
    // Two features at +∞ meeting kernel entries of opposite signs: +∞ + (−∞) = NaN for that unit.
    const m2 = model({ hiddenSize: 3 });
    m2.build([null, null, 2]);
    const both = input([[1, 1, 0, Infinity], [1, 1, 1, Infinity]]);
    const weights = m2.getWeights();
    const kernel = weights[0]!.arraySync() as number[][];
    tf.dispose(weights);
    const seq = m2.call(both, { returnHiddenStates: true });
    const h = rows(seq.hiddenStates!)[1]![1]!;
    h.forEach((v, unit) => {
      const mixed = Math.sign(kernel[0]![unit]!) !== Math.sign(kernel[1]![unit]!);
      if (mixed) expect(v).toBeNaN();
      else expect(Math.abs(v)).toBe(1);
    });
    expect(h.some(Number.isNaN)).toBe(true);
    tf.dispose([one, output, state, hiddenStates!, both, seq.output, seq.state, seq.hiddenStates!]);
  });

  it('masked steps: whatever they hold (finite, NaN, ±∞) is ignored exactly, fused or composite', () => {
    const m = model({ returnSequences: true });
    const mask = tf.tensor2d([[1, 1, 0, 1], [1, 1, 1, 1], [0, 1, 1, 0]]);
    const clean = input([[0, 2, 0, 0], [0, 2, 1, 0], [2, 0, 0, 0], [2, 0, 1, 0], [2, 3, 0, 0], [2, 3, 1, 0]]);
    const poisoned: [number, number, number, number][][] = [
      [[0, 2, 0, 1e6], [0, 2, 1, -1e6], [2, 0, 0, 3e38], [2, 3, 1, -3e38]],
      [[0, 2, 0, NaN], [2, 0, 1, NaN], [2, 3, 0, NaN]],
      [[0, 2, 0, Infinity], [0, 2, 1, -Infinity], [2, 0, 0, Infinity], [2, 3, 1, -Infinity]],
    ];
    try {
      for (const fused of [true, false]) {
        setFusedKernelsEnabled(fused);
        const a = m.call(clean, { mask, returnHiddenStates: true });
        for (const edits of poisoned) {
          const x = input(edits);
          const b = m.call(x, { mask, returnHiddenStates: true });
          for (const [ta, tb] of [[a.output, b.output], [a.state, b.state], [a.hiddenStates!, b.hiddenStates!]] as const) {
            const vb = Array.from(tb.dataSync());
            expect(vb.every(Number.isFinite), `fused ${fused}, ${String(edits[0]![3])}`).toBe(true);
            expect(vb).toEqual(Array.from(ta.dataSync()));
          }
          tf.dispose([x, b.output, b.state, b.hiddenStates!]);
        }
        tf.dispose([a.output, a.state, a.hiddenStates!]);
      }
    } finally {
      setFusedKernelsEnabled(true);
      tf.dispose([mask, clean]);
    }
  });
});

describe('NaN in a state and output masking (layers)', () => {
  it('inside a bidirectional layer with sequences, masked steps output exactly zeros even after a NaN step (Keras)', () => {
    const options = { units: 2, returnSequences: true, seed: 3 };
    for (const layer of [layers.simpleRNN(options), layers.lstm(options), layers.gru(options)]) {
      const bi = layers.bidirectional({ layer });
      const x = input([[0, 1, 0, NaN]]);
      const mask = tf.tensor2d([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1]]);
      const out = bi.apply(x, { mask }) as tf.Tensor;
      const row0 = rows(out)[0]!;
      expect(row0[3], layer.name).toEqual([0, 0, 0, 0]);
      expect(row0[1]!.some(Number.isNaN)).toBe(true); // the NaN step itself propagates, as in Keras
      tf.dispose([x, mask, out]);
      bi.dispose();
    }
  });
});

/**
 * Every path of every cell (cpu's fused kernels, the composites, the tape through SimpleRNN's composite, the
 * backward op called directly), forward and backward: a masked step's input is never read into a state, an
 * output or a gradient. NaN, +∞ and −∞ at masked steps give exactly the numbers of zeros there, all finite.
 */
describe('NaN and Infinity at masked steps, every cell and path', () => {
  const [B, T, I, H] = [3, 5, 2, 3];
  // Row 0: a masked step inside, row 1: masked at both ends, row 2: everything masked.
  const maskRows = [[1, 1, 0, 1, 1], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]];
  const poison = [NaN, Infinity, -Infinity];

  function x(poisoned: boolean): tf.Tensor3D {
    const b = tf.buffer([B, T, I]);
    let k = 0;
    for (let n = 0; n < B; n++)
      for (let t = 0; t < T; t++)
        for (let i = 0; i < I; i++, k++) b.set(maskRows[n]![t] === 0 ? (poisoned ? poison[k % 3]! : 0) : ((k * 7) % 11) / 11 - 0.5, n, t, i);
    return b.toTensor() as tf.Tensor3D;
  }

  const cases: [string, RecurrenceAttrs, { boolMask?: boolean; recurrentDropout?: boolean }][] = [
    ['simpleRNN tanh', { cell: 'simpleRNN', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false }, {}],
    ['simpleRNN linear, goBackwards, bool mask', { cell: 'simpleRNN', activation: 'linear', recurrentActivation: 'sigmoid', goBackwards: true, resetAfter: false }, { boolMask: true }],
    ['lstm', { cell: 'lstm', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false }, {}],
    ['lstm relu, goBackwards, recurrent dropout', { cell: 'lstm', activation: 'relu', recurrentActivation: 'hardSigmoid', goBackwards: true, resetAfter: false }, { recurrentDropout: true }],
    ['gru resetAfter', { cell: 'gru', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true }, { boolMask: true }],
    ['gru, goBackwards', { cell: 'gru', activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: true, resetAfter: false }, {}],
  ];

  for (const fused of [true, false]) {
    for (const [name, attrs, options] of cases) {
      it(`${name}, ${fused ? 'cpu fused kernels' : 'composite'}: outputs, states and every gradient as with zeros there`, () => {
        setFusedKernelsEnabled(fused);
        const before = tf.memory().numTensors;
        try {
          const results = [false, true].map((poisoned) => tf.tidy(() => run(x(poisoned), attrs, options)));
          const [clean, dirty] = results as [number[][], number[][]];
          expect(dirty.length).toBe(clean.length);
          dirty.forEach((values, k) => {
            expect(values.every(Number.isFinite), `result ${k} finite`).toBe(true);
            expect(values, `result ${k}`).toEqual(clean[k]);
          });
          expect(tf.memory().numTensors).toBe(before);
        } finally {
          setFusedKernelsEnabled(true);
        }
      });
    }
  }

  it('a masked step carries the state even where what the cell would compute there overflows (a select, not h + 0·(∞ − h))', () => {
    // Linear activation, one unit: step 0 makes the state 1e38, the masked steps would compute 4·1e38 = ∞ from it.
    const kernels = { simpleRNN: [1], lstm: [1, 1, 1, 1], gru: [-1, 1, 1] } as const;
    try {
      for (const fused of [true, false]) {
        setFusedKernelsEnabled(fused);
        for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
          const states = tf.tidy(() => {
            const width = kernels[cell].length;
            const out = recurrence(
              {
                x: tf.tensor3d([[[1e38], [0], [0]]]),
                kernel: tf.tensor2d([[...kernels[cell]]]),
                recurrentKernel: tf.fill([1, width], 4),
                h0: tf.zeros([1, 1]),
                mask: tf.tensor2d([[1, 0, 0]]),
              },
              { cell, activation: 'linear', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true },
            );
            return Array.from(out.hiddenStates.dataSync());
          });
          expect(states, `${cell}, fused ${fused}`).toEqual([Math.fround(1e38), Math.fround(1e38), Math.fround(1e38)]);
        }
      }
    } finally {
      setFusedKernelsEnabled(true);
    }
  });

  /** Forward values, tape gradients of every input, then the backward op's (with and without ∂loss/∂h_t). */
  function run(xs: tf.Tensor3D, attrs: RecurrenceAttrs, options: { boolMask?: boolean; recurrentDropout?: boolean }): number[][] {
    const gates = attrs.cell === 'lstm' ? 4 : attrs.cell === 'gru' ? 3 : 1;
    const seeded = (shape: number[], seed: number, scale = 0.5) => tf.randomUniform(shape, -scale, scale, 'float32', seed);
    const maskValues = tf.tensor2d(maskRows);
    const inputs: RecurrenceInputs = {
      x: xs,
      kernel: seeded([I, gates * H], 1),
      recurrentKernel: seeded([H, gates * H], 2),
      bias: seeded(attrs.cell === 'gru' && attrs.resetAfter ? [2, 3 * H] : [gates * H], 3, 0.2),
      h0: seeded([B, H], 4),
      mask: options.boolMask === true ? tf.cast(maskValues, 'bool') : maskValues,
      ...(attrs.cell === 'lstm' ? { c0: seeded([B, H], 5) } : {}),
      ...(options.recurrentDropout === true ? { recurrentDropoutMask: tf.tensor2d([[0, 2, 2], [2, 0, 2], [2, 2, 0]]) } : {}),
    };
    const names = (['x', 'kernel', 'recurrentKernel', 'bias', 'h0', 'c0'] as const).filter((n) => inputs[n] !== undefined);
    const dh = seeded([B, T, H], 6, 1);
    const dc = seeded([B, T, H], 7, 1);
    const loss = (...given: tf.Tensor[]) => {
      const out = recurrence({ ...inputs, ...Object.fromEntries(names.map((n, k) => [n, given[k]!])) }, attrs);
      const hPart = tf.sum(tf.mul(out.hiddenStates, dh));
      return (out.cellStates === undefined ? hPart : tf.add(hPart, tf.sum(tf.mul(out.cellStates, dc)))) as tf.Scalar;
    };
    const out = recurrence(inputs, attrs);
    const tape = tf.grads(loss)(names.map((n) => inputs[n]!));
    const upstream = attrs.cell === 'lstm' ? { dh, dc } : { dh };
    const direct = recurrenceGrad(inputs, attrs, upstream, { hiddenStateGrads: true });
    const plain = recurrenceGrad(inputs, attrs, upstream);
    const tensors = [out.hiddenStates, ...(out.cellStates ? [out.cellStates] : []), ...tape, ...Object.values(direct), ...Object.values(plain)];
    return tensors.map((t) => Array.from((t as tf.Tensor).dataSync()));
  }
});

describe('NaN and Infinity in weights', () => {
  it('setWeights accepts them (Keras does too) and predict propagates them', () => {
    const m = model();
    m.build([null, 4, 2]);
    const ws = m.getWeights();
    const poisoned = tf.fill([3], NaN); // the recurrent bias: every unit, every example
    m.setWeights([ws[0]!, ws[1]!, poisoned, ws[3]!, ws[4]!]);
    const x = input();
    const out = m.predict(x);
    expect(Array.from(out.dataSync()).every(Number.isNaN)).toBe(true);
    tf.dispose([...ws, poisoned, x, out]);
  });

  it('training from NaN weights stops before the first update with NonFiniteError', async () => {
    const m = model();
    m.build([null, 4, 2]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const ws = m.getWeights();
    const poisoned = tf.tensor2d([[NaN], [0], [0]]);
    m.setWeights([ws[0]!, ws[1]!, ws[2]!, poisoned, ws[4]!]);
    const x = input();
    const y = tf.zeros([3, 1]);
    await expect(m.fit(x, y)).rejects.toThrow(NonFiniteError);
    const after = m.getWeights();
    expect(after[3]!.dataSync()[0]).toBeNaN();
    expect(Array.from(after[0]!.dataSync())).toEqual(Array.from(ws[0]!.dataSync()));
    tf.dispose([...ws, ...after, poisoned, x, y]);
  });
});

describe('NaN and Infinity in training data and targets', () => {
  for (const [what, xEdits, yValue] of [
    ['NaN in x', [[1, 3, 1, NaN]], 0],
    ['Infinity in x', [[1, 3, 1, Infinity], [1, 3, 0, -Infinity]], 0],
    ['NaN in y', [], NaN],
    ['Infinity in y', [], Infinity],
  ] as const) {
    it(`${what}: fit stops with NonFiniteError before the update; weights and optimizer state stay`, async () => {
      const m = model();
      m.build([null, 4, 2]);
      const adam = tf.train.adam(0.01);
      m.compile({ optimizer: adam, loss: 'meanSquaredError' });
      const x = input(xEdits.map((e) => [...e] as [number, number, number, number]));
      const y = tf.tensor2d([[0.5], [yValue], [-0.5]]);
      const before = m.getWeights();
      const tensors = tf.memory().numTensors;
      const err = await m.fit(x, y, { batchSize: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonFiniteError);
      expect((err as NonFiniteError).epoch).toBe(0);
      expect((err as NonFiniteError).batch).toBe(0);
      expect(tf.memory().numTensors).toBe(tensors);
      expect((adam as unknown as { iterations: number }).iterations).toBe(0);
      const after = m.getWeights();
      after.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!.dataSync())));
      // trainOnBatch refuses the same batch the same way.
      await expect(m.trainOnBatch(x, y)).rejects.toThrow(NonFiniteError);
      tf.dispose([...before, ...after, x, y]);
      adam.dispose();
    });
  }

  it('evaluate reports a NaN loss without throwing (nothing is updated)', async () => {
    const m = model();
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
    const x = input([[0, 0, 0, NaN]]);
    const y = tf.zeros([3, 1]);
    const [loss, mae] = (await m.evaluate(x, y)) as number[];
    expect(loss).toBeNaN();
    expect(mae).toBeNaN();
    tf.dispose([x, y]);
  });

  it('NaN in validation data: training goes on, val_loss is NaN, and earlyStopping counts it as no improvement', async () => {
    const m = model();
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = input();
    const y = tf.zeros([3, 1]);
    const xVal = input([[0, 0, 0, NaN]]);
    const stopper = earlyStopping({ monitor: 'val_loss', patience: 1 });
    const history = await m.fit(x, y, { epochs: 5, validationData: [xVal, y], callbacks: [stopper] });
    expect(history.history.loss!.every(Number.isFinite)).toBe(true);
    expect(history.history.val_loss!.every(Number.isNaN)).toBe(true);
    expect(history.epoch).toEqual([0, 1]);
    expect(stopper.stoppedEpoch).toBe(1);
    tf.dispose([x, y, xVal]);
  });
});
