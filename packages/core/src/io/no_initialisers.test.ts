// Loading never runs the random initialisers: here every initialiser throws, and models still load.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';
import { BasicRNN, loadModel, layers, sequential } from '../index.js';
import { fileSystem } from '../node/index.js';

vi.mock('../layers/common.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../layers/common.js')>()),
  initialValues: () => {
    throw new Error('an initialiser ran');
  },
}));

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

it('the mock is live: building a layer from scratch runs an initialiser and fails', () => {
  const model = sequential({ layers: [layers.dense({ units: 1 })] });
  expect(() => model.build([null, 2, 3])).toThrow(/an initialiser ran/);
});

it('loadModel and loadWeights build from the file without any initialiser', async () => {
  for (const name of ['keras2_masking_bidirectional', 'keras3_gru_lstm', 'keras2_embedding_gru']) {
    const model = await loadModel(fileSystem(join(fixtures, name)));
    expect(model.countParams()).toBeGreaterThan(0);
    model.dispose();
  }
  // A BasicRNN given its weights (setWeights on an unbuilt model runs no initialiser), saved and loaded back.
  const source = new BasicRNN({ hiddenSize: 2, outputSize: 1, cell: 'lstm', seed: 1 });
  const ws = [tf.ones([3, 8]), tf.ones([2, 8]), tf.zeros([8]), tf.ones([2, 1]), tf.zeros([1])];
  source.setWeights(ws);
  let saved: tf.io.ModelArtifacts | undefined;
  await source.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })));
  const back = await loadModel(tf.io.fromMemory(saved!));
  const target = new BasicRNN({ hiddenSize: 2, outputSize: 1, cell: 'lstm', seed: 2 });
  await target.loadWeights(tf.io.fromMemory(saved!));
  expect(target.countParams()).toBe(back.countParams());
  tf.dispose(ws);
  for (const m of [source, back, target]) m.dispose();
});
