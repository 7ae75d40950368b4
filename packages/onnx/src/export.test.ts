import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, ConfigError, UnknownOptionError } from '@basicrnn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxExportError, toOnnx } from './index.js';
import { checkWithOnnx, onnxCheckerAvailable, runOnnx } from './test/ort.js';

// Measured max |ORT − ours| over these cases: 2.8e-7 (float32 on both sides, different summation orders); 1e-5 is
// the bound the export promises.
const TOLERANCE = 1e-5;

function randomInput(shape: [number, number, number], seed: number): tf.Tensor3D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor3D;
}

async function expectClose(onnx: { data: Float32Array; dims: readonly number[] }, ours: tf.Tensor): Promise<number> {
  expect([...onnx.dims]).toEqual(ours.shape);
  const want = (await ours.data()) as Float32Array;
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(onnx.data[i]! - want[i]!));
  expect(max).toBeLessThanOrEqual(TOLERANCE);
  if (process.env.ONNX_REPORT) console.log(`max |ORT − ours| ${max.toExponential(2)}`);
  return max;
}

const models: BasicRNN[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

describe('toOnnx(BasicRNN) runs in ONNX Runtime Web with our numbers', () => {
  it.each([
    ['defaults (tanh, last step, linear head)', {}],
    ['returnSequences', { returnSequences: true }],
    ['goBackwards', { goBackwards: true }],
    ['goBackwards + returnSequences (outputs in processing order)', { goBackwards: true, returnSequences: true }],
    ['relu', { activation: 'relu' as const }],
    ['sigmoid recurrence, sigmoid head', { activation: 'sigmoid' as const, outputActivation: 'sigmoid' as const }],
    ['linear recurrence, softmax head, sequences', { activation: 'linear' as const, outputActivation: 'softmax' as const, returnSequences: true }],
    ['no biases', { useBias: false }],
  ])('%s', async (_name, config) => {
    const model = new BasicRNN({ hiddenSize: 7, outputSize: 3, seed: 11, ...config });
    models.push(model);
    model.build([null, 9, 4]);
    const x = randomInput([5, 9, 4], 3);
    const ours = model.predict(x);
    const bytes = toOnnx(model);
    await expectClose(await runOnnx(bytes, { data: (await x.data()) as Float32Array, dims: [5, 9, 4] }), ours);
    tf.dispose([x, ours]);
  });

  it('a symbolic batch and sequence length: one file runs any batch and length', async () => {
    const model = new BasicRNN({ hiddenSize: 6, outputSize: 2, seed: 5 });
    models.push(model);
    model.build([null, null, 3]);
    const bytes = toOnnx(model);
    for (const [b, t] of [[1, 1], [3, 17]] as const) {
      const x = randomInput([b, t, 3], b + t);
      const ours = model.predict(x);
      await expectClose(await runOnnx(bytes, { data: (await x.data()) as Float32Array, dims: [b, t, 3] }), ours);
      tf.dispose([x, ours]);
    }
  });

  it('right-padded batches: sequence_lens equals a Keras mask of ones then zeros (with goBackwards too)', async () => {
    for (const goBackwards of [false, true]) {
      const model = new BasicRNN({ hiddenSize: 5, outputSize: 2, seed: 9, goBackwards });
      models.push(model);
      model.build([null, 8, 3]);
      const lengths = [8, 3, 1, 6];
      const x = randomInput([4, 8, 3], 21);
      const mask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: 8 }, (_, t) => (t < n ? 1 : 0))), [4, 8]);
      const { output, state } = model.call(x, { mask });
      const bytes = toOnnx(model, { sequenceLengths: true });
      await expectClose(await runOnnx(bytes, { data: (await x.data()) as Float32Array, dims: [4, 8, 3] }, Int32Array.from(lengths)), output);
      tf.dispose([x, mask, output, state]);
    }
  });

  it('refuses what ONNX would compute differently, and bad options, with typed errors', () => {
    const seq = new BasicRNN({ hiddenSize: 4, outputSize: 1, returnSequences: true, seed: 1 });
    models.push(seq);
    seq.build([null, 5, 2]);
    expect(() => toOnnx(seq, { sequenceLengths: true })).toThrow(OnnxExportError);
    expect(() => toOnnx(seq, { sequenceLengths: true })).toThrow(/ONNX writes zeros where Keras repeats the last output/);
    expect(() => toOnnx(seq, { sequenceLength: true } as never)).toThrow(UnknownOptionError);
    expect(() => toOnnx(seq, { batchSize: 0 })).toThrow(ConfigError);
    const unbuilt = new BasicRNN({ hiddenSize: 4, outputSize: 1 });
    models.push(unbuilt);
    expect(() => toOnnx(unbuilt)).toThrow(/not built yet/);
  });

  it.skipIf(!onnxCheckerAvailable() && process.env.CI !== 'true')(
    'the ONNX checker (full check, Debian python3-onnx) accepts the files' + (onnxCheckerAvailable() ? '' : ' — skipped: python3-onnx is not installed (apt-get install python3-onnx)'),
    () => {
      const files: Uint8Array[] = [];
      for (const config of [{}, { returnSequences: true, goBackwards: true }, { useBias: false }]) {
        const model = new BasicRNN({ hiddenSize: 4, outputSize: 2, seed: 2, ...config });
        models.push(model);
        model.build([null, 6, 3]);
        files.push(toOnnx(model), toOnnx(model, { batchSize: 2, seqLength: 6 }));
      }
      expect(checkWithOnnx(...files)).toBe('');
    },
  );
});
