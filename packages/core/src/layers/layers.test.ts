import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicRNNError, ConfigError, DTypeError, NotBuiltError, ShapeError, WeightsError, layers, sequential } from '../index.js';
import { type Matrix, type RefLayer, dense, maxAbsDiff, randomMatrix, runBidirectional, runLayerBatch } from '../test/layers_reference.js';
import type { RecurrentLayer } from './recurrent.js';

// float32 against float64 over ≤ 8 steps of moderately scaled weights: measured max differences are ≈ 1e-7;
// 2e-5 leaves room for other backends' summation order without hiding a wrong gate or a shifted step.
const TOL = 2e-5;

const tensors: tf.Tensor[] = [];
function own<T extends tf.Tensor>(t: T): T {
  tensors.push(t);
  return t;
}
afterEach(() => {
  tf.dispose(tensors.splice(0));
});

function expectTypedError(fn: () => unknown, type: new (...args: never[]) => Error, pattern: RegExp): void {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(type);
  expect(caught).toBeInstanceOf(BasicRNNError);
  expect((caught as Error).message).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

/** Gives a built layer seeded random weights of moderate scale and returns them as the reference reads them. */
function randomizeWeights(layer: { getWeights(): tf.Tensor[]; setWeights(w: tf.Tensor[]): void }, seed: number): number[][][] {
  const current = layer.getWeights();
  const next = current.map((w, i) => {
    const rows = w.rank === 1 ? 1 : w.shape[0]!;
    const cols = w.shape[w.rank - 1]!;
    return tf.tensor(randomMatrix(rows, cols, seed * 31 + i, 0.6).flat(), w.shape, 'float32');
  });
  layer.setWeights(next);
  const arrays = next.map((w) => (w.rank === 1 ? [w.arraySync() as number[]] : (w.arraySync() as number[][])));
  tf.dispose([...current, ...next]);
  return arrays;
}

function refOf(layer: RecurrentLayer, w: number[][][], overrides: Partial<RefLayer> = {}): RefLayer {
  const c = layer.config;
  return {
    cell: layer.cell,
    units: c.units,
    activation: c.activation,
    recurrentActivation: c.recurrentActivation,
    resetAfter: c.resetAfter,
    goBackwards: c.goBackwards,
    returnSequences: c.returnSequences,
    kernel: w[0]!,
    recurrentKernel: w[1]!,
    ...(c.useBias ? { bias: w[2]!.flat() } : {}),
    ...overrides,
  };
}

const B = 3;
const T = 6;
const I = 4;
const xData = (seed = 1): Matrix[] => Array.from({ length: B }, (_, b) => randomMatrix(T, I, seed + b));
// Right-padded, left-padded, and a sequence with a hole.
const MASK = [
  [1, 1, 1, 1, 0, 0],
  [0, 0, 1, 1, 1, 1],
  [1, 0, 1, 1, 0, 1],
];

const CELLS = [
  { name: 'simpleRNN', make: (o: object) => layers.simpleRNN({ units: 5, ...o }) },
  { name: 'lstm', make: (o: object) => layers.lstm({ units: 5, ...o }) },
  { name: 'gru resetAfter', make: (o: object) => layers.gru({ units: 5, ...o }) },
  { name: 'gru resetBefore', make: (o: object) => layers.gru({ units: 5, resetAfter: false, ...o }) },
] as const;

const OPTION_CASES: { label: string; options: object; mask?: boolean; initial?: boolean }[] = [
  { label: 'last output', options: {} },
  { label: 'returnSequences', options: { returnSequences: true } },
  { label: 'goBackwards + sequences', options: { goBackwards: true, returnSequences: true } },
  { label: 'no bias', options: { useBias: false } },
  { label: 'masked (right, left, hole) + sequences', options: { returnSequences: true }, mask: true },
  { label: 'masked last output', options: {}, mask: true },
  { label: 'masked goBackwards', options: { goBackwards: true, returnSequences: true }, mask: true },
  { label: 'initial state', options: { returnSequences: true }, initial: true },
  { label: 'initial state + mask (zeros before the first real step)', options: { returnSequences: true }, mask: true, initial: true },
  { label: 'other activations', options: { activation: 'softsign', recurrentActivation: 'hardSigmoid' } },
];

describe('recurrent layers against the float64 reference', () => {
  for (const cell of CELLS) {
    for (const c of OPTION_CASES) {
      if (cell.name === 'simpleRNN' && c.label === 'other activations') continue; // no recurrentActivation
      it(`${cell.name}: ${c.label}`, () => {
        const layer = cell.make({ ...c.options, returnState: true, seed: 3 }) as RecurrentLayer;
        layer.build([null, T, I]);
        const w = randomizeWeights(layer, 5);
        const xs = xData();
        const x = own(tf.tensor(xs));
        const mask = c.mask ? own(tf.tensor(MASK, [B, T], 'bool')) : undefined;
        const initial = c.initial ? Array.from({ length: layer.stateCount }, (_, k) => randomMatrix(B, 5, 40 + k, 0.8)) : undefined;
        const initialTensors = initial?.map((m) => own(tf.tensor(m)));
        const [output, ...states] = layer.apply(x, {
          ...(mask ? { mask } : {}),
          ...(initialTensors ? { initialState: initialTensors } : {}),
        }) as tf.Tensor[];
        tensors.push(output!, ...states);
        const ref = runLayerBatch(refOf(layer, w), xs, c.mask ? MASK : undefined, initial);
        expect(maxAbsDiff(output!.arraySync(), ref.output)).toBeLessThan(TOL);
        expect(states.length).toBe(layer.stateCount);
        states.forEach((s, k) => expect(maxAbsDiff(s.arraySync(), ref.states[k])).toBeLessThan(TOL));
        layer.dispose();
      });
    }
  }

  it('LSTM: the forget bias starts at 1 (unitForgetBias), or at the bias initialiser without it', () => {
    const a = layers.lstm({ units: 3, seed: 1 });
    const b = layers.lstm({ units: 3, seed: 1, unitForgetBias: false });
    a.build([null, null, 2]);
    b.build([null, null, 2]);
    const [, , biasA] = a.getWeights();
    const [, , biasB] = b.getWeights();
    expect(Array.from(biasA!.dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(biasB!.dataSync())).toEqual(new Array(12).fill(0));
    tf.dispose([...a.getWeights(), ...b.getWeights(), biasA!, biasB!]);
    a.dispose();
    b.dispose();
  });

  it('weight shapes follow Keras per cell (GRU resetAfter: bias [2, 3H])', () => {
    const shapes = (layer: RecurrentLayer) => {
      layer.build([null, null, 7]);
      const ws = layer.getWeights();
      const out = ws.map((w) => w.shape);
      tf.dispose(ws);
      layer.dispose();
      return out;
    };
    expect(shapes(layers.simpleRNN({ units: 4 }))).toEqual([[7, 4], [4, 4], [4]]);
    expect(shapes(layers.lstm({ units: 4 }))).toEqual([[7, 16], [4, 16], [16]]);
    expect(shapes(layers.gru({ units: 4 }))).toEqual([[7, 12], [4, 12], [2, 12]]);
    expect(shapes(layers.gru({ units: 4, resetAfter: false }))).toEqual([[7, 12], [4, 12], [12]]);
  });
});

describe('bidirectional', () => {
  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    for (const returnSequences of [false, true]) {
      it(`${mergeMode}, returnSequences ${returnSequences}, masked (zeros at masked steps with sequences)`, () => {
        const bi = layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences }), mergeMode });
        bi.seed = 9;
        bi.build([null, T, I]);
        const w = randomizeWeights(bi, 7);
        const xs = xData(4);
        const x = own(tf.tensor(xs));
        const mask = own(tf.tensor(MASK, [B, T], 'bool'));
        const y = own(bi.apply(x, { mask }) as tf.Tensor);
        const base = { cell: 'lstm' as const, units: 3, returnSequences };
        const ref = runBidirectional(
          { ...base, kernel: w[0]!, recurrentKernel: w[1]!, bias: w[2]!.flat() },
          { ...base, kernel: w[3]!, recurrentKernel: w[4]!, bias: w[5]!.flat() },
          mergeMode,
          xs,
          MASK,
        );
        expect(maxAbsDiff(y.arraySync(), ref)).toBeLessThan(TOL);
        if (returnSequences) {
          const seq = y.arraySync() as number[][][];
          MASK.forEach((row, b) => row.forEach((m, t) => m === 0 && expect(seq[b]![t]!.every((v) => v === 0)).toBe(true)));
        }
        bi.dispose();
      });
    }
  }

  it('mergeMode null returns both directions; weights are forward then backward', () => {
    const bi = layers.bidirectional({ layer: layers.gru({ units: 2, returnSequences: true }), mergeMode: null });
    bi.build([null, T, I]);
    expect(bi.weightNames()).toEqual([
      `${bi.forwardLayer.name}/kernel`,
      `${bi.forwardLayer.name}/recurrent_kernel`,
      `${bi.forwardLayer.name}/bias`,
      `${bi.backwardLayer.name}/kernel`,
      `${bi.backwardLayer.name}/recurrent_kernel`,
      `${bi.backwardLayer.name}/bias`,
    ]);
    const x = own(tf.tensor(xData()));
    const out = bi.apply(x) as tf.Tensor[];
    tensors.push(...out);
    expect(out.map((t) => t.shape)).toEqual([
      [B, T, 2],
      [B, T, 2],
    ]);
    // The two directions start from different weights.
    const ws = bi.getWeights();
    expect(maxAbsDiff(ws[0]!.arraySync(), ws[3]!.arraySync())).toBeGreaterThan(0);
    tf.dispose(ws);
    bi.dispose();
  });
});

describe('masks through stacks', () => {
  it('masking → lstm(sequences) → gru → dense equals the reference chain on right- and left-padded data', () => {
    const model = sequential({
      layers: [layers.masking({ maskValue: 0 }), layers.lstm({ units: 4, returnSequences: true }), layers.gru({ units: 3 }), layers.dense({ units: 2 })],
      seed: 11,
    });
    model.build([null, T, I]);
    const ws = model.getWeights();
    const next = ws.map((w, i) => tf.tensor(randomMatrix(w.rank === 1 ? 1 : w.shape[0]!, w.shape[w.rank - 1]!, 70 + i, 0.6).flat(), w.shape));
    model.setWeights(next);
    const arr = next.map((w) => (w.rank === 1 ? [w.arraySync() as number[]] : (w.arraySync() as number[][])));
    tf.dispose([...ws, ...next]);
    const xs = xData(8).map((seq, b) => seq.map((row, t) => (MASK[b]![t] ? row : row.map(() => 0))));
    const y = own(model.predict(own(tf.tensor(xs))));
    const h1 = runLayerBatch({ cell: 'lstm', units: 4, returnSequences: true, kernel: arr[0]!, recurrentKernel: arr[1]!, bias: arr[2]!.flat() }, xs, MASK).output as Matrix[];
    const h2 = runLayerBatch({ cell: 'gru', units: 3, kernel: arr[3]!, recurrentKernel: arr[4]!, bias: arr[5]!.flat() }, h1, MASK).output;
    const ref = dense(h2, arr[6]!, arr[7]![0]);
    expect(maxAbsDiff(y.arraySync(), ref)).toBeLessThan(TOL);
    model.dispose();
  });

  it('embedding with maskZero gives the same outputs as the unpadded sequences (left and right padding)', () => {
    const model = sequential({ layers: [layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true }), layers.lstm({ units: 4 })], seed: 2 });
    const ids = own(
      tf.tensor2d(
        [
          [0, 0, 3, 4, 5],
          [3, 4, 5, 0, 0],
        ],
        [2, 5],
        'int32',
      ),
    );
    const padded = own(model.predict(ids));
    const unpadded = own(model.predict(own(tf.tensor2d([[3, 4, 5]], [1, 3], 'int32'))));
    const p = padded.arraySync() as number[][];
    const u = unpadded.arraySync() as number[][];
    expect(maxAbsDiff(p[0], u[0])).toBeLessThan(1e-6);
    expect(maxAbsDiff(p[1], u[0])).toBeLessThan(1e-6);
    model.dispose();
  });

  it('an explicit mask argument reaches the recurrent layers of a sequential model', () => {
    const model = sequential({ layers: [layers.simpleRNN({ units: 3, returnSequences: true }), layers.dense({ units: 1 })], seed: 4 });
    const x = own(tf.tensor(xData()));
    const mask = own(tf.tensor(MASK, [B, T], 'float32'));
    const masked = own(model.call(x, { mask })).arraySync() as number[][][];
    const plain = own(model.call(x)).arraySync() as number[][][];
    // Before the first real step the output is Dense(zeros) = bias = 0 at init; later masked steps repeat.
    expect(masked[1]![0]![0]).toBe(0);
    expect(masked[0]![5]).toEqual(masked[0]![3]);
    expect(maxAbsDiff(masked[0]!.slice(0, 4), plain[0]!.slice(0, 4))).toBeLessThan(1e-7);
    model.dispose();
  });

  it('padded batches train like the unpadded sequences: same loss and gradients, right or left padding', async () => {
    const make = () => sequential({ layers: [layers.masking(), layers.gru({ units: 3 }), layers.dense({ units: 1 })], seed: 21 });
    const seqA = randomMatrix(3, 2, 1);
    const seqB = randomMatrix(5, 2, 2);
    const pad = (seq: Matrix, left: boolean) => {
      const zeros = Array.from({ length: 5 - seq.length }, () => [0, 0]);
      return left ? [...zeros, ...seq] : [...seq, ...zeros];
    };
    const y = own(tf.tensor2d([[0.5], [-0.3]]));
    const gradsFor = (model: ReturnType<typeof make>, x: tf.Tensor, labels: tf.Tensor) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(model.call(x), labels)) as tf.Scalar, model.trainableVariables());
        return [value, ...Object.values(grads)].map((t) => t.arraySync());
      });
    const reference = make();
    reference.build([null, null, 2]);
    // Unpadded: per-example losses averaged (two single-example batches of different lengths).
    const gA = gradsFor(reference, own(tf.tensor([seqA])), own(tf.tensor2d([[0.5]])));
    const gB = gradsFor(reference, own(tf.tensor([seqB])), own(tf.tensor2d([[-0.3]])));
    const mean = (a: unknown, b: unknown): unknown => (typeof a === 'number' ? (a + (b as number)) / 2 : (a as unknown[]).map((v, i) => mean(v, (b as unknown[])[i])));
    const expected = gA.map((g, i) => mean(g, gB[i]));
    for (const left of [false, true]) {
      const x = own(tf.tensor([pad(seqA, left), pad(seqB, left)]));
      const got = gradsFor(reference, x, y);
      got.forEach((g, i) => expect(maxAbsDiff(g, expected[i])).toBeLessThan(1e-6));
    }
    // And fit lowers the loss on the padded batch.
    reference.compile({ optimizer: 'adam', learningRate: 0.05, loss: 'meanSquaredError' });
    const xl = own(tf.tensor([pad(seqA, true), pad(seqB, false)]));
    const before = (await reference.evaluate(xl, y)) as number;
    await reference.fit(xl, y, { epochs: 20, batchSize: 2 });
    const after = (await reference.evaluate(xl, y)) as number;
    expect(after).toBeLessThan(before * 0.5);
    reference.dispose();
  });
});

describe('stateful streaming', () => {
  for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
    it(`${cell}: one step, then chunks, equal the full-sequence call; resetStates starts over`, () => {
      const make = (stateful: boolean) => layers[cell]({ units: 4, returnSequences: true, stateful, seed: 12 });
      const full = make(false);
      const streaming = make(true);
      const x = own(tf.tensor(xData(3)));
      const whole = own(full.apply(x) as tf.Tensor);
      streaming.build([B, null, I]);
      streaming.setWeights(full.getWeights().map((w) => own(w)));
      const parts: tf.Tensor[] = [];
      for (const [start, size] of [
        [0, 1],
        [1, 1],
        [2, 3],
        [5, 1],
      ] as const) {
        parts.push(own(streaming.apply(own(tf.slice(x, [0, start, 0], [B, size, I]))) as tf.Tensor));
      }
      const streamed = own(tf.concat(parts, 1));
      expect(maxAbsDiff(streamed.arraySync(), whole.arraySync())).toBeLessThan(1e-6);
      streaming.resetStates();
      const again = own(streaming.apply(own(tf.slice(x, [0, 0, 0], [B, 1, I]))) as tf.Tensor);
      expect(maxAbsDiff(again.arraySync(), own(tf.slice(whole, [0, 0, 0], [B, 1, 4])).arraySync())).toBe(0);
      full.dispose();
      streaming.dispose();
    });
  }

  it('a stateful sequential model streams too and resets', () => {
    const model = sequential({ layers: [layers.lstm({ units: 3, stateful: true, returnSequences: true }), layers.dense({ units: 1 })], seed: 5 });
    model.build([2, null, I]);
    const x = own(tf.randomNormal([2, 4, I]));
    const whole = own(model.predict(x));
    model.resetStates();
    const a = own(model.predict(own(tf.slice(x, [0, 0, 0], [2, 2, I]))));
    const b = own(model.predict(own(tf.slice(x, [0, 2, 0], [2, 2, I]))));
    expect(maxAbsDiff(own(tf.concat([a, b], 1)).arraySync(), whole.arraySync())).toBeLessThan(1e-6);
    model.dispose();
  });
});

describe('dropout', () => {
  it('is off outside training, seeded, and one input mask per sequence (the same at every step)', () => {
    // Linear SimpleRNN with identity kernel and zero recurrence: output_t = x_t ⊙ mask.
    const layer = layers.simpleRNN({ units: 4, activation: 'linear', useBias: false, returnSequences: true, dropout: 0.5, seed: 3 });
    layer.build([null, null, 4]);
    layer.setWeights([own(tf.eye(4)), own(tf.zeros([4, 4]))]);
    const x = own(tf.ones([8, 5, 4]));
    expect(maxAbsDiff(own(layer.apply(x) as tf.Tensor).arraySync(), x.arraySync())).toBe(0);
    const y = own(layer.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][][];
    const values = new Set(y.flat(2));
    expect([...values].sort()).toEqual([0, 2]);
    for (const seq of y) for (const step of seq) expect(step).toEqual(seq[0]);
    const twin = layers.simpleRNN({ units: 4, activation: 'linear', useBias: false, returnSequences: true, dropout: 0.5, seed: 3 });
    twin.build([null, null, 4]);
    twin.setWeights([own(tf.eye(4)), own(tf.zeros([4, 4]))]);
    expect(own(twin.apply(x, { training: true }) as tf.Tensor).arraySync()).toEqual(y);
    layer.dispose();
    twin.dispose();
  });

  it('recurrentDropout drops state units in training only', () => {
    const layer = layers.lstm({ units: 6, recurrentDropout: 0.5, seed: 1 });
    const x = own(tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1));
    const a = own(layer.apply(x) as tf.Tensor);
    const b = own(layer.apply(x) as tf.Tensor);
    const c = own(layer.apply(x, { training: true }) as tf.Tensor);
    expect(maxAbsDiff(a.arraySync(), b.arraySync())).toBe(0);
    expect(maxAbsDiff(a.arraySync(), c.arraySync())).toBeGreaterThan(1e-4);
    layer.dispose();
  });

  it('layers.dropout scales kept units by 1/(1 − rate) in training and passes through otherwise', () => {
    const d = layers.dropout({ rate: 0.25, seed: 2 });
    const x = own(tf.ones([4, 3, 5]));
    expect((own(d.apply(x) as tf.Tensor).arraySync() as number[][][]).flat(2).every((v) => v === 1)).toBe(true);
    const values = new Set((own(d.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][][]).flat(2).map((v) => v.toFixed(4)));
    expect([...values].sort()).toEqual(['0.0000', '1.3333']);
    d.dispose();
  });
});

describe('initialisers and regularisers', () => {
  it('named initialisers with seeds: reproducible, orthogonal recurrent kernels, zeros and ones', () => {
    const make = () => layers.gru({ units: 3, seed: 8, kernelInitializer: 'heUniform', biasInitializer: 'ones' });
    const a = make();
    const b = make();
    a.build([null, null, 4]);
    b.build([null, null, 4]);
    const [wa, ua, ba] = a.getWeights();
    const [wb] = b.getWeights();
    expect(wa!.arraySync()).toEqual(wb!.arraySync());
    expect(Math.max(...(wa!.dataSync() as Float32Array).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 4));
    expect(Array.from(ba!.dataSync()).every((v) => v === 1)).toBe(true);
    // Orthogonal [3, 9]: rows orthonormal.
    const gram = own(tf.matMul(ua!, ua!, false, true)).arraySync() as number[][];
    expect(maxAbsDiff(gram, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])).toBeLessThan(1e-5);
    tf.dispose([...a.getWeights(), ...b.getWeights(), wa!, ua!, ba!, wb!]);
    const explicit = layers.dense({ units: 2, kernelInitializer: { name: 'glorotNormal', seed: 5 } });
    const explicit2 = layers.dense({ units: 2, kernelInitializer: { name: 'glorotNormal', seed: 5 }, seed: 99 });
    explicit.build([null, 3]);
    explicit2.build([null, 3]);
    const [k1] = explicit.getWeights();
    const [k2] = explicit2.getWeights();
    expect(k1!.arraySync()).toEqual(k2!.arraySync());
    tf.dispose([k1!, k2!, ...explicit.getWeights().slice(1), ...explicit2.getWeights().slice(1)]);
    for (const l of [a, b, explicit, explicit2]) l.dispose();
  });

  it('L1/L2 penalties are added to the training loss (Keras: l1·Σ|w| + l2·Σw²)', async () => {
    const model = sequential({
      layers: [layers.simpleRNN({ units: 3, kernelRegularizer: { l2: 0.1 }, recurrentRegularizer: 'l1', biasRegularizer: { l1: 0.2, l2: 0.3 } }), layers.dense({ units: 1 })],
      seed: 3,
    });
    model.build([null, 4, 2]);
    const [k, u, b] = model.getWeights().map((w) => own(w));
    const expected =
      0.1 * (own(tf.sum(tf.square(k!))).arraySync() as number) +
      0.01 * (own(tf.sum(tf.abs(u!))).arraySync() as number) +
      0.2 * (own(tf.sum(tf.abs(b!))).arraySync() as number) +
      0.3 * (own(tf.sum(tf.square(b!))).arraySync() as number);
    const penalty = own(model.regularizationLoss()!);
    expect(penalty.arraySync() as number).toBeCloseTo(expected, 6);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = own(tf.randomNormal([4, 4, 2], 0, 1, 'float32', 3));
    const y = own(tf.zeros([4, 1]));
    const mse = own(tf.mean(tf.square(own(model.predict(x))))).arraySync() as number;
    expect((await model.evaluate(x, y)) as number).toBeCloseTo(mse + expected, 5);
    model.dispose();
  });
});

describe('summary and countParams', () => {
  it('prints every layer as Keras does and counts each cell’s parameters', () => {
    const model = sequential({
      name: 'seq_summary',
      layers: [
        layers.masking({ name: 'mask_in' }),
        layers.lstm({ units: 8, returnSequences: true, name: 'lstm_a' }),
        layers.bidirectional({ layer: layers.gru({ units: 4, name: 'gru_b' }), name: 'bi' }),
        layers.dense({ units: 1, name: 'head' }),
      ],
    });
    model.build([null, 20, 3]);
    const lines: string[] = [];
    const text = model.summary({ printFn: (l) => lines.push(l) });
    const lstm = 4 * 8 * (3 + 8 + 1);
    const gru = 3 * 4 * (8 + 4 + 2);
    expect(model.countParams()).toBe(lstm + 2 * gru + (8 + 1));
    expect(text).toBe(
      [
        'Model: "seq_summary"',
        '_________________________________________________________________',
        ' Layer (type)                Output Shape              Param #',
        '=================================================================',
        ' mask_in (Masking)           (None, 20, 3)             0',
        '',
        ' lstm_a (LSTM)               (None, 20, 8)             384',
        '',
        ' bi (Bidirectional)          (None, 8)                 336',
        '',
        ' head (Dense)                (None, 1)                 9',
        '=================================================================',
        'Total params: 729',
        'Trainable params: 729',
        'Non-trainable params: 0',
        '_________________________________________________________________',
      ].join('\n'),
    );
    expect(lines.join('\n')).toBe(text);
    const simple = layers.simpleRNN({ units: 5 });
    const emb = layers.embedding({ inputDim: 100, outputDim: 8 });
    const gruBefore = layers.gru({ units: 5, resetAfter: false });
    expect(simple.countParams([null, null, 3])).toBe(5 * (3 + 5 + 1));
    expect(emb.countParams([null, 7])).toBe(800);
    expect(gruBefore.countParams([null, null, 3])).toBe(3 * 5 * (3 + 5 + 1));
    model.dispose();
  });
});

describe('sequential models train', () => {
  it('call returns the output tensor, predict batches, getWeights/setWeights round-trip, fit lowers the loss', async () => {
    const model = sequential({ layers: [layers.lstm({ units: 6, returnSequences: true }), layers.dropout({ rate: 0.1 }), layers.dense({ units: 2, activation: 'softmax' })], seed: 1 });
    const x = own(tf.randomNormal([10, 5, 3], 0, 1, 'float32', 2));
    const out = own(model.call(x));
    expect(out.shape).toEqual([10, 5, 2]);
    expect(maxAbsDiff(own(model.predict(x, { batchSize: 3 })).arraySync(), out.arraySync())).toBeLessThan(1e-6);
    const ws = model.getWeights();
    model.setWeights(ws);
    tf.dispose(ws);
    expect(model.outputActivation).toBe('softmax');
    const labels = own(tf.oneHot(tf.cast(tf.greater(tf.sum(x, -1), 0), 'int32'), 2));
    model.compile({ optimizer: 'adam', learningRate: 0.03, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const before = (await model.evaluate(x, labels)) as number[];
    const history = await model.fit(x, labels, { epochs: 15, batchSize: 5 });
    expect(history.history.loss!.length).toBe(15);
    const after = (await model.evaluate(x, labels)) as number[];
    expect(after[0]!).toBeLessThan(before[0]! * 0.7);
    model.dispose();
  });
});

describe('forward dispatches', () => {
  // An LSTM that returns no state takes only the last hidden state: slicing the cell states' last step as well
  // was two dispatches per call (a third of an LSTM + Dense predict's at B1·T50) for a tensor nobody reads.
  it('an LSTM without returnState slices only the last hidden state; with it, both final states', async () => {
    const x = own(tf.tensor(xData()));
    const model = sequential({ layers: [layers.lstm({ units: 5 }), layers.dense({ units: 2 })], seed: 2 });
    model.build([null, T, I]);
    const { kernels } = await tf.profile(() => model.predict(x));
    expect(kernels.filter((k) => k.name === 'Slice')).toHaveLength(1);
    model.dispose();

    const layer = layers.lstm({ units: 5, returnState: true, seed: 2 }) as RecurrentLayer;
    layer.build([null, T, I]);
    const w = randomizeWeights(layer, 7);
    const states = await tf.profile(() => layer.apply(x) as tf.Tensor[]);
    expect(states.kernels.filter((k) => k.name === 'Slice')).toHaveLength(2);
    const [output, h, c] = layer.apply(x) as tf.Tensor[];
    tensors.push(output!, h!, c!);
    const ref = runLayerBatch(refOf(layer, w), xData());
    expect(maxAbsDiff(h!.arraySync(), ref.states[0])).toBeLessThan(TOL);
    expect(maxAbsDiff(c!.arraySync(), ref.states[1])).toBeLessThan(TOL);
    layer.dispose();
  });
});

describe('bad input: typed errors naming the argument, nothing leaked', () => {
  it('unknown cell, unknown mergeMode, unknown options', () => {
    expectTypedError(
      () => layers.bidirectional({ layer: layers.lstm({ units: 2 }), mergeMode: 'max' as 'sum' }),
      ConfigError,
      /layers.bidirectional\(options\).mergeMode: expected one of 'concat', 'sum', 'mul', 'ave', null, received "max"/,
    );
    expectTypedError(() => layers.lstm({ units: 2, retrunSequences: true } as never), ConfigError, /did you mean "returnSequences"/);
    expectTypedError(() => layers.gru({ units: 2, unitForgetBias: true } as never), ConfigError, /layers.gru\(options\): unknown option "unitForgetBias"/);
    expectTypedError(() => layers.lstm({ units: 0 }), ConfigError, /layers.lstm\(options\).units: expected a positive integer, received 0/);
    expectTypedError(() => layers.lstm({ units: 2, recurrentActivation: 'gelu' as 'tanh' }), ConfigError, /recurrentActivation: expected one of .*received "gelu"/);
    expectTypedError(() => layers.dense({ units: 2, kernelInitializer: 'xavier' as 'zeros' }), ConfigError, /kernelInitializer: expected one of 'glorotUniform'.*received "xavier"/);
    expectTypedError(() => sequential({ layers: [layers.lstm({ units: 2, returnState: true })] }), ConfigError, /returns several tensors/);
    expectTypedError(() => layers.gru({ units: 2, kernelRegularizer: { l2: -1 } }), ConfigError, /kernelRegularizer.l2: expected a non-negative finite number, received -1/);
    expectTypedError(() => layers.gru({ units: 2, biasRegularizer: 'l3' as 'l1' }), ConfigError, /biasRegularizer: expected one of 'l1', 'l2', 'l1l2', received "l3"/);
    expectTypedError(() => layers.embedding({ outputDim: 4 } as never), ConfigError, /layers.embedding\(options\): the option "inputDim" is required/);
    expectTypedError(() => layers.masking({ maskValue: Number.NaN }), ConfigError, /maskValue: expected a finite number, received NaN/);
    expectTypedError(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as never }), ConfigError, /layer: expected a recurrent layer/);
  });

  it('unknown call arguments; compiling a model without weights', () => {
    const layer = layers.gru({ units: 2, name: 'g_args' });
    const x = own(tf.zeros([2, 5, 3]));
    expectTypedError(() => layer.apply(x, { trainig: true } as never), ConfigError, /g_args.apply\(x, args\): unknown option "trainig"; did you mean "training"\?/);
    expect(layer.built).toBe(false);
    const model = sequential({ layers: [layers.masking(), layers.dropout({ rate: 0.1 })] });
    expectTypedError(() => model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' }), ConfigError, /has no layer with weights to train/);
    expectTypedError(() => sequential({ layers: [layers.lstm({ units: 2 })] }).call(x, { training: 1 } as never), ConfigError, /call\(x, options\).training: expected a boolean, received 1/);
  });

  it('unknown cell in BasicRNN', async () => {
    const { BasicRNN } = await import('../model.js');
    expectTypedError(() => new BasicRNN({ hiddenSize: 2, outputSize: 1, cell: 'rnn' as 'gru' }), ConfigError, /cell: expected one of 'simpleRNN', 'lstm', 'gru', received "rnn"/);
  });

  it('dropout outside [0, 1)', () => {
    for (const rate of [-0.1, 1, 1.5, Number.NaN]) {
      expectTypedError(() => layers.simpleRNN({ units: 2, dropout: rate }), ConfigError, /layers.simpleRNN\(options\).dropout: expected a number in \[0, 1\)/);
      expectTypedError(() => layers.lstm({ units: 2, recurrentDropout: rate }), ConfigError, /recurrentDropout: expected a number in \[0, 1\)/);
      expectTypedError(() => layers.dropout({ rate }), ConfigError, /layers.dropout\(options\).rate: expected a number in \[0, 1\)/);
    }
  });

  it('stateful without a fixed batch size; a stateful layer fed another batch size', () => {
    const layer = layers.lstm({ units: 2, stateful: true });
    expectTypedError(() => layer.build([null, 5, 3]), ConfigError, /stateful and needs a fixed batch size.*received \[null,5,3\]/);
    const model = sequential({ layers: [layers.gru({ units: 2, stateful: true })] });
    expectTypedError(() => model.build([null, null, 3]), ConfigError, /stateful and needs a fixed batch size/);
    model.build([4, null, 3]);
    const x = own(tf.zeros([2, 5, 3]));
    expectTypedError(() => model.predict(x), ShapeError, /built for \[4,null,3\], received shape \[2,5,3\]/);
    expectTypedError(() => layers.lstm({ units: 2 }).resetStates(), ConfigError, /is not stateful/);
    layer.dispose();
    model.dispose();
  });

  it('a mask of the wrong shape or dtype', () => {
    const layer = layers.gru({ units: 2 });
    const x = own(tf.zeros([2, 5, 3]));
    const short = own(tf.ones([2, 4], 'bool'));
    const ints = own(tf.ones([2, 5], 'int32'));
    const transposed = own(tf.ones([5, 2]));
    expectTypedError(() => layer.apply(x, { mask: short }), ShapeError, /mask: expected a tensor of shape \[2,5\] \(\[batch, steps\]\), received bool tensor of shape \[2,4\]/);
    expectTypedError(() => layer.apply(x, { mask: ints }), DTypeError, /mask: expected dtype bool or float32, received int32/);
    expect(layer.built).toBe(false);
    const model = sequential({ layers: [layers.lstm({ units: 2 })] });
    expectTypedError(() => model.call(x, { mask: transposed }), ShapeError, /call\(x, options\).mask: expected a tensor of shape \[2,5\]/);
    expect(model.isBuilt).toBe(false);
    layer.dispose();
    model.dispose();
  });

  it('weights of the wrong count or shape name the layer and the weight; nothing changes', () => {
    const model = sequential({ layers: [layers.lstm({ units: 3, name: 'enc' }), layers.dense({ units: 1, name: 'out' })], seed: 1 });
    model.build([null, null, 2]);
    const ws = model.getWeights();
    const before = ws.map((w) => w.arraySync());
    expectTypedError(() => model.setWeights(ws.slice(0, 4)), WeightsError, /expected 5 tensors \(enc\/kernel, enc\/recurrent_kernel, enc\/bias, out\/kernel, out\/bias\), received 4/);
    const wrong = own(tf.zeros([3, 9]));
    expectTypedError(() => model.setWeights([ws[0]!, wrong, ...ws.slice(2)]), WeightsError, /weights\[1\] enc\/recurrent_kernel\): expected shape \[3,12\], received \[3,9\]/);
    const gru = layers.gru({ units: 2, name: 'g' });
    gru.build([null, null, 2]);
    const gws = gru.getWeights();
    const flatBias = own(tf.zeros([6]));
    expectTypedError(() => gru.setWeights([gws[0]!, gws[1]!, flatBias]), WeightsError, /g\/bias\): expected shape \[2,6\], received \[6\]/);
    expect(model.getWeights().map((w) => own(w).arraySync())).toEqual(before);
    tf.dispose([...ws, ...gws]);
    gru.dispose();
    model.dispose();
  });

  it('initial states of the wrong count or shape; calls on an unbuilt model', () => {
    const layer = layers.lstm({ units: 2 });
    const x = own(tf.zeros([2, 5, 3]));
    const h = own(tf.zeros([2, 2]));
    const c = own(tf.zeros([2, 3]));
    const ints = own(tf.zeros([2, 3, 1], 'int32'));
    expectTypedError(() => layer.apply(x, { initialState: h }), ConfigError, /expects 2 initial states \(\[h, c\]\), received 1/);
    expectTypedError(() => layer.apply(x, { initialState: [h, c] }), ShapeError, /initialState\[1\]: expected a tensor of shape \[2,2\]/);
    expect(layer.built).toBe(false);
    expectTypedError(() => sequential({ layers: [layers.dense({ units: 1 })] }).getWeights(), NotBuiltError, /not built/);
    expectTypedError(() => sequential({ layers: [layers.lstm({ units: 1 })] }).predict(ints), DTypeError, /predict\(x\): expected dtype float32, received int32/);
    layer.dispose();
  });
});
