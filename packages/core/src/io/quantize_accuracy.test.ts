// The accuracy cost of quantized saves, measured on a trained model (numbers quoted in core's README):
// max |Δ output| against the float32 model and the task metric (accuracy) before and after.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { BasicRNN, type QuantizationDtype, loadModel } from '../index.js';
import { SeededRandom } from '../initializers.js';

const report: Record<string, unknown> = {};
afterAll(() => console.info('[io quantization]', JSON.stringify(report)));

/** Sign of the running sum of feature 0: a task a small GRU learns to ~95% in a few epochs. */
function data(n: number, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const rng = new SeededRandom(seed);
  const xs = new Float32Array(n * 12 * 2);
  const ys = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    let sum = 0;
    for (let t = 0; t < 12; t++) {
      for (let f = 0; f < 2; f++) xs[(b * 12 + t) * 2 + f] = rng.normal();
      sum += xs[(b * 12 + t) * 2]!;
    }
    ys[b] = sum > 0 ? 1 : 0;
  }
  return { x: tf.tensor3d(xs, [n, 12, 2]), y: tf.tensor2d(ys, [n, 1]) };
}

function accuracy(p: tf.Tensor, y: tf.Tensor): number {
  const pv = p.dataSync();
  const yv = y.dataSync();
  let ok = 0;
  for (let i = 0; i < pv.length; i++) ok += (pv[i]! > 0.5 ? 1 : 0) === yv[i] ? 1 : 0;
  return ok / pv.length;
}

it('float16 / uint16 / uint8 saves of a trained model: output change and accuracy', { timeout: 120_000 }, async () => {
  const train = data(512, 1);
  const test = data(512, 2);
  const model = new BasicRNN({ hiddenSize: 16, outputSize: 1, cell: 'gru', outputActivation: 'sigmoid', seed: 3 });
  model.compile({ optimizer: 'adam', learningRate: 0.01, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await model.fit(train.x, train.y, { epochs: 8, batchSize: 32 });
  const reference = model.predict(test.x);
  const base = accuracy(reference, test.y);
  report.float32 = { accuracy: base };
  expect(base).toBeGreaterThan(0.85);
  const limits: Record<QuantizationDtype, { output: number; accuracyDrop: number }> = {
    float16: { output: 2e-3, accuracyDrop: 0.005 },
    uint16: { output: 5e-4, accuracyDrop: 0.005 },
    uint8: { output: 0.05, accuracyDrop: 0.03 },
  };
  for (const dtype of ['float16', 'uint16', 'uint8'] as const) {
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })), { quantize: dtype });
    expect(saved!.weightSpecs!.every((s) => s.quantization?.dtype === dtype)).toBe(true);
    const loaded = (await loadModel(tf.io.fromMemory(saved!))) as BasicRNN;
    const p = loaded.predict(test.x);
    const maxDelta = tf.tidy(() => tf.max(tf.abs(tf.sub(p, reference))).dataSync()[0]!);
    const acc = accuracy(p, test.y);
    report[dtype] = { bytes: (saved!.weightData as ArrayBuffer).byteLength, maxDelta, accuracy: acc };
    expect(maxDelta).toBeGreaterThan(0); // it really was quantized
    expect(maxDelta).toBeLessThan(limits[dtype].output);
    expect(base - acc).toBeLessThanOrEqual(limits[dtype].accuracyDrop);
    tf.dispose(p);
    loaded.dispose();
  }
  tf.dispose([train.x, train.y, test.x, test.y, reference]);
  model.dispose();
});
