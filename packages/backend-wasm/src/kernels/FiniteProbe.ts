import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { FiniteProbe, finiteProbeInputName } from '@basicrnn/core';
import { pointerOf, rnnModuleFor } from './rnn_module.js';
import { expectFloat32 } from './shapes.js';

/**
 * core's `FiniteProbe` on wasm: one SIMD pass of the fused module over each input (assembly/rnn.ts
 * `finiteProbe`), in one kernel call for all of a training step's gradients. Output: a float32 scalar, 0 when
 * every element is finite, NaN otherwise.
 */
function finiteProbe(args: { inputs: Record<string, TensorInfo | undefined>; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const tensors: TensorInfo[] = [];
  for (let i = 0; inputs[finiteProbeInputName(i)] !== undefined; i++) tensors.push(inputs[finiteProbeInputName(i)]!);
  expectFloat32(FiniteProbe, Object.fromEntries(tensors.map((t, i) => [finiteProbeInputName(i), t])));
  const rnn = rnnModuleFor(backend);
  let sum = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (n > 0) sum += rnn.finiteProbe(pointerOf(backend, t), n);
  }
  const out = backend.makeOutput([], 'float32');
  backend.typedArrayFromHeap(out)[0] = Number.isNaN(sum) ? NaN : 0;
  return out;
}

/** Registration of {@link finiteProbe} for the `wasm` backend. */
export const finiteProbeConfig: KernelConfig = {
  kernelName: FiniteProbe,
  backendName: 'wasm',
  kernelFunc: finiteProbe as unknown as KernelFunc,
};
