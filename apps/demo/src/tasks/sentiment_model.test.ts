// The sentiment model on token ids: padding changes nothing (the mask), and its ONNX export (sequence_lens = the
// count of non-zero ids, the right padding encodeIds writes) gives predict's numbers in ONNX Runtime (Node).
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '@basicrnn/core';
import { toOnnx } from '@basicrnn/onnx';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { VOCABULARY, encodeIds, generateReviews, sentimentModel, tokenize } from './index.js';

const texts = [...generateReviews(6, 11).map((r) => r.text), 'good', 'what a truly wonderful and unheard-of film'];

describe('sentimentModel (embedding maskZero → recurrent layer → Dense) on token ids', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  it('encodeIds: the last words first, then 0 to the end; unknown words are <unk> (1)', () => {
    expect([...encodeIds(['the film was not good'], 7)]).toEqual([...tokenize('the film was not good'), 0, 0]);
    expect([...encodeIds(['i did not like the movie'], 3)]).toEqual(tokenize('like the movie'));
    expect(encodeIds(['zzz'], 2)[0]).toBe(VOCABULARY.indexOf('<unk>'));
  });

  it.each(['simpleRNN', 'lstm', 'gru'] as const)('%s: more padding gives the same output; ONNX Runtime agrees within 1e-5', async (cell) => {
    const before = tf.memory().numTensors;
    const model = sentimentModel({ cell, hiddenSize: 6, outputSize: 2, seed: 5 });
    const short = tf.tensor2d(encodeIds(texts, 8), [texts.length, 8], 'int32');
    const long = tf.tensor2d(encodeIds(texts, 12), [texts.length, 12], 'int32');
    const a = model.predict(short);
    const b = model.predict(long);
    const want = (await a.data()) as Float32Array;
    const padded = (await b.data()) as Float32Array;
    // Sentences of up to 8 words: the 4 extra padded steps are masked.
    texts.forEach((t, n) => {
      if (tokenize(t).length <= 8) for (const k of [0, 1]) expect(padded[2 * n + k]).toBeCloseTo(want[2 * n + k]!, 6);
    });

    const ids = (await short.data()) as Int32Array;
    const lengths = Int32Array.from(texts, (_, n) => ids.subarray(n * 8, n * 8 + 8).filter((id) => id !== 0).length);
    const session = await ort.InferenceSession.create(toOnnx(model, { sequenceLengths: true }));
    const out = await session.run({ x: new ort.Tensor('int32', ids, [texts.length, 8]), sequence_lens: new ort.Tensor('int32', lengths, [texts.length]) });
    await session.release();
    const got = out.y!.data as Float32Array;
    expect([...out.y!.dims]).toEqual([texts.length, 2]);
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
    expect(max).toBeLessThanOrEqual(1e-5);
    tf.dispose([short, long, a, b]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
