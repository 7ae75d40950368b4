import * as tf from '@tensorflow/tfjs-core';
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/**
 * How many per-step tensors a flush program may gather, given how many other textures it samples: WebGL2
 * guarantees 16 texture units per fragment shader and tfjs caps what it uses at WEBGL_MAX_TEXTURES_IN_SHADER.
 */
export function maxPendingSteps(otherInputs: number): number {
  const units = tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER');
  return Math.max(1, units - otherInputs);
}

/**
 * Program objects by variant for one kernel call: building a program's GLSL takes longer than running a small
 * one, and tfjs finds the compiled binary by the program's source, so reuse the object as well.
 */
export class ProgramCache<V extends object, P extends GPGPUProgram> {
  private readonly programs = new Map<string, P>();

  constructor(private readonly make: (variant: V) => P) {}

  get(variant: V): P {
    const key = JSON.stringify(variant);
    let program = this.programs.get(key);
    if (program === undefined) {
      program = this.make(variant);
      this.programs.set(key, program);
    }
    return program;
  }
}
