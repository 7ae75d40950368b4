import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { DTypeError, FiniteProbe } from '@basicrnn/core';
import { FiniteProbeProgram } from './programs/finite_probe_program.js';

/** Inputs one probe program samples (WebGL2 guarantees 16 texture units per fragment shader). */
const INPUTS_PER_PROGRAM = 15;

/**
 * Core's `FiniteProbe` (is every gradient finite?) as ONE program for up to 15 inputs, instead of tfjs's
 * multiply, scalar upload, reshape and two or three reduction programs per gradient and their addN. More inputs:
 * one program per 15, then the same program over their scalar results.
 */
function finiteProbe(args: { inputs: Record<string, TensorInfo>; backend: MathBackendWebGL }): TensorInfo {
  const { backend } = args;
  const inputs = Object.values(args.inputs);
  for (const [name, t] of Object.entries(args.inputs)) {
    if (t.dtype !== 'float32') throw new DTypeError(`${FiniteProbe} (webgl): expected ${name} to be float32, received ${t.dtype}`);
  }
  const zero = [[0]];
  let level = inputs;
  const owned: TensorInfo[] = [];
  try {
    do {
      const next: TensorInfo[] = [];
      for (let start = 0; start < Math.max(level.length, 1); start += INPUTS_PER_PROGRAM) {
        const group = level.slice(start, start + INPUTS_PER_PROGRAM);
        const out = backend.runWebGLProgram(new FiniteProbeProgram(group.map((t) => t.shape)), group, 'float32', zero);
        next.push(out);
        owned.push(out);
      }
      level = next;
    } while (level.length > 1);
    owned.splice(owned.indexOf(level[0]!), 1);
    return level[0]!;
  } finally {
    for (const info of owned) backend.disposeIntermediateTensorInfo(info);
  }
}

/** Registration of {@link finiteProbe} for the `webgl` backend. */
export const finiteProbeConfig: KernelConfig = {
  kernelName: FiniteProbe,
  backendName: 'webgl',
  kernelFunc: finiteProbe as unknown as KernelFunc,
};
