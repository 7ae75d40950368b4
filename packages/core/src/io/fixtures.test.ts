// Converter-format fixtures (Keras 2 and Keras 3 spellings, one per Keras layer type, GRU reset_after true
// included; written by fixtures/make_fixtures.mjs) load here, and predict what an independent float64
// computation of the Keras equations gives with the fixture's own weights (read from the shard, not from us).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelIOError, Sequential, UnsupportedConfigError, loadModel } from '../index.js';
import { fileSystem } from '../node/index.js';
import { type Act, type Matrix, type RefLayer, dense, maxAbsDiff, runBidirectional, runLayerBatch } from '../test/layers_reference.js';

const here = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
// float32 weights and arithmetic against float64: measured ≤ 2e-7 on these sizes; 1e-5 would still catch a
// wrong gate order, activation (hard_sigmoid's two meanings differ by up to 0.1) or bias row.
const TOL = 1e-5;
const measured: Record<string, number> = {};
afterAll(() => console.info('[io fixtures] max |ours − float64 reference|:', JSON.stringify(measured)));

/** The fixture's weights by name, as float64 matrices. */
function weightsOf(name: string): Record<string, { shape: number[]; values: number[] }> {
  const json = JSON.parse(readFileSync(join(here, name, 'model.json'), 'utf8'));
  const data = new Float32Array(new Uint8Array(readFileSync(join(here, name, 'group1-shard1of1.bin'))).buffer);
  const out: Record<string, { shape: number[]; values: number[] }> = {};
  let offset = 0;
  for (const w of json.weightsManifest[0].weights as { name: string; shape: number[] }[]) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    out[w.name] = { shape: w.shape, values: Array.from(data.subarray(offset, offset + n)) };
    offset += n;
  }
  return out;
}

function matrix(w: { shape: number[]; values: number[] }): Matrix {
  const cols = w.shape[w.shape.length - 1]!;
  return Array.from({ length: w.values.length / cols }, (_, r) => w.values.slice(r * cols, (r + 1) * cols));
}

function cellOf(ws: ReturnType<typeof weightsOf>, prefix: string, extra: Omit<RefLayer, 'kernel' | 'recurrentKernel' | 'bias'>): RefLayer {
  return { ...extra, kernel: matrix(ws[`${prefix}/kernel`]!), recurrentKernel: matrix(ws[`${prefix}/recurrent_kernel`]!), bias: ws[`${prefix}/bias`]!.values };
}

const X: Matrix[] = Array.from({ length: 3 }, (_, b) => Array.from({ length: 5 }, (_, t) => (b === 0 && t >= 3 ? [0, 0, 0] : [0, 1, 2].map((i) => Math.cos(b * 7 + t * 3 + i) * 0.8))));
const MASK = X.map((seq) => seq.map((row) => (row.every((v) => v === 0) ? 0 : 1)));
const TOKENS = [
  [1, 4, 2, 0, 0],
  [5, 3, 3, 1, 2],
  [0, 2, 5, 4, 1],
];

/** name → float64 expected output from the fixture's weights (Keras semantics). */
const REFERENCES: Record<string, () => unknown> = {
  keras2_simple_rnn: () => {
    const ws = weightsOf('keras2_simple_rnn');
    const h = runLayerBatch(cellOf(ws, 'simple_rnn/simple_rnn_cell', { cell: 'simpleRNN', units: 4, returnSequences: true }), X).output;
    return dense(h, matrix(ws['dense/kernel']!), ws['dense/bias']!.values);
  },
  keras2_lstm_hard_sigmoid: () => {
    const ws = weightsOf('keras2_lstm_hard_sigmoid');
    // Keras 2 file: hard_sigmoid = clip(0.2x + 0.5, 0, 1).
    const h = runLayerBatch(cellOf(ws, 'lstm/lstm_cell', { cell: 'lstm', units: 3, recurrentActivation: 'hardSigmoidKeras2' }), X).output;
    return dense(h, matrix(ws['dense/kernel']!), ws['dense/bias']!.values, 'sigmoid');
  },
  keras2_gru_reset_after: () => {
    const ws = weightsOf('keras2_gru_reset_after');
    const h = runLayerBatch(cellOf(ws, 'gru/gru_cell', { cell: 'gru', units: 3, resetAfter: true }), X).output as Matrix;
    const z = dense(h, matrix(ws['dense/kernel']!), ws['dense/bias']!.values) as Matrix;
    return z.map((row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
  },
  keras2_masking_bidirectional: () => {
    const ws = weightsOf('keras2_masking_bidirectional');
    const spec = { cell: 'lstm' as const, units: 2, returnSequences: true };
    const bi = runBidirectional(cellOf(ws, 'bidirectional/forward_lstm/lstm_cell', spec), cellOf(ws, 'bidirectional/backward_lstm/lstm_cell', spec), 'concat', X, MASK) as Matrix[];
    // Dropout is the identity at inference; the mask travels on to the SimpleRNN.
    const h = runLayerBatch(cellOf(ws, 'simple_rnn/simple_rnn_cell', { cell: 'simpleRNN', units: 2, activation: 'relu' as Act }), bi, MASK).output;
    return dense(h, matrix(ws['dense/kernel']!), ws['dense/bias']!.values);
  },
  keras2_embedding_gru: () => {
    const ws = weightsOf('keras2_embedding_gru');
    const table = matrix(ws['embedding/embeddings']!);
    const e = TOKENS.map((seq) => seq.map((id) => table[id]!));
    const mask = TOKENS.map((seq) => seq.map((id) => (id === 0 ? 0 : 1)));
    const h = runLayerBatch(cellOf(ws, 'gru/gru_cell', { cell: 'gru', units: 3, resetAfter: false, goBackwards: true }), e, mask).output;
    return dense(h, matrix(ws['dense/kernel']!), ws['dense/bias']!.values, 'tanh');
  },
  keras3_gru_lstm: () => {
    const ws = weightsOf('keras3_gru_lstm');
    // Keras 3 file: hard_sigmoid = relu6(x + 3) / 6.
    const g = runLayerBatch(cellOf(ws, 'gru/gru_cell', { cell: 'gru', units: 3, resetAfter: true, recurrentActivation: 'hardSigmoid', returnSequences: true }), X).output as Matrix[];
    const h = runLayerBatch(cellOf(ws, 'lstm/lstm_cell', { cell: 'lstm', units: 2 }), g).output;
    return dense(h, matrix(ws['dense/kernel']!), ws['dense/bias']!.values);
  },
};

describe('converter-format fixtures', () => {
  it.each(Object.keys(REFERENCES))('%s loads and matches the float64 reference', async (name) => {
    const before = tf.memory().numTensors;
    const model = (await loadModel(fileSystem(join(here, name)))) as Sequential;
    expect(model).toBeInstanceOf(Sequential);
    const x = name.includes('embedding') ? tf.tensor2d(TOKENS, [3, 5], 'int32') : tf.tensor3d(X);
    const y = model.predict(x);
    const d = maxAbsDiff(y.arraySync(), REFERENCES[name]!());
    measured[name] = d;
    expect(d).toBeLessThan(TOL);
    tf.dispose([x, y]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reading hard_sigmoid with the other Keras version gives a different model (the version decides)', async () => {
    const json = JSON.parse(readFileSync(join(here, 'keras2_lstm_hard_sigmoid', 'model.json'), 'utf8'));
    const bin = new Uint8Array(readFileSync(join(here, 'keras2_lstm_hard_sigmoid', 'group1-shard1of1.bin'))).buffer;
    const load = (version: string) =>
      loadModel(tf.io.fromMemory({ modelTopology: { ...json.modelTopology, keras_version: version }, weightSpecs: json.weightsManifest[0].weights, weightData: bin }));
    const [k2, k3] = (await Promise.all([load('2.13.1'), load('3.3.3')])) as Sequential[];
    const cfg = (m: Sequential) => (m.layers[0] as unknown as { config: { recurrentActivation: string } }).config.recurrentActivation;
    expect([cfg(k2!), cfg(k3!)]).toEqual(['hardSigmoidKeras2', 'hardSigmoid']);
    k2!.dispose();
    k3!.dispose();
  });

  it('unsupported keys are refused naming the layer and the key; inert ones are accepted', async () => {
    const json = JSON.parse(readFileSync(join(here, 'keras2_simple_rnn', 'model.json'), 'utf8'));
    const bin = new Uint8Array(readFileSync(join(here, 'keras2_simple_rnn', 'group1-shard1of1.bin'))).buffer;
    const withConfig = (change: (c: Record<string, unknown>) => void) => {
      const t = structuredClone(json.modelTopology);
      change(t.model_config.config.layers[1].config);
      return tf.io.fromMemory({ modelTopology: t, weightSpecs: json.weightsManifest[0].weights, weightData: bin });
    };
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ['constraint', (c) => (c.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2 } }), /layers\[1\] \(SimpleRNN "simple_rnn"\): key "kernel_constraint"/],
      ['unknown key', (c) => (c.frobnicate = 1), /key "frobnicate" = 1 is not supported/],
      ['activity regulariser', (c) => (c.activity_regularizer = { class_name: 'L2', config: { l2: 0.1 } }), /key "activity_regularizer"/],
      ['unknown initialiser', (c) => (c.kernel_initializer = { class_name: 'TruncatedNormal', config: { stddev: 2 } }), /key "kernel_initializer"/],
      ['unknown activation', (c) => (c.activation = 'gelu'), /key "activation" = "gelu"/],
    ];
    for (const [label, change, message] of cases) {
      const error = await loadModel(withConfig(change)).catch((e: unknown) => e);
      expect(error, label).toBeInstanceOf(UnsupportedConfigError);
      expect(error, label).toBeInstanceOf(ModelIOError);
      expect((error as Error).message, label).toMatch(message);
    }
    const inert = await loadModel(withConfig((c) => Object.assign(c, { unroll: true, implementation: 1, time_major: false, trainable: false, dtype_policy: 'float32' })));
    inert.dispose();
  });
});
