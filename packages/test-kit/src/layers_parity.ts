// The layers parity suite, written once and run per backend: ~40 cases over every recurrent option, mask form,
// merge mode and composition, through the public layers API, on the composite path and on the fused path where
// the backend has fused kernels, against a float64 reference of whole models (the cells from the float64 cell
// references, Keras 3's output rules for masks and bidirectional layers on top): forward, gradients (float64
// central differences), one SGD step and ten Adam steps.
import * as tf from '@tensorflow/tfjs-core';
import {
  type Layer,
  type MergeMode,
  type RecurrentLayer,
  SEQUENCE_OPS,
  getBackend,
  layers,
  sequential,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RefActivation, type RefCell, cellReferenceForward } from './cells/reference.js';
import { cellToleranceFor } from './cells/tolerances.js';

/** Where the layers suite runs. */
export interface LayersParityContext {
  backend: string;
  label?: string;
  /** Runs before the backend is activated. */
  setup?: () => Promise<void> | void;
  /** Extra assertions once the backend is active (e.g. which wasm build runs). */
  check?: () => Promise<void> | void;
}

interface RnnDesc {
  kind: 'rnn';
  cell: RefCell;
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  useBias?: boolean;
  resetAfter?: boolean;
  activation?: RefActivation;
  recurrentActivation?: RefActivation;
}
type LayerDesc = RnnDesc | { kind: 'bi'; layer: RnnDesc; mergeMode: Exclude<MergeMode, null> } | { kind: 'dense'; units: number } | { kind: 'masking' };

/** One model case: layers, sizes, and how the batch is padded. */
export interface LayersCase {
  name: string;
  layers: LayerDesc[];
  /** 'right' / 'left': zero-padded steps (masked by a masking layer, or by `call`'s mask argument with 'maskArg'). */
  padding?: 'right' | 'left' | 'mixed';
  maskArg?: boolean;
}

const B = 3;
const T = 5;
const I = 2;

const CELLS: { tag: string; rnn: (o: Partial<RnnDesc>) => RnnDesc }[] = [
  { tag: 'simpleRNN', rnn: (o) => ({ kind: 'rnn', cell: 'simpleRNN', units: 3, ...o }) },
  { tag: 'lstm', rnn: (o) => ({ kind: 'rnn', cell: 'lstm', units: 3, ...o }) },
  { tag: 'gru resetAfter', rnn: (o) => ({ kind: 'rnn', cell: 'gru', units: 3, resetAfter: true, ...o }) },
  { tag: 'gru resetBefore', rnn: (o) => ({ kind: 'rnn', cell: 'gru', units: 3, resetAfter: false, ...o }) },
];
const dense: LayerDesc = { kind: 'dense', units: 2 };
const masking: LayerDesc = { kind: 'masking' };

/** The model cases (the layer-level cases — initial states, stateful, dropout, returnState — are separate). */
export const LAYERS_CASES: LayersCase[] = [
  ...CELLS.flatMap(({ tag, rnn }): LayersCase[] => [
    { name: `${tag}: last output + dense`, layers: [rnn({}), dense] },
    { name: `${tag}: returnSequences, dense per step`, layers: [rnn({ returnSequences: true }), dense] },
    { name: `${tag}: goBackwards sequences`, layers: [rnn({ goBackwards: true, returnSequences: true }), dense] },
    { name: `${tag}: no bias, other activations`, layers: [rnn({ useBias: false, activation: 'softsign', recurrentActivation: 'hardSigmoid' }), dense] },
    { name: `${tag}: right-padded, masking layer, sequences`, layers: [masking, rnn({ returnSequences: true }), dense], padding: 'right' },
    { name: `${tag}: left-padded, masking layer`, layers: [masking, rnn({}), dense], padding: 'left' },
    { name: `${tag}: mask argument (right, left, hole), goBackwards`, layers: [rnn({ goBackwards: true }), dense], padding: 'mixed', maskArg: true },
  ]),
  ...(['concat', 'sum', 'mul', 'ave'] as const).map(
    (mergeMode): LayersCase => ({
      name: `bidirectional lstm ${mergeMode}, sequences, mixed padding`,
      layers: [masking, { kind: 'bi', layer: CELLS[1]!.rnn({ returnSequences: true }), mergeMode }, dense],
      padding: 'mixed',
    }),
  ),
  { name: 'bidirectional gru resetAfter concat, last output, left-padded', layers: [masking, { kind: 'bi', layer: CELLS[2]!.rnn({}), mergeMode: 'concat' }, dense], padding: 'left' },
  {
    name: '3-layer stack: lstm(seq) → bidirectional gru(seq, ave) → simpleRNN → dense, right-padded',
    layers: [masking, CELLS[1]!.rnn({ returnSequences: true }), { kind: 'bi', layer: CELLS[2]!.rnn({ returnSequences: true, units: 2 }), mergeMode: 'ave' }, CELLS[0]!.rnn({}), dense],
    padding: 'right',
  },
];

// ---------------------------------------------------------------- float64 reference of a whole model

type Tensor64 = { data: Float64Array; shape: number[] };

function paddingMask(padding: LayersCase['padding']): Float64Array {
  const m = new Float64Array(B * T).fill(1);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const right = t >= T - 2;
      const left = t < 2;
      const off = padding === 'right' ? right : padding === 'left' ? left : padding === 'mixed' ? [right, left, t === 2][b]! : false;
      if (off) m[b * T + t] = 0;
    }
  }
  return m;
}

function rnnRef(d: RnnDesc, w: Float64Array[], x: Tensor64, mask: Float64Array | null, zeroOutput: boolean): { out: Tensor64; seq: boolean } {
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const H = d.units;
  const useBias = d.useBias ?? true;
  const { h } = cellReferenceForward(
    {
      cell: d.cell,
      batch,
      steps,
      inputSize,
      units: H,
      activation: d.activation ?? 'tanh',
      recurrentActivation: d.recurrentActivation ?? 'sigmoid',
      goBackwards: d.goBackwards ?? false,
      resetAfter: d.resetAfter ?? true,
    },
    { x: x.data, kernel: w[0]!, recurrentKernel: w[1]!, ...(useBias ? { bias: w[2]! } : {}), h0: new Float64Array(batch * H), ...(mask ? { mask } : {}) },
  );
  // Keras 3 outputs: masked steps repeat the previous output (zeros before the first real step), or zeros.
  const keep = new Float64Array(batch * steps).fill(1);
  if (mask) {
    for (let b = 0; b < batch; b++) {
      let seen = 0;
      for (let p = 0; p < steps; p++) {
        const t = d.goBackwards ? steps - 1 - p : p;
        const m = mask[b * steps + t]!;
        seen = Math.max(seen, m);
        keep[b * steps + p] = zeroOutput ? m : seen;
      }
    }
  }
  if (d.returnSequences) {
    const out = new Float64Array(batch * steps * H);
    for (let i = 0; i < out.length; i++) out[i] = h[i]! * keep[Math.floor(i / H)]!;
    return { out: { data: out, shape: [batch, steps, H] }, seq: true };
  }
  const out = new Float64Array(batch * H);
  for (let b = 0; b < batch; b++) for (let j = 0; j < H; j++) out[b * H + j] = h[(b * steps + steps - 1) * H + j]! * keep[b * steps + steps - 1]!;
  return { out: { data: out, shape: [batch, H] }, seq: false };
}

function reverseTime(x: Tensor64): Tensor64 {
  const [b, t, h] = x.shape as [number, number, number];
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < b; i++) for (let s = 0; s < t; s++) for (let j = 0; j < h; j++) out[(i * t + s) * h + j] = x.data[(i * t + (t - 1 - s)) * h + j]!;
  return { data: out, shape: x.shape };
}

/** The model's output in float64 for weights `ws` (Keras order, flat) and input `x`. */
export function modelReference(c: LayersCase, ws: Float64Array[], x: Tensor64): Tensor64 {
  let cur = x;
  let mask: Float64Array | null = c.maskArg ? paddingMask(c.padding) : null;
  let k = 0;
  const take = (n: number) => ws.slice(k, (k += n));
  for (const d of c.layers) {
    if (d.kind === 'masking') {
      const [b, t, f] = cur.shape as [number, number, number];
      mask = new Float64Array(b * t);
      for (let i = 0; i < b * t; i++) for (let j = 0; j < f; j++) if (cur.data[i * f + j] !== 0) mask[i] = 1;
    } else if (d.kind === 'rnn') {
      const r = rnnRef(d, take((d.useBias ?? true) ? 3 : 2), cur, mask, false);
      cur = r.out;
      if (!r.seq) mask = null;
    } else if (d.kind === 'bi') {
      const n = (d.layer.useBias ?? true) ? 3 : 2;
      const zero = d.layer.returnSequences ?? false;
      const f = rnnRef(d.layer, take(n), cur, mask, zero).out;
      let b = rnnRef({ ...d.layer, goBackwards: !(d.layer.goBackwards ?? false) }, take(n), cur, mask, zero).out;
      if (zero) b = reverseTime(b);
      const H = f.shape[f.shape.length - 1]!;
      const rows = f.data.length / H;
      const width = d.mergeMode === 'concat' ? 2 * H : H;
      const out = new Float64Array(rows * width);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < H; j++) {
          const u = f.data[r * H + j]!;
          const v = b.data[r * H + j]!;
          if (d.mergeMode === 'concat') {
            out[r * width + j] = u;
            out[r * width + H + j] = v;
          } else out[r * width + j] = d.mergeMode === 'sum' ? u + v : d.mergeMode === 'mul' ? u * v : (u + v) / 2;
        }
      }
      cur = { data: out, shape: [...f.shape.slice(0, -1), width] };
      if (!zero) mask = null;
    } else {
      const [kernel, bias] = take(2) as [Float64Array, Float64Array];
      const inW = cur.shape[cur.shape.length - 1]!;
      const rows = cur.data.length / inW;
      const out = new Float64Array(rows * d.units);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < d.units; j++) {
          let s = bias[j]!;
          for (let i = 0; i < inW; i++) s += cur.data[r * inW + i]! * kernel[i * d.units + j]!;
          out[r * d.units + j] = s;
        }
      }
      cur = { data: out, shape: [...cur.shape.slice(0, -1), d.units] };
    }
  }
  return cur;
}

function mse(y: Tensor64, target: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += (y.data[i]! - target[i]!) ** 2;
  return s / y.data.length;
}

/** ∂MSE/∂w for every weight by float64 central differences. */
function referenceGrads(c: LayersCase, ws: Float64Array[], x: Tensor64, target: Float64Array): Float64Array[] {
  const eps = 1e-6;
  return ws.map((w) => {
    const g = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      w[i] = v + eps;
      const up = mse(modelReference(c, ws, x), target);
      w[i] = v - eps;
      const down = mse(modelReference(c, ws, x), target);
      w[i] = v;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
}

// ---------------------------------------------------------------- running a case

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function buildLayer(d: LayerDesc): Layer {
  const rnnOptions = (r: RnnDesc) => ({
    units: r.units,
    ...(r.returnSequences ? { returnSequences: true } : {}),
    ...(r.goBackwards ? { goBackwards: true } : {}),
    ...(r.useBias === false ? { useBias: false } : {}),
    ...(r.activation ? { activation: r.activation } : {}),
  });
  const rnn = (r: RnnDesc): RecurrentLayer =>
    r.cell === 'simpleRNN'
      ? layers.simpleRNN(rnnOptions(r))
      : r.cell === 'lstm'
        ? layers.lstm({ ...rnnOptions(r), ...(r.recurrentActivation ? { recurrentActivation: r.recurrentActivation } : {}) })
        : layers.gru({ ...rnnOptions(r), resetAfter: r.resetAfter ?? true, ...(r.recurrentActivation ? { recurrentActivation: r.recurrentActivation } : {}) });
  switch (d.kind) {
    case 'masking':
      return layers.masking();
    case 'rnn':
      return rnn(d);
    case 'bi':
      return layers.bidirectional({ layer: rnn(d.layer), mergeMode: d.mergeMode });
    case 'dense':
      return layers.dense({ units: d.units });
  }
}

/** Worst |diff| per quantity, printed after the suite. */
export const LAYERS_WORST = new Map<string, number>();

function compare(key: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { atol: number; rtol: number }): void {
  expect(actual.length, key).toBe(expected.length);
  let worst = 0;
  let bad = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Math.max(worst, d);
    if (bad === -1 && !(d <= tol.atol + tol.rtol * Math.abs(expected[i]!))) bad = i;
  }
  const q = key.split(' | ')[1]!;
  LAYERS_WORST.set(q, Math.max(LAYERS_WORST.get(q) ?? 0, worst));
  expect(bad, bad === -1 ? '' : `${key}[${bad}]: ${actual[bad]} vs float64 ${expected[bad]} (worst ${worst})`).toBe(-1);
}

async function runCase(c: LayersCase, index: number, path: string, backend: string): Promise<void> {
  const tol = cellToleranceFor(backend);
  const rand = seeded(1000 + index);
  const xData = new Float64Array(B * T * I).map(() => Math.fround(rand() * 2 - 1));
  const pad = paddingMask(c.padding);
  if (!c.maskArg) for (let i = 0; i < B * T; i++) if (pad[i] === 0) for (let j = 0; j < I; j++) xData[i * I + j] = 0;
  const x64: Tensor64 = { data: xData, shape: [B, T, I] };
  const before = tf.memory().numTensors;
  const model = sequential({ layers: c.layers.map(buildLayer), seed: 7 + index });
  model.build([null, T, I]);
  const shapes = model.getWeights().map((w) => {
    const s = w.shape;
    w.dispose();
    return s;
  });
  const ws64 = shapes.map((s) => new Float64Array(s.reduce((a, b) => a * b, 1)).map(() => Math.fround((rand() * 2 - 1) * 0.7)));
  const ws = ws64.map((w, i) => tf.tensor(Float32Array.from(w), shapes[i]));
  model.setWeights(ws);
  tf.dispose(ws);
  const x = tf.tensor(Float32Array.from(xData), [B, T, I]);
  const mask = c.maskArg ? tf.tensor2d(Float32Array.from(pad), [B, T]) : undefined;
  const call = (): tf.Tensor => model.call(x, mask ? { mask } : {});

  // Forward.
  const ref = modelReference(c, ws64, x64);
  const y = call();
  compare(`${c.name} [${path}] | forward`, y.dataSync(), ref.data, tol.forward);
  const target = new Float64Array(ref.data.length).map(() => Math.fround(rand() * 2 - 1));
  const targetT = tf.tensor(Float32Array.from(target), y.shape);
  y.dispose();

  // Gradients of the MSE against float64 central differences.
  const refGrads = referenceGrads(c, ws64, x64, target);
  const variables = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(call(), targetT)) as tf.Scalar, variables);
  value.dispose();
  variables.forEach((v, i) => compare(`${c.name} [${path}] | gradient`, grads[v.name]!.dataSync(), refGrads[i]!, tol.gradient));
  tf.dispose(Object.values(grads));

  // One SGD step (lr 0.1): w − 0.1·g.
  const sgdLr = 0.1;
  const sgd = tf.train.sgd(sgdLr);
  sgd.minimize(() => tf.mean(tf.squaredDifference(call(), targetT)) as tf.Scalar, false, variables);
  sgd.dispose();
  variables.forEach((v, i) => compare(`${c.name} [${path}] | SGD step`, v.dataSync(), ws64[i]!.map((w, k) => w - sgdLr * refGrads[i]![k]!), tol.gradient));

  // Ten Adam steps (lr 0.01, Keras's betas, epsilon 1e-7) from the SGD-updated weights.
  const w64 = variables.map((v) => Float64Array.from(v.dataSync()));
  const lr = 0.01;
  const [b1, b2, eps] = [0.9, 0.999, 1e-7];
  const m1 = w64.map((w) => new Float64Array(w.length));
  const m2 = w64.map((w) => new Float64Array(w.length));
  const adam = tf.train.adam(lr, b1, b2, eps);
  // Adam divides by √v, so a gradient error δ moves a step by up to lr·2δ/|g| (a whole 2·lr when |g| ≤ δ: the
  // sign can flip; measured up to 1.2e-2 after ten steps for |g| ≈ 1e-7). Each element's bound sums that over
  // the steps with δ = the gradient tolerance: tight where gradients are large, as loose as Adam itself where
  // they vanish.
  const delta = tol.gradient.atol;
  const slack = w64.map((w) => new Float64Array(w.length).fill(tol.forward.atol));
  for (let step = 1; step <= 10; step++) {
    adam.minimize(() => tf.mean(tf.squaredDifference(call(), targetT)) as tf.Scalar, false, variables);
    const g = referenceGrads(c, w64, x64, target);
    g.forEach((gi, i) => gi.forEach((v, k) => (slack[i]![k]! += lr * Math.min(2, (2 * delta) / Math.abs(v)))));
    const lrT = (lr * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step);
    w64.forEach((w, i) => {
      for (let k = 0; k < w.length; k++) {
        m1[i]![k] = b1 * m1[i]![k]! + (1 - b1) * g[i]![k]!;
        m2[i]![k] = b2 * m2[i]![k]! + (1 - b2) * g[i]![k]! ** 2;
        w[k] = w[k]! - (lrT * m1[i]![k]!) / (Math.sqrt(m2[i]![k]!) + eps);
      }
    });
  }
  adam.dispose();
  variables.forEach((v, i) => {
    const actual = v.dataSync();
    const bad = w64[i]!.findIndex((w, k) => !(Math.abs(actual[k]! - w) <= slack[i]![k]!));
    const worst = Math.max(...w64[i]!.map((w, k) => Math.abs(actual[k]! - w) / slack[i]![k]!));
    LAYERS_WORST.set('ten Adam steps (|diff| / bound)', Math.max(LAYERS_WORST.get('ten Adam steps (|diff| / bound)') ?? 0, worst));
    expect(bad, bad === -1 ? '' : `${c.name} [${path}] ten Adam steps[${bad}]: ${actual[bad]} vs float64 ${w64[i]![bad]} (bound ${slack[i]![bad]})`).toBe(-1);
  });

  tf.dispose([x, targetT, ...(mask ? [mask] : [])]);
  model.dispose();
  expect(tf.memory().numTensors, `${c.name}: tensors leaked`).toBe(before);
}

function hasFused(): boolean {
  return (['simpleRNN', 'lstm', 'gru'] as const).some((cell) => tf.getKernel(SEQUENCE_OPS[cell].kernelName, tf.getBackend()) !== undefined);
}

/** Layer-level cases: initial states, stateful continuation, seeded dropout, returnState. */
function layerLevelTests(): void {
  for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
    it(`${cell}: initial states and returnState equal the float64 reference`, () => {
      const before = tf.memory().numTensors;
      const layer = layers[cell]({ units: 3, returnSequences: true, returnState: true, seed: 5 });
      layer.build([null, T, I]);
      const rand = seeded(77);
      const ws = layer.getWeights();
      const ws64 = ws.map((w) => new Float64Array(w.size).map(() => Math.fround((rand() * 2 - 1) * 0.7)));
      const next = ws64.map((w, i) => tf.tensor(Float32Array.from(w), ws[i]!.shape));
      layer.setWeights(next);
      const x64 = new Float64Array(B * T * I).map(() => Math.fround(rand() * 2 - 1));
      const h064 = new Float64Array(B * 3).map(() => Math.fround(rand() * 2 - 1));
      const c064 = new Float64Array(B * 3).map(() => Math.fround(rand() * 2 - 1));
      const x = tf.tensor(Float32Array.from(x64), [B, T, I]);
      const states = [tf.tensor(Float32Array.from(h064), [B, 3]), ...(cell === 'lstm' ? [tf.tensor(Float32Array.from(c064), [B, 3])] : [])];
      const out = layer.apply(x, { initialState: states }) as tf.Tensor[];
      const ref = cellReferenceForward(
        { cell, batch: B, steps: T, inputSize: I, units: 3, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true },
        { x: x64, kernel: ws64[0]!, recurrentKernel: ws64[1]!, bias: ws64[2]!, h0: h064, ...(cell === 'lstm' ? { c0: c064 } : {}) },
      );
      const last = (a: Float64Array) => Float64Array.from({ length: B * 3 }, (_, i) => a[(Math.floor(i / 3) * T + T - 1) * 3 + (i % 3)]!);
      const tol = cellToleranceFor(getBackend()).forward;
      compare(`${cell} initial state | forward`, out[0]!.dataSync(), ref.h, tol);
      compare(`${cell} initial state | forward`, out[1]!.dataSync(), last(ref.h), tol);
      if (cell === 'lstm') compare(`${cell} initial state | forward`, out[2]!.dataSync(), last(ref.c!), tol);
      tf.dispose([...ws, ...next, x, ...states, ...out]);
      layer.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`${cell}: stateful continuation (step, chunk, rest) equals the full sequence; resetStates`, () => {
      const before = tf.memory().numTensors;
      const full = layers[cell]({ units: 3, returnSequences: true, seed: 9 });
      const stream = layers[cell]({ units: 3, returnSequences: true, stateful: true, seed: 9 });
      const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 4);
      const whole = full.apply(x) as tf.Tensor;
      const parts = [
        [0, 1],
        [1, 3],
        [4, 1],
      ].map(([s, n]) => tf.tidy(() => stream.apply(tf.slice(x, [0, s!, 0], [B, n!, I])) as tf.Tensor));
      const joined = tf.concat(parts, 1);
      compare(`${cell} stateful | forward`, joined.dataSync(), whole.dataSync(), cellToleranceFor(getBackend()).forward);
      stream.resetStates();
      const again = tf.tidy(() => stream.apply(tf.slice(x, [0, 0, 0], [B, 1, I])) as tf.Tensor);
      compare(`${cell} stateful | forward`, again.dataSync(), parts[0]!.dataSync(), { atol: 0, rtol: 0 });
      tf.dispose([x, whole, ...parts, joined, again]);
      full.dispose();
      stream.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: dropout and recurrentDropout with a fixed seed repeat exactly, and only in training`, () => {
      const make = () => layers[cell]({ units: 4, dropout: 0.3, recurrentDropout: 0.3, seed: 21 });
      const a = make();
      const b = make();
      const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 8);
      const ya = a.apply(x, { training: true }) as tf.Tensor;
      const yb = b.apply(x, { training: true }) as tf.Tensor;
      expect(Array.from(ya.dataSync())).toEqual(Array.from(yb.dataSync()));
      const inference = a.apply(x) as tf.Tensor;
      const plain = layers[cell]({ units: 4, seed: 21 });
      const yp = plain.apply(x) as tf.Tensor;
      compare(`${cell} dropout | forward`, inference.dataSync(), yp.dataSync(), { atol: 0, rtol: 0 });
      expect(Math.max(...Array.from(tf.tidy(() => tf.abs(tf.sub(ya, inference))).dataSync()))).toBeGreaterThan(1e-4);
      tf.dispose([x, ya, yb, inference, yp]);
      for (const l of [a, b, plain]) l.dispose();
    });
  }
}

/** Runs the layers parity suite on `ctx.backend`. */
export function layersParityTests(ctx: LayersParityContext): void {
  const label = ctx.label ?? ctx.backend;
  describe(`layers parity: ${label}`, () => {
    let previous = '';
    beforeAll(async () => {
      previous = getBackend();
      await ctx.setup?.();
      await setBackend(ctx.backend);
      await ctx.check?.();
    });
    afterAll(async () => {
      setFusedKernelsEnabled(true);
      console.log(`layers parity worst |diff| vs float64 (${label}):\n  ${[...LAYERS_WORST].map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n  ')}`);
      if (previous !== '' && previous !== ctx.backend) await setBackend(previous);
    });
    for (const path of ['composite', 'fused'] as const) {
      describe(path, () => {
        LAYERS_CASES.forEach((c, i) => {
          it(c.name, async (test) => {
            if (path === 'fused' && !hasFused()) {
              test.skip(`${ctx.backend} registers no fused recurrence kernels (the composite path covers it)`);
              return;
            }
            setFusedKernelsEnabled(path === 'fused');
            try {
              await runCase(c, i, path, ctx.backend);
            } finally {
              setFusedKernelsEnabled(true);
            }
          });
        });
      });
    }
    describe('layer level', layerLevelTests);
  });
}
