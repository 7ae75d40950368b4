import * as tf from '@tensorflow/tfjs-core';
import {
  type Activation,
  rnnSequence,
  rnnSequenceComposite,
  rnnSequenceGrad,
  rnnSequenceGradComposite,
  setBackend,
  setFusedKernelsEnabled,
} from '@basicrnn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import '../index.js';
import { programsRunBy } from '../test/programs_run_by.js';
import { readsRowMajor, setDirectTexelFetch } from './texel_layout.js';

interface Case {
  batch: number;
  steps: number;
  input: number;
  hidden: number;
  activation: Activation;
  goBackwards: boolean;
  bias: boolean;
  mask: boolean;
}

const CASES: Case[] = [
  { batch: 1, steps: 7, input: 3, hidden: 5, activation: 'sigmoid', goBackwards: true, bias: true, mask: true },
  { batch: 4, steps: 1, input: 1, hidden: 1, activation: 'relu', goBackwards: false, bias: false, mask: true },
  { batch: 5, steps: 6, input: 5, hidden: 8, activation: 'linear', goBackwards: true, bias: false, mask: false },
  // Long enough for a chunk mid-sequence (after 12 pending steps forward, 11 backward with a mask), a step that
  // starts from a chunk, and a gather of two chunks.
  { batch: 3, steps: 14, input: 2, hidden: 5, activation: 'tanh', goBackwards: true, bias: true, mask: true },
  // 16 texture units: 18 forward chunks of 13 steps, 22 backward chunks of 11, so chunks merge in two levels;
  // B·T = 1,150 rows: the weight gradients read dz, x and h_{s-1} transposed (SequenceOperandTransposeProgram).
  { batch: 5, steps: 230, input: 3, hidden: 3, activation: 'tanh', goBackwards: false, bias: true, mask: true },
  { batch: 5, steps: 230, input: 3, hidden: 3, activation: 'relu', goBackwards: true, bias: false, mask: false },
  { batch: 5, steps: 230, input: 2, hidden: 4, activation: 'tanh', goBackwards: true, bias: true, mask: true },
];

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.mul(tf.randomUniform(shape, -1, 1, 'float32', seed), scale);
}

function inputsFor(c: Case, seed = 1) {
  return tf.tidy(() => {
  const mask = c.mask
    ? tf.cast(tf.greater(tf.randomUniform([c.batch, c.steps], 0, 1, 'float32', seed + 5), 0.3), 'float32')
    : tf.ones([c.batch, c.steps]);
  return {
    x: random([c.batch, c.steps, c.input], seed),
    kernel: random([c.input, c.hidden], seed + 1, 0.6),
    recurrentKernel: random([c.hidden, c.hidden], seed + 2, 0.5),
    ...(c.bias ? { bias: random([c.hidden], seed + 3, 0.3) } : {}),
    h0: random([c.batch, c.hidden], seed + 4, 0.5),
    mask,
  };
  });
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tol = 1e-4): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / (1 + Math.abs(e[i]!)));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

describe('fused webgl recurrence kernels', () => {
  beforeAll(async () => {
    await setBackend('webgl');
  });
  afterAll(() => setFusedKernelsEnabled(true));

  const runs: { units?: number; samplersOnly?: boolean; c: Case }[] = [
    ...CASES.map((c) => ({ c })),
    // Wider shapes: the steps' own x·W over several loop iterations, odd I, H, B and T.
    { c: { batch: 7, steps: 9, input: 33, hidden: 67, activation: 'tanh', goBackwards: true, bias: true, mask: true } },
    { c: { batch: 64, steps: 6, input: 32, hidden: 256, activation: 'tanh', goBackwards: false, bias: true, mask: false } },
    // The path without the steps' input products (WebGL1, or x laid out another way): a projection program first.
    ...[CASES[0]!, CASES[3]!, { batch: 7, steps: 9, input: 33, hidden: 67, activation: 'relu', goBackwards: false, bias: false, mask: true } as Case].map(
      (c) => ({ samplersOnly: true, c }),
    ),
    // With 4 texture units a chunk is 2 steps and the gather merges 4 pieces at a time: three levels, final
    // merges of leftover levels and pieces at odd rows, on short sequences.
    ...[7, 40, 41].map((steps) => ({
      units: 4,
      c: { batch: 3, steps, input: 2, hidden: 3, activation: 'tanh', goBackwards: steps === 41, bias: true, mask: steps !== 7 } as Case,
    })),
  ];
  for (const { units, samplersOnly, c } of runs) {
    const label = `${samplersOnly ? 'projection program: ' : ''}${units === undefined ? '' : `${units} texture units: `}B${c.batch} T${c.steps} I${c.input} H${c.hidden} ${c.activation}${c.goBackwards ? ' goBackwards' : ''}${c.bias ? '' : ' no bias'}${c.mask ? ' mask' : ''}`;
    it(`forward and backward match the composite: ${label}`, async () => {
      setFusedKernelsEnabled(true);
      const units0 = tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER');
      if (units !== undefined) tf.env().set('WEBGL_MAX_TEXTURES_IN_SHADER', units);
      if (samplersOnly) setDirectTexelFetch(false);
      try {
        const before = tf.memory().numTensors;
        const inputs = inputsFor(c);
        const attrs = { activation: c.activation, goBackwards: c.goBackwards };
        const { result: fused, programs } = await programsRunBy(() => rnnSequence(inputs, attrs));
        // The path under test ran: steps with their own x·W on WebGL2, else a projection program first.
        expect(programs.filter((name) => name === 'InputProjectionProgram')).toHaveLength(samplersOnly ? 1 : 0);
        const reference = rnnSequenceComposite(inputs, attrs);
        expectClose(fused, reference, 'hidden states');
        const dy = tf.tidy(() => random([c.batch, c.steps, c.hidden], 9));
        const gradInputs = { ...inputs, hiddenStates: reference, dy };
        const masks = c.mask ? [true] : [true, false];
        for (const withMask of masks) {
          const { mask, ...rest } = gradInputs;
          const gi = withMask ? gradInputs : rest;
          const got = rnnSequenceGrad(gi, attrs);
          const want = rnnSequenceGradComposite(gi, attrs);
          for (const name of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0'] as const) {
            expectClose(got[name], want[name], `${name}${withMask ? '' : ' (no mask input)'}`);
          }
          tf.dispose([...Object.values(got), ...Object.values(want)]);
        }
        tf.dispose([fused, reference, dy, ...Object.values(inputs)]);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        tf.env().set('WEBGL_MAX_TEXTURES_IN_SHADER', units0);
        setDirectTexelFetch(true);
      }
    });
  }

  it('x sliced from a larger tensor (a texture shared at an offset) is never read at computed coordinates', async () => {
    setFusedKernelsEnabled(true);
    const c: Case = { batch: 3, steps: 6, input: 4, hidden: 6, activation: 'tanh', goBackwards: false, bias: true, mask: true };
    const inputs = inputsFor(c, 4);
    const backend = tf.backend() as MathBackendWebGL;
    // WEBGL_PACK_BINARY_OPERATIONS caches WEBGL_PACK's value once read: set it too.
    const flagNames = ['WEBGL_PACK', 'WEBGL_PACK_BINARY_OPERATIONS', 'WEBGL_CPU_FORWARD'];
    const flags = flagNames.map((name) => tf.env().getBool(name));
    let wide: tf.Tensor;
    let x: tf.Tensor;
    try {
      // tfjs slices an unpacked GPU tensor along the first axis without a copy: rows 2… of wide's texture.
      for (const name of flagNames) tf.env().set(name, false);
      wide = tf.add(random([c.batch + 2, c.steps, c.input], 11), 0);
      x = tf.slice(wide, [2, 0, 0], [c.batch, c.steps, c.input]);
    } finally {
      flagNames.forEach((name, i) => tf.env().set(name, flags[i]!));
    }
    expect(backend.texData.get(x.dataId).slice?.flatOffset).toBeGreaterThan(0);
    expect(readsRowMajor(backend, x)).toBe(false);
    const attrs = { activation: c.activation, goBackwards: c.goBackwards };
    const fused = rnnSequence({ ...inputs, x }, attrs);
    const reference = rnnSequenceComposite({ ...inputs, x: tf.add(x, 0) }, attrs);
    expectClose(fused, reference, 'hidden states');
    tf.dispose([fused, reference, x, wide, ...Object.values(inputs)]);
  });

  it('500 fused forward + backward passes leave no tensor and no backend data behind', () => {
    setFusedKernelsEnabled(true);
    const c: Case = { batch: 3, steps: 5, input: 2, hidden: 3, activation: 'tanh', goBackwards: true, bias: true, mask: true };
    const inputs = inputsFor(c, 3);
    const backend = tf.backend() as MathBackendWebGL;
    const step = () =>
      tf.tidy(() => {
        // Through the engine and core's gradient, the way training reaches the kernels.
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(rnnSequence({ ...inputs, x: variables.x }, attrs))) as tf.Scalar, [variables.x]);
        return [value, ...Object.values(grads)];
      });
    const attrs = { activation: c.activation, goBackwards: c.goBackwards };
    const variables = { x: tf.variable(inputs.x) };
    tf.dispose(step());
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    for (let i = 0; i < 500; i++) tf.dispose(step());
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    tf.dispose([variables.x, ...Object.values(inputs)]);
  });
});
