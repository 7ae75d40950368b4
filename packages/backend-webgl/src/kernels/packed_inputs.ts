import type { TensorInfo } from '@tensorflow/tfjs-core';
import { webgl_util, type MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { PackedCopyProgram } from './programs/packed_copy_program.js';

/**
 * Inputs converted once to the packed layout the recurrence programs read, and the temporaries to dispose.
 *
 * `runWebGLProgram` converts an input whose texture is not packed (or packed for another shape, after a
 * reshape) before EVERY program that reads it. The step programs read U, the mask and the states T times, so
 * without this each step could cost two or three programs instead of one.
 */
export class PackedInputs {
  private readonly temporaries: TensorInfo[] = [];

  constructor(private readonly backend: MathBackendWebGL) {}

  /** The tensor itself when it is already usable, else a packed copy owned by this object. */
  prepare(info: TensorInfo): TensorInfo {
    const data = this.backend.getDataInfo(info.dataId);
    // Still on the CPU: the first packed program uploads it packed, once, and the tensor keeps that texture.
    if (data.texture == null) return info;
    let prepared: TensorInfo;
    if (!data.isPacked) {
      prepared = this.backend.packTensor(info);
    } else if (!webgl_util.isReshapeFree(data.shape, info.shape)) {
      // runWebGLProgram reshapes the packed texture for this one call; copying keeps the result.
      prepared = this.backend.runWebGLProgram(new PackedCopyProgram(info.shape), [info], info.dtype, undefined, true);
    } else {
      return info;
    }
    this.temporaries.push(prepared);
    return prepared;
  }

  /** Disposes the packed copies made by {@link prepare}. */
  dispose(): void {
    for (const info of this.temporaries) this.backend.disposeIntermediateTensorInfo(info);
    this.temporaries.length = 0;
  }
}

/**
 * Whether `info` is still on the CPU (never uploaded) and every element equals `value`: a mask of ones or a zero
 * initial state that core made for the call. A program can then read the constant instead of a texture, and the
 * upload (a texture write and an encode program) is skipped. A tensor already on the GPU answers false (reading
 * it back would cost more than using it).
 */
export function isConstantOnCpu(backend: MathBackendWebGL, info: TensorInfo, value: number): boolean {
  const data = backend.getDataInfo(info.dataId);
  if (data.texture != null || data.values == null || info.dtype !== 'float32') return false;
  const values = data.values as Float32Array;
  for (let i = 0; i < values.length; i++) if (values[i] !== value) return false;
  return true;
}
