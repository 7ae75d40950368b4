import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { AdamUpdate, DTypeError, ShapeError, adamUpdateInputNames, type AdamUpdateAttrs } from '@basicrnn/core';
import { PackedInputs } from './packed_inputs.js';
import { ADAM_UNIFORMS, AdamUpdateProgram, type AdamOutput } from './programs/adam_update_program.js';

interface Weight {
  value: TensorInfo;
  m: TensorInfo;
  v: TensorInfo;
  gradient: TensorInfo;
}

const OUTPUTS: readonly AdamOutput[] = ['value', 'm', 'v'];

/**
 * The weights of one call: `{ value, m, v, gradient }`, or `{ value0, m0, v0, gradient0, value1, … }` (core's
 * AdamUpdate), each checked (present, float32, the shape of its value) before any program runs.
 */
function weightsOf(inputs: Record<string, TensorInfo | undefined>): Weight[] {
  const single = { value: 'value', m: 'm', v: 'v', gradient: 'gradient' };
  const weights: Weight[] = [];
  for (let i = 0; ; i++) {
    const names = inputs.value !== undefined ? (i === 0 ? single : null) : adamUpdateInputNames(i);
    if (names === null || inputs[names.value] === undefined) break;
    const value = inputs[names.value]!;
    for (const key of ['value', 'm', 'v', 'gradient'] as const) {
      const name = names[key];
      const t = inputs[name];
      if (t === undefined) throw new ShapeError(`${AdamUpdate} (webgl): input ${name} is missing`);
      if (t.dtype !== 'float32') throw new DTypeError(`${AdamUpdate} (webgl): expected ${name} to be float32, received ${t.dtype}`);
      if (t.shape.length !== value.shape.length || t.shape.some((d, j) => d !== value.shape[j])) {
        throw new ShapeError(`${AdamUpdate} (webgl): expected ${name} of shape [${value.shape.join(', ')}], received [${t.shape.join(', ')}]`);
      }
    }
    weights.push({ value, m: inputs[names.m]!, v: inputs[names.v]!, gradient: inputs[names.gradient]! });
  }
  return weights;
}

/**
 * The Adam update of one or more weights (core's `AdamUpdate`) as three small element-wise programs per weight, one
 * per output ([value', m', v'] per weight, in order), instead of tfjs's ~14 ops and their scalar uploads per weight.
 * The arithmetic is tfjs's, operation by operation (see {@link AdamUpdateProgram}).
 */
function adamUpdate(args: { inputs: Record<string, TensorInfo | undefined>; backend: MathBackendWebGL; attrs: AdamUpdateAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const weights = weightsOf(inputs);
  // Scalars as tfjs's Adam makes them: float32 tensors of β, 1 − β (computed in float64, then rounded), −lr.
  const uniforms: Record<(typeof ADAM_UNIFORMS)[number], number> = {
    adamBeta1: attrs.beta1,
    adamBeta2: attrs.beta2,
    adamOneMinusBeta1: 1 - attrs.beta1,
    adamOneMinusBeta2: 1 - attrs.beta2,
    adamC1: attrs.c1,
    adamC2: attrs.c2,
    adamEpsilon: attrs.epsilon,
    adamNegLr: -attrs.learningRate,
  };
  const values = ADAM_UNIFORMS.map((name) => [Math.fround(uniforms[name])]);
  const outputs: TensorInfo[] = [];
  try {
    for (const { value, m, v, gradient } of weights) {
      const shape = [...value.shape];
      // An unpacked input (a bias gradient from tfjs's sum) is packed once here, not once per program.
      const packed = new PackedInputs(backend);
      try {
        const [pValue, pM, pV, pGradient] = [value, m, v, gradient].map((t) => packed.prepare(t)) as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
        const sources: Record<AdamOutput, TensorInfo[]> = { value: [pValue, pM, pV, pGradient], m: [pM, pGradient], v: [pV, pGradient] };
        for (const output of OUTPUTS) outputs.push(backend.runWebGLProgram(new AdamUpdateProgram(shape, output), sources[output], 'float32', values));
      } finally {
        packed.dispose();
      }
    }
  } catch (error) {
    for (const out of outputs) backend.disposeIntermediateTensorInfo(out);
    throw error;
  }
  return outputs;
}

/** Registration of {@link adamUpdate} for the `webgl` backend. */
export const adamUpdateConfig: KernelConfig = {
  kernelName: AdamUpdate,
  backendName: 'webgl',
  kernelFunc: adamUpdate as unknown as KernelFunc,
};
