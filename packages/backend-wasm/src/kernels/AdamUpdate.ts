import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { AdamUpdate, type AdamUpdateAttrs, adamUpdateInputNames } from '@basicrnn/core';
import { pointerOf, rnnModuleFor } from './rnn_module.js';
import { expectFloat32, expectShape } from './shapes.js';

/** One weight's inputs: `{ value, m, v, gradient }`, or `{ value0, m0, v0, gradient0, value1, … }` (core's AdamUpdate). */
function weightsOf(inputs: Record<string, TensorInfo | undefined>): { value: TensorInfo; m: TensorInfo; v: TensorInfo; gradient: TensorInfo }[] {
  const single = { value: 'value', m: 'm', v: 'v', gradient: 'gradient' };
  const weights = [];
  for (let i = 0; ; i++) {
    const names = inputs.value !== undefined ? (i === 0 ? single : null) : adamUpdateInputNames(i);
    if (names === null || inputs[names.value] === undefined) break;
    const [value, m, v, gradient] = [inputs[names.value]!, inputs[names.m], inputs[names.v], inputs[names.gradient]];
    const given = { [names.m]: m, [names.v]: v, [names.gradient]: gradient };
    for (const [name, t] of Object.entries(given)) {
      if (t === undefined) throw new Error(`${AdamUpdate} (wasm): input ${name} is missing`);
    }
    expectFloat32(AdamUpdate, { [names.value]: value, ...(given as Record<string, TensorInfo>) });
    for (const [name, t] of Object.entries(given)) expectShape(AdamUpdate, name, t!, value.shape);
    weights.push({ value, m: m!, v: v!, gradient: gradient! });
  }
  return weights;
}

/**
 * The Adam update of every weight of one step in one kernel call, one SIMD pass of the fused module per weight
 * (core's `AdamUpdate`, assembly/rnn.ts `adamUpdate`): the same float32 operations in the same order as tfjs's
 * Adam, so the result is bit-identical to tfjs's ~12 kernel calls per weight on this backend. All inputs are
 * checked before any output is made.
 */
function adamUpdate(args: { inputs: Record<string, TensorInfo | undefined>; backend: BackendWasm; attrs: AdamUpdateAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const weights = weightsOf(inputs);
  const f = Math.fround;
  const b1 = f(attrs.beta1);
  const b2 = f(attrs.beta2);
  const k1 = f(1 - attrs.beta1);
  const k2 = f(1 - attrs.beta2);
  const c1 = f(attrs.c1);
  const c2 = f(attrs.c2);
  const eps = f(attrs.epsilon);
  const step = f(-attrs.learningRate);
  const rnn = rnnModuleFor(backend);
  const outputs: TensorInfo[] = [];
  for (const { value, m, v, gradient } of weights) {
    const outValue = backend.makeOutput(value.shape, 'float32');
    const outM = backend.makeOutput(value.shape, 'float32');
    const outV = backend.makeOutput(value.shape, 'float32');
    const n = value.shape.reduce((a, d) => a * d, 1);
    if (n > 0) {
      rnn.adamUpdate(
        pointerOf(backend, value), pointerOf(backend, m), pointerOf(backend, v), pointerOf(backend, gradient),
        pointerOf(backend, outValue), pointerOf(backend, outM), pointerOf(backend, outV), n,
        b1, b2, k1, k2, c1, c2, eps, step,
      );
    }
    outputs.push(outValue, outM, outV);
  }
  return outputs;
}

/** Registration of {@link adamUpdate} for the `wasm` backend. */
export const adamUpdateConfig: KernelConfig = {
  kernelName: AdamUpdate,
  backendName: 'wasm',
  kernelFunc: adamUpdate as unknown as KernelFunc,
};
