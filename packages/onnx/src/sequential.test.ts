import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, type Layer, type Sequential, layers, loadModel, sequential } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxExportError, toOnnx } from './index.js';
import { checkWithOnnx, onnxCheckerAvailable, runOnnx } from './test/ort.js';

// The bound the export promises. Measured max |ORT − ours| over this file: see the README (largest 1.2e-6, the
// stacked bidirectional model; float32 on both sides with different summation orders).
const TOLERANCE = 1e-5;
const B = 4;
const T = 7;
const F = 3;

const owned: { dispose(): void }[] = [];
afterAll(() => owned.forEach((m) => m.dispose()));
const measured: Record<string, number> = {};
afterAll(() => {
  if (process.env.ONNX_REPORT) console.log(JSON.stringify(measured, null, 1));
});

function model(name: string, ls: Layer[], inputShape: (number | null)[] = [null, T, F]): Sequential {
  const m = sequential({ layers: ls, seed: 7, name: name.replace(/[^A-Za-z0-9_.-]+/g, '_') });
  owned.push(m);
  m.build(inputShape);
  return m;
}

/** Right-padded float input: example b has lengths[b] real steps, zeros after. */
function padded(lengths: number[], seed: number): tf.Tensor3D {
  return tf.tidy(() => {
    const x = tf.randomNormal([lengths.length, T, F], 0, 1, 'float32', seed);
    const keep = tf.tensor3d(lengths.flatMap((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))), [lengths.length, T, 1]);
    return tf.mul(x, keep) as tf.Tensor3D;
  });
}

async function compare(label: string, m: Sequential | BasicRNN, x: tf.Tensor, options: Parameters<typeof toOnnx>[1] = {}, lengths?: number[]): Promise<Uint8Array> {
  const bytes = toOnnx(m, options);
  const ours = m.predict(x);
  const data = (await x.data()) as Float32Array | Int32Array;
  const onnx = await runOnnx(bytes, { data, dims: x.shape }, lengths === undefined ? undefined : Int32Array.from(lengths));
  expect([...onnx.dims]).toEqual(ours.shape);
  const want = (await ours.data()) as Float32Array;
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(onnx.data[i]! - want[i]!));
  tf.dispose(ours);
  measured[label] = max;
  expect(max).toBeLessThanOrEqual(TOLERANCE);
  return bytes;
}

const files: Uint8Array[] = [];

describe('toOnnx(sequential) runs in ONNX Runtime Web within 1e-5 of predict', () => {
  const x = tf.randomNormal([B, T, F], 0, 1, 'float32', 3) as tf.Tensor3D;
  afterAll(() => x.dispose());

  it.each([
    ['simpleRNN', () => [layers.simpleRNN({ units: 5 }), layers.dense({ units: 2 })]],
    ['lstm', () => [layers.lstm({ units: 5 }), layers.dense({ units: 2 })]],
    ['lstm hardSigmoid gates, relu, no bias', () => [layers.lstm({ units: 5, recurrentActivation: 'hardSigmoid', activation: 'relu', useBias: false }), layers.dense({ units: 2, useBias: false })]],
    ['gru resetAfter true', () => [layers.gru({ units: 5 }), layers.dense({ units: 2, activation: 'sigmoid' })]],
    ['gru resetAfter false (Keras 2 hard sigmoid)', () => [layers.gru({ units: 5, resetAfter: false, recurrentActivation: 'hardSigmoidKeras2' }), layers.dense({ units: 2 })]],
    ['gru goBackwards returnSequences, dense per step', () => [layers.gru({ units: 4, goBackwards: true, returnSequences: true }), layers.dense({ units: 3, activation: 'softmax' })]],
    ['lstm returnSequences, dropout', () => [layers.lstm({ units: 4, returnSequences: true }), layers.dropout({ rate: 0.5 })]],
    ['dense before the recurrence', () => [layers.dense({ units: 6, activation: 'tanh' }), layers.simpleRNN({ units: 4 }), layers.dense({ units: 1 })]],
    ['stacked lstm → gru → simpleRNN', () => [layers.lstm({ units: 5, returnSequences: true }), layers.gru({ units: 4, returnSequences: true }), layers.simpleRNN({ units: 3 }), layers.dense({ units: 2 })]],
    ['bidirectional lstm concat', () => [layers.bidirectional({ layer: layers.lstm({ units: 4 }) }), layers.dense({ units: 2 })]],
    ['bidirectional gru sum, sequences', () => [layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true }), mergeMode: 'sum' })]],
    ['bidirectional simpleRNN mul', () => [layers.bidirectional({ layer: layers.simpleRNN({ units: 4 }), mergeMode: 'mul' }), layers.dense({ units: 2 })]],
    ['bidirectional gru (resetAfter false) ave, goBackwards', () => [layers.bidirectional({ layer: layers.gru({ units: 4, resetAfter: false, goBackwards: true }), mergeMode: 'ave' })]],
    ['stacked bidirectional lstm → lstm', () => [layers.bidirectional({ layer: layers.lstm({ units: 4, returnSequences: true }) }), layers.lstm({ units: 3 }), layers.dense({ units: 1 })]],
  ] as const)('%s', async (label, make) => {
    const m = model(label, make() as Layer[]);
    files.push(await compare(label, m, x));
  });

  it('BasicRNN with cell lstm / gru, goBackwards and returnSequences', async () => {
    for (const cell of ['lstm', 'gru'] as const) {
      for (const config of [{}, { goBackwards: true, returnSequences: true }]) {
        const m = new BasicRNN({ hiddenSize: 5, outputSize: 2, cell, seed: 4, ...config });
        owned.push(m);
        m.build([null, T, F]);
        files.push(await compare(`BasicRNN ${cell} ${JSON.stringify(config)}`, m, x));
      }
    }
  });

  it('a model saved and loaded back (TF.js Layers format) exports the same', async () => {
    const m = model('saved', [layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true }) }), layers.lstm({ units: 3 }), layers.dense({ units: 2 })]);
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await loadModel(tf.io.fromMemory(artifacts!));
    owned.push(loaded);
    const ours = m.predict(x);
    const onnx = await runOnnx(toOnnx(loaded), { data: (await x.data()) as Float32Array, dims: x.shape });
    const want = (await ours.data()) as Float32Array;
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(onnx.data[i]! - want[i]!));
    ours.dispose();
    measured['saved, loaded, exported'] = max;
    expect(max).toBeLessThanOrEqual(TOLERANCE);
  });

  it('a symbolic sequence length: one file runs several lengths', async () => {
    const m = model('any length', [layers.lstm({ units: 4 }), layers.dense({ units: 1 })], [null, null, F]);
    for (const steps of [1, 12]) {
      const xs = tf.randomNormal([2, steps, F], 0, 1, 'float32', steps) as tf.Tensor3D;
      await compare(`any length T=${steps}`, m, xs);
      xs.dispose();
    }
  });
});

describe('embeddings and masks', () => {
  const ids = tf.tensor2d([[1, 5, 2, 9, 3, 3, 7], [4, 4, 6, 8, 1, 2, 0], [9, 9, 9, 1, 0, 5, 5], [2, 3, 4, 5, 6, 7, 8]], [B, T], 'int32');
  afterAll(() => ids.dispose());

  it('embedding as a Gather on int32 ids [batch, steps]', async () => {
    const m = model('embedding', [layers.embedding({ inputDim: 10, outputDim: 4 }), layers.gru({ units: 5 }), layers.dense({ units: 2 })], [null, T]);
    files.push(await compare('embedding → gru', m, ids));
  });

  const lengths = [7, 3, 1, 5];

  it('masking (right padding) as sequence_lens: lstm, bidirectional gru, stacked', async () => {
    const x = padded(lengths, 5);
    const cases: [string, () => Layer[]][] = [
      ['masking → lstm', () => [layers.masking(), layers.lstm({ units: 5 }), layers.dense({ units: 2 })]],
      ['masking → bidirectional gru concat', () => [layers.masking(), layers.bidirectional({ layer: layers.gru({ units: 4 }) }), layers.dense({ units: 2 })]],
      ['masking → simpleRNN goBackwards', () => [layers.masking(), layers.simpleRNN({ units: 4, goBackwards: true })]],
      ['masking → stacked lstm → gru', () => [layers.masking(), layers.lstm({ units: 4, returnSequences: true }), layers.gru({ units: 3 }), layers.dense({ units: 1 })]],
    ];
    for (const [label, make] of cases) {
      files.push(await compare(label, model(label, make()), x, { sequenceLengths: true }, lengths));
    }
    x.dispose();
  });

  it('embedding with maskZero (token 0 as right padding) as sequence_lens', async () => {
    const padIds = tf.tidy(() => tf.mul(ids, tf.tensor2d(lengths.flatMap((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))), [B, T], 'int32')));
    const m = model('embedding maskZero', [layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), layers.lstm({ units: 5 }), layers.dense({ units: 2 })], [null, T]);
    // No id inside an example's real steps is 0 (else Keras's mask would not be right padding).
    files.push(await compare('embedding maskZero → lstm', m, padIds, { sequenceLengths: true }, lengths));
    padIds.dispose();
  });

  it('refuses what ONNX computes differently, naming the layer', () => {
    const masked = model('masked', [layers.masking({ name: 'pad_mask' }), layers.lstm({ units: 3 })]);
    expect(() => toOnnx(masked)).toThrow(OnnxExportError);
    expect(() => toOnnx(masked)).toThrow(/"pad_mask".*sequenceLengths: true/);
    const late = model('late mask', [layers.lstm({ units: 3, returnSequences: true }), layers.masking({ name: 'late' }), layers.gru({ units: 2 })]);
    expect(() => toOnnx(late, { sequenceLengths: true })).toThrow(/"late": masks after a recurrent layer/);
    const seqOut = model('masked sequences', [layers.masking(), layers.gru({ units: 3, returnSequences: true })]);
    expect(() => toOnnx(seqOut, { sequenceLengths: true })).toThrow(/ONNX writes zeros where Keras repeats the last output/);
    const stateful = model('stateful', [layers.simpleRNN({ units: 3, stateful: true, name: 'keeps_state' })], [2, T, F]);
    expect(() => toOnnx(stateful)).toThrow(/"keeps_state": stateful/);
    const unbuilt = sequential({ layers: [layers.lstm({ units: 2 })] });
    owned.push(unbuilt);
    expect(() => toOnnx(unbuilt)).toThrow(/not built yet/);
  });

  it('exporting, or refusing to, leaks no tensor', () => {
    const m = model('leak check', [layers.bidirectional({ layer: layers.lstm({ units: 3 }) }), layers.dense({ units: 1 })]);
    const refused = model('leak refusal', [layers.masking(), layers.gru({ units: 2 })]);
    const before = tf.memory().numTensors;
    toOnnx(m);
    expect(() => toOnnx(refused)).toThrow(OnnxExportError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(!onnxCheckerAvailable() && process.env.CI !== 'true')('the ONNX checker (full check, Debian python3-onnx)', () => {
  it('accepts every file exported above', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(checkWithOnnx(...files)).toBe('');
  });
});
