import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { AdamUpdate, type AdamUpdateAttrs } from '@basicrnn/core';
import { pointerOf, rnnModuleFor } from './rnn_module.js';
import { expectFloat32, expectShape } from './shapes.js';

interface Inputs {
  value: TensorInfo;
  m: TensorInfo;
  v: TensorInfo;
  gradient: TensorInfo;
}

/**
 * One Adam update of one weight as one SIMD pass of the fused module (core's `AdamUpdate`, assembly/rnn.ts
 * `adamUpdate`): the same float32 operations in the same order as tfjs's Adam, so the result is bit-identical to
 * tfjs's ~12 kernel calls on this backend.
 */
function adamUpdate(args: { inputs: Inputs; backend: BackendWasm; attrs: AdamUpdateAttrs }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { value, m, v, gradient } = inputs;
  expectFloat32(AdamUpdate, { value, m, v, gradient });
  for (const [name, t] of Object.entries({ m, v, gradient })) expectShape(AdamUpdate, name, t, value.shape);
  const f = Math.fround;
  const b1 = f(attrs.beta1);
  const b2 = f(attrs.beta2);
  const k1 = f(1 - attrs.beta1);
  const k2 = f(1 - attrs.beta2);
  const c1 = f(attrs.c1);
  const c2 = f(attrs.c2);
  const eps = f(attrs.epsilon);
  const step = f(-attrs.learningRate);
  const outValue = backend.makeOutput(value.shape, 'float32');
  const outM = backend.makeOutput(value.shape, 'float32');
  const outV = backend.makeOutput(value.shape, 'float32');
  const n = value.shape.reduce((a, d) => a * d, 1);
  if (n > 0) {
    rnnModuleFor(backend).adamUpdate(
      pointerOf(backend, value), pointerOf(backend, m), pointerOf(backend, v), pointerOf(backend, gradient),
      pointerOf(backend, outValue), pointerOf(backend, outM), pointerOf(backend, outV), n,
      b1, b2, k1, k2, c1, c2, eps, step,
    );
  }
  return [outValue, outM, outV];
}

/** Registration of {@link adamUpdate} for the `wasm` backend. */
export const adamUpdateConfig: KernelConfig = {
  kernelName: AdamUpdate,
  backendName: 'wasm',
  kernelFunc: adamUpdate as unknown as KernelFunc,
};
