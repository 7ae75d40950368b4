import type { TensorInfo } from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError } from '@basicrnn/core';

/** Throws unless every tensor is float32: the module reads raw float32 memory. */
export function expectFloat32(kernel: string, tensors: Record<string, TensorInfo | undefined>): void {
  for (const [name, tensor] of Object.entries(tensors)) {
    if (tensor !== undefined && tensor.dtype !== 'float32') {
      throw new DTypeError(`${kernel} (wasm): expected ${name} to be float32, received ${tensor.dtype}`);
    }
  }
}

/** Throws unless `tensor` has exactly `shape`. */
export function expectShape(kernel: string, name: string, tensor: TensorInfo, shape: readonly number[]): void {
  if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${kernel} (wasm): expected ${name} of shape [${shape.join(', ')}], received [${tensor.shape.join(', ')}]`);
  }
}
