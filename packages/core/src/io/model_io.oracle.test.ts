// tfjs-layers as the other side of the Layers format: files written by tfjs-layers' model.save load here and
// predict the same; files written here load with tf.loadLayersModel and predict the same (except GRU
// resetAfter true, which tfjs-layers cannot build). Its own file: importing @tensorflow/tfjs registers tfjs's
// gradients over core's for the whole process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Layer, Sequential, layers, loadModel, sequential } from '../index.js';
import '../node/index.js';

// Same weights, float32 on the cpu backend: the two libraries differ only by summation order (measured ≤ 3e-7
// here); 1e-5 catches a wrong gate, weight or activation while tolerating that.
const TOL = 1e-5;
const measured: Record<string, number> = {};
afterAll(() => {
  console.info('[io oracle] max |ours − tfjs-layers|:', JSON.stringify(measured, null, 1));
});

function diff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function inputData(n: number, zeroSteps: boolean): Float32Array {
  // Deterministic values in [-1, 1); a few all-zero steps at the end of the first examples (padding).
  return Float32Array.from({ length: n }, (_, i) => (zeroSteps && i < 18 && Math.floor(i / 3) % 6 >= 4 ? 0 : Math.sin(i * 12.9898) * 0.9));
}

async function captureTfl(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tfl.io.withSaveHandler(async (a) => {
      saved = a as tf.io.ModelArtifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/** tfjs-layers models, one per layer type (tfjs-layers' own defaults: hard_sigmoid gates, GRU reset before). */
const TFL_CASES: [string, () => tfl.Sequential, boolean][] = [
  ['SimpleRNN', () => tfl.sequential({ layers: [tfl.layers.simpleRNN({ units: 4, inputShape: [6, 3], returnSequences: true, goBackwards: true }), tfl.layers.dense({ units: 2 })] }), false],
  ['LSTM (hard_sigmoid)', () => tfl.sequential({ layers: [tfl.layers.lstm({ units: 4, inputShape: [6, 3] }), tfl.layers.dense({ units: 1, activation: 'sigmoid' })] }), false],
  ['LSTM sigmoid, no bias', () => tfl.sequential({ layers: [tfl.layers.lstm({ units: 3, inputShape: [6, 3], recurrentActivation: 'sigmoid', useBias: false }), tfl.layers.dense({ units: 1 })] }), false],
  ['GRU (reset before)', () => tfl.sequential({ layers: [tfl.layers.gru({ units: 4, inputShape: [6, 3], activation: 'relu' }), tfl.layers.dense({ units: 2, activation: 'softmax' })] }), false],
  ['Masking + Bidirectional LSTM + Dropout', () => tfl.sequential({ layers: [tfl.layers.masking({ maskValue: 0, inputShape: [6, 3] }), tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3, returnSequences: true }) as tfl.RNN, mergeMode: 'concat' }), tfl.layers.dropout({ rate: 0.25 }), tfl.layers.gru({ units: 2 }), tfl.layers.dense({ units: 1, activation: 'tanh' })] }), true],
  ['Bidirectional GRU ave / SimpleRNN sum', () => tfl.sequential({ layers: [tfl.layers.bidirectional({ layer: tfl.layers.gru({ units: 3, returnSequences: true }) as tfl.RNN, mergeMode: 'ave', inputShape: [6, 3] }), tfl.layers.bidirectional({ layer: tfl.layers.simpleRNN({ units: 2 }) as tfl.RNN, mergeMode: 'sum' }), tfl.layers.dense({ units: 1, activation: 'relu' })] }), false],
  ['Embedding maskZero + SimpleRNN', () => tfl.sequential({ layers: [tfl.layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true, inputLength: 6 }), tfl.layers.simpleRNN({ units: 3 }), tfl.layers.dense({ units: 1 })] }), false],
];

function tokenData(): Int32Array {
  return Int32Array.from({ length: 24 }, (_, i) => (i % 6 >= 4 && i < 12 ? 0 : 1 + ((i * 5) % 6)));
}

describe('tfjs-layers files load here and predict the same', () => {
  it.each(TFL_CASES)('%s', async (label, make, zeroSteps) => {
    const theirs = make();
    // Random weights: tfjs-layers' initial biases are zeros; give every weight a value so a swap shows.
    theirs.setWeights(theirs.getWeights().map((w, i) => tfl.tensor(Float32Array.from({ length: w.size }, (_, k) => Math.cos(k * 1.7 + i) * 0.5), w.shape)));
    const artifacts = await captureTfl(theirs);
    const embedding = label.startsWith('Embedding');
    const xData = embedding ? tokenData() : inputData(72, zeroSteps);
    const shape = embedding ? [4, 6] : [4, 6, 3];
    const expected = (theirs.predict(tfl.tensor(xData, shape, embedding ? 'int32' : 'float32')) as tfl.Tensor).dataSync() as Float32Array;
    const before = tf.memory().numTensors;
    const ours = (await loadModel(tf.io.fromMemory(artifacts))) as Sequential;
    expect(ours).toBeInstanceOf(Sequential);
    const x = tf.tensor(xData, shape, embedding ? 'int32' : 'float32');
    const y = ours.predict(x);
    const d = diff(y.dataSync() as Float32Array, expected);
    measured[`tfjs→ours ${label}`] = d;
    expect(d).toBeLessThan(TOL);
    tf.dispose([x, y]);
    ours.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Our models, every layer and modelled option tfjs-layers can represent. */
const OUR_CASES: [string, () => Layer[], boolean][] = [
  ['SimpleRNN relu goBackwards', () => [layers.simpleRNN({ units: 4, activation: 'relu', goBackwards: true, returnSequences: true }), layers.dense({ units: 2 })], false],
  ['LSTM sigmoid, unitForgetBias', () => [layers.lstm({ units: 4 }), layers.dense({ units: 1, activation: 'sigmoid' })], false],
  ['LSTM hardSigmoidKeras2, no bias', () => [layers.lstm({ units: 3, recurrentActivation: 'hardSigmoidKeras2', useBias: false }), layers.dense({ units: 1, useBias: false })], false],
  ['GRU resetAfter false, softsign', () => [layers.gru({ units: 4, resetAfter: false, activation: 'softsign' }), layers.dense({ units: 2, activation: 'softmax' })], false],
  ['Masking + Bidirectional LSTM concat + Dropout', () => [layers.masking({ maskValue: 0 }), layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), mergeMode: 'concat' }), layers.dropout({ rate: 0.2 }), layers.simpleRNN({ units: 2 }), layers.dense({ units: 1, activation: 'tanh' })], true],
  ['Bidirectional GRU(reset before) mul / SimpleRNN ave', () => [layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false, returnSequences: true }), mergeMode: 'mul' }), layers.bidirectional({ layer: layers.simpleRNN({ units: 2 }), mergeMode: 'ave' }), layers.dense({ units: 1, activation: 'relu' })], false],
  ['Embedding maskZero + GRU(reset before)', () => [layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true }), layers.gru({ units: 3, resetAfter: false }), layers.dense({ units: 1 })], false],
];

function tflFromDir(dir: string): tfl.io.IOHandler {
  // What tfjs-node's file:// loader does: model.json + the shards it names (extra manifest keys ignored).
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tfl.io.ModelJSON;
      return tfl.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers = manifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dir, p))).buffer));
        return [tfl.io.getWeightSpecs(manifest), tfl.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

describe('files written here load with tf.loadLayersModel and predict the same', () => {
  it.each(OUR_CASES)('%s', async (label, make, zeroSteps) => {
    const ours = sequential({ layers: make(), seed: 5 });
    const embedding = label.startsWith('Embedding');
    ours.build(embedding ? [null, 6] : [null, 6, 3]);
    // Non-zero biases everywhere so a misplaced one shows.
    ours.setWeights(ours.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.mul(0.3, tf.sin(tf.add(tf.range(0, w.size), i)).reshape(w.shape))))));
    const xData = embedding ? tokenData() : inputData(72, zeroSteps);
    const shape = embedding ? [4, 6] : [4, 6, 3];
    const x = tf.tensor(xData, shape, embedding ? 'int32' : 'float32');
    const y = ours.predict(x);
    let saved: tf.io.ModelArtifacts | undefined;
    await ours.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })));
    const dir = mkdtempSync(join(tmpdir(), 'basicrnn-oracle-'));
    try {
      await ours.save(pathToFileURL(dir).href);
      for (const [via, handler] of [
        ['memory', tfl.io.fromMemory(saved as tfl.io.ModelArtifacts)],
        ['file:// with SHA-256', tflFromDir(dir)],
      ] as const) {
        const theirs = await tfl.loadLayersModel(handler);
        const expected = (theirs.predict(tfl.tensor(xData, shape, embedding ? 'int32' : 'float32')) as tfl.Tensor).dataSync() as Float32Array;
        const d = diff(y.dataSync() as Float32Array, expected);
        measured[`ours→tfjs ${label} (${via})`] = d;
        expect(d).toBeLessThan(TOL);
        theirs.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    tf.dispose([x, y]);
    ours.dispose();
  });

  it('GRU resetAfter true is written as Keras does (reset_after: true), which tfjs-layers refuses to build', async () => {
    const ours = sequential({ layers: [layers.gru({ units: 2 }), layers.dense({ units: 1 })], seed: 1 });
    ours.build([null, 4, 2]);
    let saved: tf.io.ModelArtifacts | undefined;
    await ours.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })));
    const gru = (saved!.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config;
    expect(gru.reset_after).toBe(true);
    expect(saved!.weightSpecs!.find((s) => s.name.endsWith('gru/bias') || s.name.endsWith('/bias'))!.shape).toEqual([2, 6]);
    await expect(tfl.loadLayersModel(tfl.io.fromMemory(saved as tfl.io.ModelArtifacts))).rejects.toThrow();
    ours.dispose();
  });
});
