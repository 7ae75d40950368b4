import type { TensorInfo } from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError } from '../errors.js';

/** Sizes read off a gated sequence kernel's inputs. */
export interface GatedSequenceSizes {
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  /** gate blocks: 4 (LSTM), 3 (GRU) */
  gates: number;
}

/**
 * The one validator of the gated sequence kernels' inputs (LstmSequence, GruSequence and their Grad kernels; see
 * GatedSequenceInputs in kernel_names.ts), shared by every backend's kernel so they refuse the same things with
 * the same words. A forward kernel (no `hiddenStates` input) may lack `h0`, `c0` and `mask` (zeros, all ones); a
 * backward kernel needs every slot, which the op always fills, so a failure here means a caller bypassed
 * `recurrence()`.
 */
export function checkGatedSequenceInputs(
  kernelName: string,
  backend: string,
  inputs: Record<string, TensorInfo | undefined>,
  gates: number,
  resetAfter: boolean,
): GatedSequenceSizes {
  const need = (name: string): TensorInfo => {
    const t = inputs[name];
    if (t === undefined) throw new ShapeError(`${kernelName} (${backend}): input ${name} is missing`);
    if (t.dtype !== 'float32') throw new DTypeError(`${kernelName} (${backend}): expected ${name} to be float32, received ${t.dtype}`);
    return t;
  };
  const x = need('x');
  const recurrentKernel = need('recurrentKernel');
  if (x.shape.length !== 3 || recurrentKernel.shape.length !== 2) {
    throw new ShapeError(`${kernelName} (${backend}): expected x [B, T, I] and recurrentKernel [H, ${gates}H], received [${x.shape.join(', ')}] and [${recurrentKernel.shape.join(', ')}]`);
  }
  const [batch, steps, inputSize] = x.shape as [number, number, number];
  const units = recurrentKernel.shape[0]!;
  const expected: Record<string, number[]> = {
    kernel: [inputSize, gates * units],
    recurrentKernel: [units, gates * units],
    bias: resetAfter ? [2, gates * units] : [gates * units],
    h0: [batch, units],
    mask: [batch, steps],
  };
  if (gates === 4) expected.c0 = [batch, units];
  for (const name of ['hiddenStates', 'cellStates', 'dh', 'dc']) if (inputs[name] !== undefined) expected[name] = [batch, steps, units];
  const optional = inputs.hiddenStates === undefined ? ['h0', 'c0', 'mask'] : [];
  for (const [name, shape] of Object.entries(expected)) {
    if (inputs[name] === undefined && optional.includes(name)) continue;
    const t = need(name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${kernelName} (${backend}): expected ${name} of shape [${shape.join(', ')}], received [${t.shape.join(', ')}]`);
    }
  }
  return { batch, steps, inputSize, units, gates };
}
