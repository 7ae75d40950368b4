import { createHash } from 'node:crypto';
import { promises as fsp, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BasicRNN, BusyError, ConfigError, DisposedError, type Layer, ModelIOError, Sequential, layers, loadModel, sequential, sha256Hex } from '../index.js';
import '../node/index.js';
import { SeededRandom } from '../initializers.js';

/** An IOHandler keeping what was saved in memory (the same object tf.io.fromMemory would load). */
function memory(): tf.io.IOHandler & { artifacts?: tf.io.ModelArtifacts } {
  const h: tf.io.IOHandler & { artifacts?: tf.io.ModelArtifacts } = {
    save: async (a) => {
      h.artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    },
    load: async () => h.artifacts!,
  };
  return h;
}

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'basicrnn-io-'));
  dirs.push(d);
  return d;
}

/** Every layer and modelled option, one model per case; inputs [4, 6, 3] (token ids [4, 6] for embeddings). */
const CASES: [string, () => Layer[]][] = [
  ['simpleRNN relu, goBackwards, returnSequences, no bias', () => [layers.simpleRNN({ units: 5, activation: 'relu', goBackwards: true, returnSequences: true, useBias: false }), layers.dense({ units: 2 })]],
  ['lstm hardSigmoidKeras2, unitForgetBias false, dropout', () => [layers.lstm({ units: 4, recurrentActivation: 'hardSigmoidKeras2', unitForgetBias: false, dropout: 0.2, recurrentDropout: 0.1 }), layers.dense({ units: 1, activation: 'sigmoid' })]],
  ['lstm Keras 3 hardSigmoid', () => [layers.lstm({ units: 3, recurrentActivation: 'hardSigmoid' }), layers.dense({ units: 1 })]],
  ['gru resetAfter true', () => [layers.gru({ units: 4, resetAfter: true }), layers.dense({ units: 2, activation: 'softmax' })]],
  ['gru resetAfter false, softsign', () => [layers.gru({ units: 4, resetAfter: false, activation: 'softsign', returnSequences: true }), layers.dense({ units: 1, activation: 'tanh' })]],
  ['masking + bidirectional lstm concat + dropout', () => [layers.masking({ maskValue: 0 }), layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }), mergeMode: 'concat' }), layers.dropout({ rate: 0.3, seed: 5 }), layers.simpleRNN({ units: 2 }), layers.dense({ units: 1, activation: 'relu' })]],
  ['bidirectional gru sum / ave / mul', () => [layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }), mergeMode: 'sum' }), layers.bidirectional({ layer: layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: 'ave' }), layers.bidirectional({ layer: layers.lstm({ units: 2 }), mergeMode: 'mul' }), layers.dense({ units: 1 })]],
  ['embedding maskZero + lstm', () => [layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true }), layers.lstm({ units: 4 }), layers.dense({ units: 1 })]],
  ['initializers and regularizers', () => [layers.simpleRNN({ units: 3, kernelInitializer: { name: 'heNormal', seed: 3 }, recurrentInitializer: 'orthogonal', biasInitializer: 'ones', kernelRegularizer: { l1: 0.01, l2: 0.02 }, recurrentRegularizer: 'l2' }), layers.dense({ units: 1, kernelRegularizer: 'l1', biasInitializer: 'zeros' })]],
];

/** What a layer computes and trains with: resolved options, regularisers in one spelling ('l2' = { l1: 0, l2: 0.01 }). */
function semantics(layer: Layer): unknown {
  const norm = (v: unknown): unknown => {
    if (v === 'l1') return { l1: 0.01, l2: 0 };
    if (v === 'l2') return { l1: 0, l2: 0.01 };
    if (v === 'l1l2') return { l1: 0.01, l2: 0.01 };
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && ('l1' in v || 'l2' in v)) return { l1: 0, l2: 0, ...v };
    return v;
  };
  const pick = (o: object | undefined, drop: string[] = []) =>
    o === undefined ? undefined : Object.fromEntries(Object.entries(o).filter(([k]) => !drop.includes(k)).map(([k, v]) => [k, norm(v)]));
  const l = layer as unknown as Record<string, unknown>;
  const fwd = l.forwardLayer as Record<string, unknown> | undefined;
  return {
    className: layer.className,
    config: pick(l.config as object | undefined),
    forward: pick(fwd?.config as object | undefined),
    options: pick(l.options as object | undefined, ['name', 'seed']),
    ...Object.fromEntries(['mergeMode', 'units', 'activation', 'useBias', 'maskValue', 'rate', 'inputDim', 'outputDim', 'maskZero'].map((k) => [k, l[k]])),
  };
}

function inputFor(model: Sequential): tf.Tensor {
  const rng = new SeededRandom(11);
  if (model.inputRank === 2) return tf.tensor2d(Array.from({ length: 24 }, (_, i) => (i % 5 === 4 ? 0 : Math.floor(rng.uniform() * 7))), [4, 6], 'int32');
  // Some all-zero steps so masking has work to do.
  return tf.tensor3d(Array.from({ length: 72 }, (_, i) => (Math.floor(i / 3) % 6 === 5 && i < 36 ? 0 : rng.uniform() * 2 - 1)), [4, 6, 3]);
}

describe('save / loadModel round trips (memory and file://)', () => {
  it.each(CASES)('%s', async (_label, make) => {
    const n0 = tf.memory().numTensors;
    const model = sequential({ layers: make(), seed: 3, name: 'm_io' });
    const x = inputFor(model);
    model.build(model.inputRank === 2 ? [null, null] : [null, null, 3]);
    const before = model.predict(x);
    const mem = memory();
    await model.save(mem);
    const url = pathToFileURL(join(freshDir(), 'm')).href;
    await model.save(url);
    for (const source of [mem, url]) {
      const loaded = await loadModel(source);
      expect(loaded).toBeInstanceOf(Sequential);
      const seq = loaded as Sequential;
      expect(seq.name).toBe('m_io');
      expect(seq.seed).toBe(3);
      expect(seq.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
      expect(seq.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      expect(seq.weightNames()).toEqual(model.weightNames());
      for (const [a, b] of model.layers.map((l, i) => [l, seq.layers[i]!] as const)) {
        const [sa, sb] = [semantics(a), semantics(b)] as { options?: Record<string, unknown> }[];
        // Options given to the original are all back (the loaded layer also spells out the defaults).
        for (const [key, value] of Object.entries(sa!.options ?? {})) expect(sb!.options?.[key], key).toEqual(value);
        expect({ ...sb, options: null }).toEqual({ ...sa, options: null });
        expect(b.seed).toBe(a.seed);
      }
      const after = seq.predict(x);
      expect(values(after)).toEqual(values(before)); // same weights, same code: bit-identical
      tf.dispose(after);
      seq.dispose();
    }
    tf.dispose([x, before]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(n0); // save, load, predict and dispose leave nothing behind
  });

  it('a BasicRNN comes back as a BasicRNN with its options (every cell), and loads without running initialisers', async () => {
    for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
      const model = new BasicRNN({ hiddenSize: 5, outputSize: 2, cell, seed: 9, name: `b_${cell}`, returnSequences: cell === 'gru', activation: 'relu', outputActivation: 'sigmoid', goBackwards: cell === 'lstm' });
      const x = tf.randomNormal([3, 4, 2], 0, 1, 'float32', 1);
      const before = model.predict(x);
      const url = pathToFileURL(join(freshDir(), 'b')).href;
      await model.save(url);
      const loaded = (await loadModel(url)) as BasicRNN;
      expect(loaded).toBeInstanceOf(BasicRNN);
      for (const key of ['hiddenSize', 'outputSize', 'cell', 'seed', 'name', 'returnSequences', 'activation', 'outputActivation', 'goBackwards', 'useBias'] as const) {
        expect(loaded[key]).toEqual(model[key]);
      }
      const after = loaded.predict(x);
      expect(values(after)).toEqual(values(before));
      tf.dispose([x, before, after]);
      model.dispose();
      loaded.dispose();
    }
  });

  it('a stateful model keeps its fixed batch size (batch_input_shape) and streams the same after loading', async () => {
    const model = sequential({ layers: [layers.gru({ units: 3, stateful: true, returnSequences: true }), layers.dense({ units: 1 })], seed: 6 });
    model.build([2, null, 3]);
    const chunks = [0, 1].map((k) => tf.randomNormal([2, 4, 3], 0, 1, 'float32', 20 + k));
    const mem = memory();
    await model.save(mem);
    const loaded = (await loadModel(mem)) as Sequential;
    const json = mem.artifacts!.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } };
    expect(json.config.layers[0]!.config.batch_input_shape).toEqual([2, null, 3]);
    expect(json.config.layers[0]!.config.stateful).toBe(true);
    for (const chunk of chunks) {
      const [a, b] = [model.predict(chunk), loaded.predict(chunk)];
      expect(values(b)).toEqual(values(a)); // the second chunk continues from the first one's states
      tf.dispose([a, b]);
    }
    tf.dispose(chunks);
    model.dispose();
    loaded.dispose();
  });

  it('loadWeights replaces the weights of an existing model (built or not) and leaks nothing', async () => {
    const a = sequential({ layers: [layers.lstm({ units: 3, name: 'l' }), layers.dense({ units: 1, name: 'd' })], seed: 1 });
    const b = sequential({ layers: [layers.lstm({ units: 3, name: 'l' }), layers.dense({ units: 1, name: 'd' })], seed: 2 });
    const c = sequential({ layers: [layers.lstm({ units: 3, name: 'l' }), layers.dense({ units: 1, name: 'd' })], seed: 3 });
    a.build([null, null, 2]);
    b.build([null, null, 2]);
    const x = tf.randomNormal([2, 5, 2], 0, 1, 'float32', 2);
    const mem = memory();
    await a.save(mem);
    const n0 = tf.memory().numTensors;
    await b.loadWeights(mem);
    expect(tf.memory().numTensors).toBe(n0);
    await c.loadWeights(mem); // unbuilt: built from the file without initialisers
    const [pa, pb, pc] = [a.predict(x), b.predict(x), c.predict(x)];
    expect(values(pb)).toEqual(values(pa));
    expect(values(pc)).toEqual(values(pa));
    const r = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 4 });
    const r2 = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 5 });
    r.build([null, null, 2]);
    await r.save(mem);
    await r2.loadWeights(mem);
    const [pr, pr2] = [r.predict(x), r2.predict(x)];
    expect(values(pr2)).toEqual(values(pr));
    tf.dispose([x, pa, pb, pc, pr, pr2]);
    for (const m of [a, b, c, r, r2]) m.dispose();
  });

  it('files carry SHA-256s of the weights (checked against node:crypto) and flipped bytes are refused', async () => {
    const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
    model.build([null, null, 2]);
    const mem = memory();
    await model.save(mem);
    const meta = mem.artifacts!.userDefinedMetadata!.basicrnn as { weightsSha256: string };
    const bytes = new Uint8Array(mem.artifacts!.weightData as ArrayBuffer);
    expect(meta.weightsSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    for (const n of [0, 1, 55, 56, 63, 64, 119, 1000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);
      expect(sha256Hex(b)).toBe(createHash('sha256').update(b).digest('hex'));
    }
    const flipped = new Uint8Array(bytes);
    flipped[7] = flipped[7]! ^ 0x01;
    const bad = { ...mem.artifacts!, weightData: flipped.buffer };
    const target = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    target.build([null, null, 2]);
    const w0 = target.getWeights();
    await expect(target.loadWeights(tf.io.fromMemory(bad))).rejects.toThrow(/weightData: the weight bytes are corrupt/);
    const w1 = target.getWeights();
    w0.forEach((w, i) => expect(values(w1[i]!)).toEqual(values(w)));
    tf.dispose([...w0, ...w1]);
    model.dispose();
    target.dispose();
  });

  it('save during fit stores one step boundary; loadWeights during fit is refused with BusyError', async () => {
    const model = sequential({ layers: [layers.simpleRNN({ units: 4 }), layers.dense({ units: 1 })], seed: 2 });
    const x = tf.randomNormal([16, 5, 2], 0, 1, 'float32', 3);
    const y = tf.randomNormal([16, 1], 0, 1, 'float32', 4);
    model.compile({ optimizer: 'sgd', learningRate: 0.1, loss: 'meanSquaredError' });
    const saved: tf.io.IOHandler[] = [];
    const snapshots: number[][][] = [];
    const errors: unknown[] = [];
    await model.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      callbacks: [
        {
          onBatchEnd: async () => {
            const mem = memory();
            const weights = model.getWeights();
            snapshots.push(weights.map(values));
            tf.dispose(weights);
            await model.save(mem);
            saved.push(mem);
            await model.loadWeights(mem).catch((e: unknown) => errors.push(e));
          },
        },
      ],
    });
    expect(saved).toHaveLength(4);
    expect(errors).toHaveLength(4);
    for (const e of errors) expect(e).toBeInstanceOf(BusyError);
    // Each save equals the weights at the batch end it was taken at.
    for (const [i, mem] of saved.entries()) {
      const loaded = (await loadModel(mem)) as Sequential;
      const w = loaded.getWeights();
      expect(w.map(values)).toEqual(snapshots[i]);
      tf.dispose(w);
      loaded.dispose();
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  it('bad destinations and options are refused with typed errors naming them', async () => {
    const model = new BasicRNN({ hiddenSize: 2, outputSize: 1, seed: 1 });
    model.build([null, null, 2]);
    await expect(model.save('nowhere://x')).rejects.toThrow(/no save handler answers the URL "nowhere:\/\/x"/);
    await expect(model.save('nowhere://x')).rejects.toBeInstanceOf(ModelIOError);
    await expect(model.save(42 as unknown as string)).rejects.toBeInstanceOf(ConfigError);
    await expect(model.save(memory(), { quantize: 'int4' as 'uint8' })).rejects.toThrow(/quantize/);
    await expect(loadModel('nowhere://x')).rejects.toThrow(/no load handler/);
    await expect(loadModel('localstorage://x')).rejects.toThrow(ModelIOError);
    const unbuilt = new BasicRNN({ hiddenSize: 2, outputSize: 1 });
    await expect(unbuilt.save(memory())).rejects.toThrow(/not built/);
    const mem = memory();
    await model.save(mem);
    const gone = sequential({ layers: [layers.dense({ units: 1 })] });
    gone.dispose();
    unbuilt.dispose();
    await expect(gone.loadWeights(mem)).rejects.toBeInstanceOf(DisposedError);
    await expect(unbuilt.loadWeights(mem)).rejects.toBeInstanceOf(DisposedError);
    await expect(gone.save(mem)).rejects.toBeInstanceOf(DisposedError);
    model.dispose();
  });
});

// ---- corruption fuzz ----

/** A model.json text + weights as a directory would hold them, loaded the way tfjs's http/file loaders do. */
interface Files {
  json: string;
  weights: Uint8Array;
}

async function toFiles(model: BasicRNN | Sequential, withMetadata: boolean): Promise<Files> {
  const mem = memory();
  await model.save(mem);
  const a = mem.artifacts!;
  const json = {
    modelTopology: a.modelTopology,
    format: a.format,
    weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }],
    ...(withMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
  };
  return { json: JSON.stringify(json), weights: new Uint8Array(a.weightData as ArrayBuffer) };
}

function fromFiles(files: Files): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(files.json) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => [tf.io.getWeightSpecs(manifest), files.weights.slice().buffer]);
    },
  };
}

type Mutation = (f: Files, rng: SeededRandom) => string;

function pick<T>(items: readonly T[], rng: SeededRandom): T {
  return items[Math.floor(rng.uniform() * items.length)]!;
}

/** Each mutation edits the files and says which field the refusal must name. */
const MUTATIONS: Record<string, Mutation> = {
  truncate: (f, rng) => {
    f.weights = f.weights.slice(0, Math.floor(rng.uniform() * f.weights.length));
    return 'weightData';
  },
  extraBytes: (f, rng) => {
    const n = 1 + Math.floor(rng.uniform() * 8);
    const w = new Uint8Array(f.weights.length + n);
    w.set(f.weights);
    f.weights = w;
    return 'weightData';
  },
  flipByte: (f, rng) => {
    const w = new Uint8Array(f.weights);
    const i = Math.floor(rng.uniform() * w.length);
    w[i] = w[i]! ^ (1 << Math.floor(rng.uniform() * 8));
    f.weights = w;
    return 'weightData';
  },
  editShape: (f, rng) => edit(f, rng, (s) => {
    const k = Math.floor(rng.uniform() * s.shape.length);
    s.shape[k] = s.shape[k]! + (rng.uniform() < 0.5 ? 1 : -1);
  }),
  swapShape: (f, rng) => edit(f, rng, (s) => {
    s.shape.reverse();
    if (s.shape.length < 2 || s.shape[0] === s.shape[1]) s.shape.push(1);
  }),
  editDtype: (f, rng) => edit(f, rng, (s) => {
    s.dtype = pick(['int32', 'bool', 'float16', 'string', 'complex64'], rng) as 'int32';
  }),
  editName: (f, rng) => edit(f, rng, (s) => {
    s.name = `${s.name}_x`;
  }),
  badQuantization: (f, rng) => edit(f, rng, (s) => {
    s.quantization = { dtype: pick(['int8', 'uint32'], rng) as 'uint8', scale: 1, min: 0 };
  }),
  dropWeight: (f, rng) => {
    const json = JSON.parse(f.json);
    const ws = json.weightsManifest[0].weights;
    ws.splice(Math.floor(rng.uniform() * ws.length), 1);
    f.json = JSON.stringify(json);
    return 'weight';
  },
  duplicateWeight: (f, rng) => {
    const json = JSON.parse(f.json);
    const ws = json.weightsManifest[0].weights;
    const i = Math.floor(rng.uniform() * ws.length);
    ws.splice(i, 0, { ...ws[i] });
    f.json = JSON.stringify(json);
    return 'weight';
  },
  reorderWeights: (f) => {
    const json = JSON.parse(f.json);
    json.weightsManifest[0].weights.reverse();
    f.json = JSON.stringify(json);
    return 'weight';
  },
  breakJSON: (f, rng) => {
    f.json = f.json.slice(0, Math.floor(rng.uniform() * f.json.length));
    return 'JSON';
  },
  formatVersion: (f, rng) => {
    const json = JSON.parse(f.json);
    if (json.userDefinedMetadata === undefined) return editTopology(f, rng);
    json.userDefinedMetadata.basicrnn.formatVersion = pick([2, 0, '1', null], rng);
    f.json = JSON.stringify(json);
    return 'formatVersion';
  },
  format: (f) => {
    const json = JSON.parse(f.json);
    json.format = 'graph-model';
    f.json = JSON.stringify(json);
    return 'format';
  },
  topology: (f, rng) => editTopology(f, rng),
};

function edit(f: Files, rng: SeededRandom, change: (s: tf.io.WeightsManifestEntry) => void): string {
  const json = JSON.parse(f.json);
  const ws = json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
  const s = pick(ws, rng);
  change(s);
  f.json = JSON.stringify(json);
  return 'weight';
}

function editTopology(f: Files, rng: SeededRandom): string {
  const json = JSON.parse(f.json);
  const layersJSON = json.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
  const layer = pick(layersJSON, rng);
  const kind = Math.floor(rng.uniform() * 4);
  if (kind === 0) layer.class_name = 'Conv1D';
  else if (kind === 1) layer.config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2 } };
  else if (kind === 2) layer.config.frobnicate = true;
  else json.modelTopology.class_name = 'Functional';
  f.json = JSON.stringify(json);
  return 'modelTopology';
}

describe('corruption fuzz', () => {
  it('every seeded structural mutation is refused with a typed error naming the field; no leak; the target unchanged', async () => {
    const makers: [string, () => BasicRNN | Sequential][] = [
      ['basicrnn lstm', () => new BasicRNN({ hiddenSize: 3, outputSize: 2, cell: 'lstm', seed: 1, name: 'fz' })],
      ['sequential', () => sequential({ layers: [layers.masking({ name: 'fm' }), layers.bidirectional({ layer: layers.gru({ units: 2, returnSequences: true, name: 'fg' }), name: 'fb' }), layers.simpleRNN({ units: 2, name: 'fs' }), layers.dense({ units: 1, name: 'fd' })], seed: 1, name: 'fz' })],
    ];
    const counts: Record<string, number> = {};
    let total = 0;
    for (const [label, make] of makers) {
      const source = make();
      source.build([null, null, 3]);
      for (const withMetadata of [true, false]) {
        const files = await toFiles(source, withMetadata);
        const target = make();
        target.build([null, null, 3]);
        const reference = target.getWeights().map(values);
        const rng = new SeededRandom(label.length * 1000 + (withMetadata ? 1 : 0));
        for (let trial = 0; trial < 120; trial++) {
          const name = pick(Object.keys(MUTATIONS), rng);
          const f: Files = { json: files.json, weights: files.weights };
          const field = MUTATIONS[name]!(f, rng);
          // Without this library's hashes (a foreign file), a flipped byte or a reordered manifest whose byte total
          // is unchanged cannot be seen: nothing records what the bytes were.
          if (!withMetadata && (name === 'flipByte' || name === 'reorderWeights')) continue;
          const before = tf.memory().numTensors;
          // loadWeights reads weights only (the topology is a hint there), so topology edits go through loadModel.
          const viaWeights = trial % 2 === 0 && field !== 'modelTopology' && field !== 'format';
          const error = await (viaWeights ? target.loadWeights(fromFiles(f)) : loadModel(fromFiles(f))).then(
            (m) => {
              (m as BasicRNN | undefined)?.dispose?.();
              return null;
            },
            (e: unknown) => e,
          );
          const where = `${label} ${withMetadata ? '+hash' : 'no hash'} trial ${trial} ${name} (${viaWeights ? 'loadWeights' : 'loadModel'})`;
          expect(error, where).toBeInstanceOf(ModelIOError);
          const message = (error as Error).message;
          if (field === 'JSON') expect(message, where).toMatch(/JSON|Unexpected|Unterminated|Expected/);
          else expect(message, where).toMatch(new RegExp(field === 'weight' ? 'weight|weightSpecs|weightData' : field));
          expect(tf.memory().numTensors, where).toBe(before);
          counts[name] = (counts[name] ?? 0) + 1;
          total++;
        }
        const after = target.getWeights();
        expect(after.map(values)).toEqual(reference);
        tf.dispose(after);
        target.dispose();
      }
      source.dispose();
    }
    console.info(`[io fuzz] ${total} mutations refused:`, JSON.stringify(counts));
    expect(total).toBeGreaterThan(400);
  });

  it('mismatched artifacts name the field: missing / extra weight, wrong shape', async () => {
    const a = sequential({ layers: [layers.lstm({ units: 3, name: 'l' }), layers.dense({ units: 1, name: 'd' })], seed: 1 });
    const b = sequential({ layers: [layers.gru({ units: 3, name: 'l' }), layers.dense({ units: 1, name: 'd' })], seed: 1 });
    const c = sequential({ layers: [layers.lstm({ units: 3, name: 'other' }), layers.dense({ units: 1, name: 'd' })], seed: 1 });
    for (const m of [a, b, c]) m.build([null, null, 2]);
    const mem = memory();
    await a.save(mem);
    await expect(b.loadWeights(mem)).rejects.toThrow(/weightSpecs\[0\] \("l\/kernel"\)\.shape: expected \[2,9\], received \[2,12\]/);
    await expect(c.loadWeights(mem)).rejects.toThrow(/weight "other\/kernel" is missing/);
    a.dispose();
    b.dispose();
    c.dispose();
  });

  it('a file:// model with a flipped shard byte is refused by the file handler', async () => {
    const model = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
    model.build([null, null, 2]);
    const dir = freshDir();
    await model.save(pathToFileURL(dir).href);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const shard = join(dir, json.weightsManifest[0].paths[0]);
    const bytes = readFileSync(shard);
    bytes[3] = bytes[3]! ^ 0x80;
    writeFileSync(shard, bytes);
    await expect(loadModel(pathToFileURL(dir).href)).rejects.toThrow(ModelIOError);
    model.dispose();
  });
});
