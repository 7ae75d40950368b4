import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';

/**
 * Runs `fn` and names, in order, the shader programs the active webgl backend ran meanwhile (every
 * `runWebGLProgram`: uploads and layout conversions included). For the program-count tests.
 */
export async function programsRunBy<T>(fn: () => T | Promise<T>): Promise<{ result: T; programs: string[] }> {
  const backend = tf.backend() as MathBackendWebGL;
  const original = backend.runWebGLProgram;
  const programs: string[] = [];
  backend.runWebGLProgram = function (this: MathBackendWebGL, program, ...rest) {
    programs.push(program.constructor.name);
    return original.call(this, program, ...rest);
  };
  try {
    return { result: await fn(), programs };
  } finally {
    backend.runWebGLProgram = original;
  }
}
