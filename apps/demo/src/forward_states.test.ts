// forwardWithStates (the CLI's plots and the web worker's panels) against the models' own outputs on a masked batch.
import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, layers, sequential, setBackend } from '@basicrnn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeStatesRun, forwardWithStates } from './forward_states.js';
import { VOCABULARY, encodeIds, sentimentModel } from './tasks/index.js';

const T = 9;
const H = 5;
// Right-padded with 0 (encodeIds): 3, 6, 9 and 1 real steps.
const texts = ['the movie was', 'a truly wonderful and moving film', 'i did not like the plot or the acting', 'bad'];
const lengths = [3, 6, 9, 1];

/** Row n of [B, T, H] at step t, as numbers. */
function stepOf(values: Float32Array, n: number, t: number): number[] {
  return Array.from(values.subarray((n * T + t) * H, (n * T + t + 1) * H));
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
}

describe('forwardWithStates', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  it('the test batch has the padding it claims', () => {
    const ids = encodeIds(texts, T);
    lengths.forEach((len, n) => expect(Array.from(ids.subarray(n * T, (n + 1) * T)).filter((id) => id !== 0).length).toBe(len));
  });

  it.each(['simpleRNN', 'lstm', 'gru'] as const)(
    '%s after an embedding with maskZero: the recurrent layer\'s final state is the reported state at the last real step, carried over the padding',
    (cell) => {
      const before = tf.memory().numTensors;
      // Embedding → recurrent layer: the model's output is the recurrent layer's final state.
      const model = sequential({
        layers: [layers.embedding({ inputDim: VOCABULARY.length, outputDim: 4, maskZero: true }), cell === 'lstm' ? layers.lstm({ units: H }) : cell === 'gru' ? layers.gru({ units: H }) : layers.simpleRNN({ units: H })],
        seed: 3,
      });
      const x = tf.tensor2d(encodeIds(texts, T), [texts.length, T], 'int32');
      const own = model.predict(x);
      const run = forwardWithStates(model, x);
      expect(run.input.shape).toEqual([texts.length, T, 4]);
      expect(run.hiddenStates.shape).toEqual([texts.length, T, H]);
      expect(run.cellState !== undefined).toBe(cell === 'lstm');
      const want = own.dataSync() as Float32Array;
      const states = run.hiddenStates.dataSync() as Float32Array;
      const state = run.state.dataSync() as Float32Array;
      expectClose(Array.from(run.output.dataSync()), Array.from(want));
      lengths.forEach((len, n) => {
        const final = Array.from(want.subarray(n * H, (n + 1) * H));
        expectClose(Array.from(state.subarray(n * H, (n + 1) * H)), final);
        // The state at the last real step, and at every padded step after it.
        for (let t = len - 1; t < T; t++) expectClose(stepOf(states, n, t), final);
      });
      // A state before the last real step differs from the final one (the states are not all alike).
      expect(stepOf(states, 1, 2)).not.toEqual(stepOf(states, 1, 5));
      disposeStatesRun(run);
      tf.dispose([x, own]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it("the sentiment model: its Dense output is what forwardWithStates reports, the state the recurrent layer's at the last real step", () => {
    const before = tf.memory().numTensors;
    const model = sentimentModel({ cell: 'lstm', hiddenSize: H, outputSize: 2, seed: 5 });
    const x = tf.tensor2d(encodeIds(texts, T), [texts.length, T], 'int32');
    const own = model.predict(x);
    const run = forwardWithStates(model, x);
    expectClose(Array.from(run.output.dataSync()), Array.from(own.dataSync()));
    // Dense applied to the reported state gives the model's output.
    const dense = model.layers[2]!.apply(run.state) as tf.Tensor;
    expectClose(Array.from(dense.dataSync()), Array.from(own.dataSync()));
    disposeStatesRun(run);
    tf.dispose([x, own, dense]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a BasicRNN: its own call, with a copy of the input to dispose', () => {
    const before = tf.memory().numTensors;
    const model = new BasicRNN({ hiddenSize: H, outputSize: 1, seed: 2, cell: 'lstm' });
    const x = tf.randomNormal([2, T, 3], 0, 1, 'float32', 4);
    model.build([null, T, 3]);
    const own = model.call(x, { returnHiddenStates: true });
    const run = forwardWithStates(model, x);
    expect(run.input).not.toBe(x);
    expectClose(Array.from(run.input.dataSync()), Array.from(x.dataSync()));
    expectClose(Array.from(run.hiddenStates.dataSync()), Array.from(own.hiddenStates!.dataSync()));
    expectClose(Array.from(run.cellState!.dataSync()), Array.from(own.cellState!.dataSync()));
    disposeStatesRun(run);
    tf.dispose([x, own.output, own.state, own.hiddenStates!, own.cellState!]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
