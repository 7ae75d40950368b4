import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { DenseForward, ShapeError } from '@basicrnn/core';
import { expectFloat32, expectShape } from './shapes.js';

/**
 * Problems up to this many multiply-adds (M·K·N) are computed here, in plain loops over views of the heap; larger
 * ones go to tfjs's BatchMatMul and Add kernels (XNNPACK). At B1·H32 a Dense head's matMul and add cost ~4.5 µs in
 * Node, nearly all of it fixed per-call cost of the two XNNPACK calls, against ~0.03 µs of arithmetic; a loop at
 * ~1 ns per multiply-add matches that fixed cost around 4096.
 */
export const DENSE_LOOP_MAX_WORK = 4096;

/**
 * Core's {@link DenseForward} op on wasm: out [M, N] = x [M, K] · kernel [K, N] (+ bias [N]), float64 sums rounded
 * once to float32. One dispatch where the layer would otherwise make two (matMul, add).
 */
function denseForward(args: { inputs: Record<string, TensorInfo | undefined>; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const { x, kernel, bias } = inputs;
  if (x === undefined || kernel === undefined) throw new ShapeError(`${DenseForward} (wasm): inputs x and kernel are required`);
  expectFloat32(DenseForward, { x, kernel, bias });
  if (x.shape.length !== 2) throw new ShapeError(`${DenseForward} (wasm): expected x of rank 2, received [${x.shape.join(', ')}]`);
  const [M, K] = x.shape as [number, number];
  const N = kernel.shape[1] ?? 0;
  expectShape(DenseForward, 'kernel', kernel, [K, N]);
  if (bias !== undefined) expectShape(DenseForward, 'bias', bias, [N]);
  if (M * K * N > DENSE_LOOP_MAX_WORK) return viaTfjsKernels(backend, x, kernel, bias);
  const out = backend.makeOutput([M, N], 'float32');
  // Views after makeOutput, which may grow (and so detach) the heap.
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  const a = backend.typedArrayFromHeap(x) as Float32Array;
  const w = backend.typedArrayFromHeap(kernel) as Float32Array;
  const b = bias === undefined ? null : (backend.typedArrayFromHeap(bias) as Float32Array);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = b === null ? 0 : b[n]!;
      for (let k = 0; k < K; k++) sum += a[m * K + k]! * w[k * N + n]!;
      o[m * N + n] = sum;
    }
  }
  return out;
}

/** x·kernel (+ bias) through tfjs's own wasm kernels, composed at the kernel level (one dispatch still). */
function viaTfjsKernels(backend: BackendWasm, x: TensorInfo, kernel: TensorInfo, bias: TensorInfo | undefined): TensorInfo {
  const run = (name: string, inputs: Record<string, TensorInfo>, attrs: tf.NamedAttrMap = {}) =>
    tf.getKernel(name, 'wasm')!.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
  const product = run(tf.BatchMatMul, { a: x, b: kernel }, { transposeA: false, transposeB: false });
  if (bias === undefined) return product;
  try {
    return run(tf.Add, { a: product, b: bias });
  } finally {
    backend.disposeData(product.dataId);
  }
}

/** Registers {@link denseForward} as the wasm kernel of core's `DenseForward` op (see register.ts). */
export const denseForwardConfig: KernelConfig = {
  kernelName: DenseForward,
  backendName: 'wasm',
  kernelFunc: denseForward as unknown as KernelFunc,
};
