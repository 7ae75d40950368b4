import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type Activation,
  BasicRNN,
  DenseForward,
  layers,
  sequential,
  RnnSequence,
  RnnSequenceGrad,
  rnnSequence,
  rnnSequenceComposite,
  rnnSequenceGrad,
  rnnSequenceGradComposite,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { GRADIENT_FACTOR, compareArrays, randomMask, toleranceFor, uniform } from '@basicrnn/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Tests of the fused kernels themselves, shared by the Node and both browser suites: edge shapes of the SIMD
// tiling against core's composite, dispatch counts, and leaks (tensors and wasm heap).

interface OpCase {
  batch: number;
  steps: number;
  inputSize: number;
  hidden: number;
  activation: Activation;
  goBackwards: boolean;
  mask: boolean;
  bias: boolean;
}

// Batches around the 4-row tile, hidden sizes around the 8-column panel, inputs of 1 and odd sizes.
const OP_CASES: OpCase[] = [
  { batch: 1, steps: 7, inputSize: 1, hidden: 1, activation: 'tanh', goBackwards: false, mask: false, bias: true },
  { batch: 5, steps: 9, inputSize: 3, hidden: 13, activation: 'tanh', goBackwards: true, mask: true, bias: true },
  { batch: 4, steps: 6, inputSize: 8, hidden: 8, activation: 'relu', goBackwards: false, mask: true, bias: false },
  { batch: 7, steps: 5, inputSize: 5, hidden: 17, activation: 'sigmoid', goBackwards: false, mask: false, bias: true },
  { batch: 3, steps: 4, inputSize: 6, hidden: 4, activation: 'linear', goBackwards: true, mask: false, bias: false },
  { batch: 9, steps: 3, inputSize: 2, hidden: 33, activation: 'tanh', goBackwards: false, mask: true, bias: true },
  { batch: 2, steps: 1, inputSize: 4, hidden: 6, activation: 'sigmoid', goBackwards: true, mask: true, bias: true },
  // B·T = 300 rows: the weight-gradient gemms run two depth blocks (256 + 44).
  { batch: 6, steps: 50, inputSize: 7, hidden: 20, activation: 'tanh', goBackwards: true, mask: true, bias: true },
];

function caseName(c: OpCase): string {
  return `B${c.batch} T${c.steps} I${c.inputSize} H${c.hidden} ${c.activation}${c.goBackwards ? ' goBackwards' : ''}${c.mask ? ' mask' : ''}${c.bias ? '' : ' no bias'}`;
}

function opInputs(c: OpCase) {
  const { batch, steps, inputSize, hidden } = c;
  return {
    x: tf.tensor3d(uniform(batch * steps * inputSize, 1), [batch, steps, inputSize]),
    kernel: tf.tensor2d(uniform(inputSize * hidden, 2, -0.6, 0.6), [inputSize, hidden]),
    recurrentKernel: tf.tensor2d(uniform(hidden * hidden, 3, -0.5, 0.5), [hidden, hidden]),
    ...(c.bias ? { bias: tf.tensor1d(uniform(hidden, 4, -0.3, 0.3)) } : {}),
    h0: tf.tensor2d(uniform(batch * hidden, 5, -0.5, 0.5), [batch, hidden]),
    ...(c.mask ? { mask: tf.tensor2d(randomMask(batch, steps, 6), [batch, steps]) } : {}),
  };
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tol: { atol: number; rtol: number }, what: string): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const r = compareArrays(actual.dataSync(), expected.dataSync(), tol);
  expect(r.ok, `${what}: ${r.message}`).toBe(true);
}

/** Kernel names the engine dispatches while `f` runs (a fused kernel counts once). */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(f);
  return info.kernels.map((k) => k.name);
}

function heap(): { _malloc: (n: number) => number; _free: (p: number) => void; HEAPU8: Uint8Array } {
  return (tf.backend() as BackendWasm).wasm as never;
}

/** Registers the fused-kernel tests. `label` names the environment. */
export function fusedKernelTests(label: string): void {
  describe(`fused wasm kernels: ${label}`, () => {
    beforeAll(async () => {
      await setBackend('wasm');
      setFusedKernelsEnabled(true);
    });
    afterAll(() => setFusedKernelsEnabled(true));

    it('are registered for both halves of the recurrence', () => {
      expect(tf.getKernel(RnnSequence, 'wasm')).toBeDefined();
      expect(tf.getKernel(RnnSequenceGrad, 'wasm')).toBeDefined();
    });

    const tol = toleranceFor('wasm');
    const gradTol = { atol: tol.atol * GRADIENT_FACTOR, rtol: tol.rtol * GRADIENT_FACTOR };
    for (const c of OP_CASES) {
      it(`forward and backward equal the composite: ${caseName(c)}`, () => {
        const before = tf.memory().numTensors;
        const inputs = opInputs(c);
        const attrs = { activation: c.activation, goBackwards: c.goBackwards };
        const fused = rnnSequence(inputs, attrs);
        const composite = rnnSequenceComposite(inputs, attrs);
        expectClose(fused, composite, tol, 'hidden states');

        const dy = tf.tensor3d(uniform(c.batch * c.steps * c.hidden, 7), [c.batch, c.steps, c.hidden]);
        const { bias: _bias, ...gradInputs } = inputs;
        const gradArgs = { ...gradInputs, hiddenStates: composite, dy };
        const fusedGrads = rnnSequenceGrad(gradArgs, attrs);
        const compositeGrads = rnnSequenceGradComposite(gradArgs, attrs);
        for (const name of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0'] as const) {
          expectClose(fusedGrads[name], compositeGrads[name], gradTol, name);
        }
        tf.dispose([fused, composite, dy, ...Object.values(inputs), ...Object.values(fusedGrads), ...Object.values(compositeGrads)]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('the backward op without a mask input treats every step as taken', () => {
      const c = OP_CASES[1]!;
      const { bias: _bias, mask: _mask, ...inputs } = opInputs({ ...c, mask: false });
      const attrs = { activation: c.activation, goBackwards: c.goBackwards };
      const hiddenStates = rnnSequenceComposite(inputs, attrs);
      const dy = tf.onesLike(hiddenStates);
      const withoutMask = rnnSequenceGrad({ ...inputs, hiddenStates, dy }, attrs);
      const ones = tf.ones([c.batch, c.steps]);
      const withOnes = rnnSequenceGradComposite({ ...inputs, hiddenStates, dy, mask: ones }, attrs);
      for (const name of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0'] as const) {
        expectClose(withoutMask[name], withOnes[name], gradTol, name);
      }
      tf.dispose([hiddenStates, dy, ones, ...Object.values(inputs), ...Object.values(withoutMask), ...Object.values(withOnes)]);
    });

    // Kernel contract (core's kernel_names.ts): outside a tape rnnSequence hands the kernel no h0 and no mask when
    // the caller gave none; the kernel reads zeros and ones.
    it('the forward op without h0 and mask equals zeros and ones bit for bit, and the kernel gets neither', async () => {
      for (const c of [OP_CASES[0]!, OP_CASES[1]!]) {
        const { h0, mask: _mask, ...inputs } = opInputs({ ...c, mask: false });
        const attrs = { activation: c.activation, goBackwards: c.goBackwards };
        const profile = await tf.profile(() => tf.dispose(rnnSequence(inputs, attrs)));
        expect(profile.kernels.find((k) => k.name === RnnSequence)!.inputShapes).toHaveLength(4);
        const zeros = tf.zerosLike(h0);
        const ones = tf.ones([c.batch, c.steps]);
        const absent = rnnSequence(inputs, attrs);
        const explicit = rnnSequence({ ...inputs, h0: zeros, mask: ones }, attrs);
        expect(Array.from(absent.dataSync())).toEqual(Array.from(explicit.dataSync()));
        tf.dispose([h0, zeros, ones, absent, explicit, ...Object.values(inputs)]);
      }
    });

    it('rejects a non-float32 input with a message naming it', () => {
      const c = OP_CASES[0]!;
      const inputs = opInputs(c);
      const h0 = tf.cast(inputs.h0, 'int32');
      expect(() => rnnSequence({ ...inputs, h0 }, { activation: 'tanh', goBackwards: false })).toThrow(/h0 to be float32/);
      tf.dispose([h0, ...Object.values(inputs)]);
    });

    // The fused path dispatches a constant number of kernels whatever the sequence length: the recurrence is one
    // kernel forward and one backward; the rest is the dense head, the loss and the mask of ones.
    it('model.call forward and its gradient dispatch a number of kernels independent of T', async () => {
      const counts: { forward: number; backward: number; names: string[] }[] = [];
      for (const steps of [5, 60]) {
        const model = new BasicRNN({ hiddenSize: 12, outputSize: 2, seed: 5 });
        model.build([null, steps, 3]);
        const x = tf.tensor3d(uniform(4 * steps * 3, 8), [4, steps, 3]);
        const forward = await kernelsOf(() => {
          const { output, state } = model.call(x);
          state.dispose();
          return output;
        });
        const backward = await kernelsOf(() => {
          const { value, grads } = tf.variableGrads(() => {
            const { output, state } = model.call(x);
            state.dispose();
            return tf.sum(output) as tf.Scalar;
          }, model.trainableVariables());
          return [value, ...Object.values(grads)];
        });
        expect(forward.filter((n) => n === RnnSequence)).toHaveLength(1);
        expect(backward.filter((n) => n === RnnSequence)).toHaveLength(1);
        expect(backward.filter((n) => n === RnnSequenceGrad)).toHaveLength(1);
        counts.push({ forward: forward.length, backward: backward.length, names: backward });
        tf.dispose(x);
        model.dispose();
      }
      expect(counts[0]!.forward).toBe(counts[1]!.forward);
      expect(counts[0]!.backward).toBe(counts[1]!.backward);
      expect(counts[0]!.forward).toBeLessThanOrEqual(8);
      // 29 today (13 of them Identity from variableGrads): one fused kernel each way and no per-step op.
      expect(counts[0]!.backward, counts[0]!.names.join(', ')).toBeLessThanOrEqual(40);
    });

    it('500 fused training steps leak no tensor and no wasm heap block', async () => {
      const model = new BasicRNN({ hiddenSize: 16, outputSize: 1, seed: 9 });
      model.compile({ optimizer: 'adam', learningRate: 1e-3, loss: 'meanSquaredError' });
      const x = tf.tensor3d(uniform(8 * 12 * 4, 10), [8, 12, 4]);
      const y = tf.tensor2d(uniform(8, 11), [8, 1]);
      // Warm up: the optimizer creates its slots on the first step.
      for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
      const before = tf.memory().numTensors;
      const wasm = heap();
      const heapBytes = wasm.HEAPU8.buffer.byteLength;
      // Every block tfjs or the kernels take from the allocator goes through these two entry points.
      const malloc = wasm._malloc;
      const free = wasm._free;
      // Blocks taken in the window and still held must balance blocks from before it that were freed (the
      // optimizer replaces weights and moments each step); a leaked scratch block would tip the balance by 500.
      const live = new Set<number>();
      let freedOlder = 0;
      wasm._malloc = (n: number) => {
        const p = malloc(n);
        live.add(p >>> 0);
        return p;
      };
      wasm._free = (p: number) => {
        if (!live.delete(p >>> 0)) freedOlder++;
        free(p);
      };
      try {
        for (let i = 0; i < 500; i++) await model.trainOnBatch(x, y);
      } finally {
        wasm._malloc = malloc;
        wasm._free = free;
      }
      expect(tf.memory().numTensors).toBe(before);
      expect(live.size - freedOlder).toBe(0);
      expect(wasm.HEAPU8.buffer.byteLength).toBe(heapBytes);
      tf.dispose([x, y]);
      model.dispose();
    });
  });

  // The Dense head's x·W + b as one kernel outside a tape (core's DenseForward), loops for small problems and
  // tfjs's XNNPACK kernels past DENSE_LOOP_MAX_WORK, against tfjs's matMul + add.
  describe(`fused wasm Dense forward: ${label}`, () => {
    beforeAll(async () => {
      await setBackend('wasm');
      setFusedKernelsEnabled(true);
    });
    afterAll(() => setFusedKernelsEnabled(true));

    // M·K·N of 32, 4,096 (the largest looped), 4,097 and more (XNNPACK), with and without bias.
    const cases = [
      { m: 1, k: 32, n: 1, bias: true },
      { m: 3, k: 5, n: 7, bias: false },
      { m: 16, k: 16, n: 16, bias: true },
      { m: 17, k: 241, n: 1, bias: true },
      { m: 40, k: 33, n: 9, bias: false },
    ];
    for (const c of cases) {
      it(`equals matMul + add: M${c.m} K${c.k} N${c.n}${c.bias ? '' : ' no bias'}`, async () => {
        const before = tf.memory().numTensors;
        const x = tf.tensor2d(uniform(c.m * c.k, 1), [c.m, c.k]);
        const kernel = tf.tensor2d(uniform(c.k * c.n, 2), [c.k, c.n]);
        const bias = c.bias ? tf.tensor1d(uniform(c.n, 3)) : undefined;
        const inputs: tf.NamedTensorMap = bias ? { x, kernel, bias } : { x, kernel };
        const profile = await tf.profile(() => void tf.dispose(tf.engine().runKernel(DenseForward, inputs, {}) as tf.Tensor));
        expect(profile.kernelNames).toEqual([DenseForward]);
        const fused = tf.engine().runKernel(DenseForward, inputs, {}) as tf.Tensor;
        const reference = tf.tidy(() => (bias ? tf.add(tf.matMul(x, kernel), bias) : tf.matMul(x, kernel)));
        expectClose(fused, reference, { atol: 1e-5, rtol: 1e-5 }, 'out');
        tf.dispose([x, kernel, fused, reference, ...(bias ? [bias] : [])]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('a sequential([gru, dense]) predict dispatches the final-states kernel and one Dense kernel; training keeps matMul and add', async () => {
      const model = sequential({ layers: [layers.gru({ units: 8 }), layers.dense({ units: 2, activation: 'relu' })], seed: 3 });
      model.build([null, 5, 3]);
      const x = tf.tensor3d(uniform(2 * 5 * 3, 4), [2, 5, 3]);
      const predict = await tf.profile(() => model.predict(x));
      expect(predict.kernelNames).toEqual(['BasicGruSequenceFinal', DenseForward, 'Relu']);
      const fused = model.predict(x) as tf.Tensor;
      setFusedKernelsEnabled(false);
      const composite = model.predict(x) as tf.Tensor;
      setFusedKernelsEnabled(true);
      expectClose(fused, composite, toleranceFor('wasm'), 'predict');
      const train = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(model.predict(x) as tf.Tensor) as tf.Scalar, model.trainableVariables());
        return [value, ...Object.values(grads)];
      });
      expect(train.kernelNames).not.toContain(DenseForward);
      expect(train.kernelNames).toContain('BatchMatMul');
      tf.dispose([x, fused, composite]);
      model.dispose();
    });

    it('rejects a non-float32 input or mismatched shapes with typed errors', () => {
      const x = tf.tensor2d([[1, 2]]);
      const kernel = tf.tensor2d([[1], [2], [3]]);
      const ints = tf.tensor2d([[1, 2]], [1, 2], 'int32');
      expect(() => tf.engine().runKernel(DenseForward, { x, kernel }, {})).toThrow(/expected kernel of shape \[2, 1\]/);
      expect(() => tf.engine().runKernel(DenseForward, { x: ints, kernel }, {})).toThrow(/x to be float32/);
      tf.dispose([x, kernel, ints]);
    });
  });
}
