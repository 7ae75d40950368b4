// LSTM, GRU (resetAfter false) and Bidirectional exports against tfjs-layers with the same weights. Loads
// @tensorflow/tfjs (its own gradients and chained ops): kept in its own file, as every oracle is.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { type LayerSpec, type ModelSpec, type RecurrentLayerSpec, toOnnx } from './index.js';
import { runOnnx } from './test/ort.js';

const TOLERANCE = 1e-5;
const B = 3;
const T = 7;
const I = 4;
const H = 5;

/** tfjs-layers' activation names → ours (its hardSigmoid is Keras 2's 0.2x + 0.5). */
const FROM_TFJS: Record<string, string> = { hardSigmoid: 'hardSigmoidKeras2' };

function seededWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(model.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.6, 0.6, 'float32', seed * 100 + i)));
}

function recurrentSpec(layer: tf.layers.Layer, weights: Float32Array[], inputSize: number, name: string): RecurrentLayerSpec {
  const c = layer.getConfig() as Record<string, unknown>;
  const cell = layer.getClassName() === 'LSTM' ? 'lstm' : layer.getClassName() === 'GRU' ? 'gru' : 'simpleRNN';
  const act = (v: unknown) => FROM_TFJS[String(v)] ?? String(v);
  return {
    name,
    cell,
    units: c.units as number,
    inputSize,
    activation: act(c.activation),
    recurrentActivation: act(c.recurrentActivation ?? 'sigmoid'),
    resetAfter: false,
    goBackwards: c.goBackwards as boolean,
    returnSequences: c.returnSequences as boolean,
    kernel: weights[0]!,
    recurrentKernel: weights[1]!,
    ...(weights[2] === undefined || c.useBias === false ? {} : { bias: weights[2] }),
  };
}

async function compare(layers: tf.layers.Layer[], toSpec: (values: Float32Array[]) => LayerSpec[], seed: number): Promise<number> {
  const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [T, I] }), ...layers] });
  seededWeights(model, seed);
  const values = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const spec: ModelSpec = { name: 'oracle', inputSize: I, layers: toSpec(values) };
  const x = tf.randomNormal([B, T, I], 0, 1, 'float32', seed);
  const want = model.predict(x) as tf.Tensor;
  const got = await runOnnx(toOnnx(spec), { data: x.dataSync() as Float32Array, dims: [B, T, I] });
  expect([...got.dims]).toEqual(want.shape);
  const w = want.dataSync();
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(got.data[i]! - w[i]!));
  tf.dispose([x, want]);
  model.dispose();
  if (process.env.ONNX_REPORT) console.log(`max |ORT − tfjs-layers| ${max.toExponential(2)}`);
  expect(max).toBeLessThanOrEqual(TOLERANCE);
  return max;
}

const dense = (values: Float32Array[], at: number, inputSize: number, units: number, activation = 'linear'): LayerSpec => ({
  kind: 'dense',
  name: 'dense',
  units,
  inputSize,
  activation,
  kernel: values[at]!,
  bias: values[at + 1]!,
});

describe('LSTM / GRU / Bidirectional exports equal tfjs-layers', () => {
  it.each([
    ['LSTM, last step', () => tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid' })],
    ['LSTM, sequences, goBackwards', () => tf.layers.lstm({ units: H, returnSequences: true, goBackwards: true, recurrentActivation: 'sigmoid' })],
    ['LSTM, hard sigmoid gates (Keras 2 form)', () => tf.layers.lstm({ units: H, recurrentActivation: 'hardSigmoid' })],
    ['LSTM, hard sigmoid candidate after sigmoid gates (alpha order)', () => tf.layers.lstm({ units: H, activation: 'hardSigmoid', recurrentActivation: 'sigmoid' })],
    ['LSTM, no bias, relu', () => tf.layers.lstm({ units: H, useBias: false, activation: 'relu', recurrentActivation: 'sigmoid' })],
    ['GRU (resetAfter false), last step', () => tf.layers.gru({ units: H, recurrentActivation: 'sigmoid' })],
    ['GRU, sequences, goBackwards', () => tf.layers.gru({ units: H, returnSequences: true, goBackwards: true, recurrentActivation: 'sigmoid' })],
    ['SimpleRNN, linear (Affine)', () => tf.layers.simpleRNN({ units: H, activation: 'linear' })],
  ] as const)('%s', async (_name, make) => {
    await compare(
      [make(), tf.layers.dense({ units: 2 })],
      (v) => [{ kind: 'recurrent', forward: recurrentSpec(make(), v, I, 'rnn') }, dense(v, v.length - 2, H, 2)],
      7,
    );
  });

  it.each(['concat', 'sum', 'mul', 'ave'] as const)('Bidirectional LSTM then GRU, mergeMode %s', async (mergeMode) => {
    const width = mergeMode === 'concat' ? 2 * H : H;
    await compare(
      [
        tf.layers.bidirectional({ layer: tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode }),
        tf.layers.bidirectional({ layer: tf.layers.gru({ units: H, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
      (v) => {
        const lstm = (goBackwards: boolean, at: number) =>
          recurrentSpec(tf.layers.lstm({ units: H, returnSequences: true, goBackwards, recurrentActivation: 'sigmoid' }), v.slice(at, at + 3), I, 'bi_lstm');
        const gru = (goBackwards: boolean, at: number) =>
          recurrentSpec(tf.layers.gru({ units: H, goBackwards, recurrentActivation: 'sigmoid' }), v.slice(at, at + 3), width, 'bi_gru');
        return [
          { kind: 'recurrent', forward: lstm(false, 0), backward: lstm(true, 3), mergeMode },
          { kind: 'recurrent', forward: gru(false, 6), backward: gru(true, 9), mergeMode },
          dense(v, 12, width, 2, 'softmax'),
        ];
      },
      13,
    );
  });
});
