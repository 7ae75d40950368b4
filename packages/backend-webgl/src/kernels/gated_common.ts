import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { type GatedSequenceGradAttrs, checkGatedSequenceInputs } from '@basicrnn/core';
import type { PackedInputs } from './packed_inputs.js';
import { type GatedShape, RemapProgram, blockRemapGlsl, paddedWidth } from './programs/gated_programs.js';

/** The sizes, attributes and prepared (packed) inputs of a gated kernel call. */
export interface GatedCall {
  shape: GatedShape;
  inputSize: number;
  hiddenStateGrads: boolean;
}

/**
 * Checks a gated kernel's inputs with core's one validator (the same refusals, in the same words, as every
 * backend) and reads its attributes.
 */
export function gatedCall(kernelName: string, cell: 'lstm' | 'gru', inputs: Record<string, TensorInfo | undefined>, attrs: NamedAttrMap | undefined): GatedCall {
  const a = (attrs ?? {}) as unknown as GatedSequenceGradAttrs;
  const resetAfter = cell === 'gru' && a.resetAfter === true;
  const sizes = checkGatedSequenceInputs(kernelName, 'webgl', inputs, cell === 'lstm' ? 4 : 3, resetAfter);
  return {
    shape: {
      cell,
      resetAfter,
      batch: sizes.batch,
      steps: sizes.steps,
      hidden: sizes.units,
      activation: a.activation,
      recurrentActivation: a.recurrentActivation,
      goBackwards: a.goBackwards === true,
    },
    inputSize: sizes.inputSize,
    hiddenStateGrads: a.hiddenStateGrads === true,
  };
}

/** The weights in the padded gate layout ({@link paddedWidth}), and the programs' bias inputs. */
export interface PaddedWeights {
  /** W [I, G·Hp] */
  kernel: TensorInfo;
  /** U [H, G·Hp] */
  recurrent: TensorInfo;
  /** b [G·Hp], the input bias (GRU resetAfter: row 0) */
  bias: TensorInfo;
  /** GRU resetAfter: b' [3·Hp], the recurrent bias (row 1) */
  recurrentBias?: TensorInfo;
  /** Temporaries to dispose. */
  owned: TensorInfo[];
}

/**
 * Pads the gate blocks of W, U and b to an even width (only when H is odd: otherwise they already are), and
 * splits GRU's [2, 3H] bias into its rows: at most four small programs per call.
 */
export function padWeights(
  backend: MathBackendWebGL,
  packed: PackedInputs,
  shape: GatedShape,
  gates: number,
  inputs: { kernel: TensorInfo; recurrentKernel: TensorInfo; bias: TensorInfo },
): PaddedWeights {
  const { hidden } = shape;
  const hp = paddedWidth(hidden);
  const owned: TensorInfo[] = [];
  const remap = (source: TensorInfo, outputShape: number[], glsl: string): TensorInfo => {
    const out = backend.runWebGLProgram(new RemapProgram(outputShape, ['source'], glsl), [source], 'float32', undefined, true);
    owned.push(out);
    return out;
  };
  const block = { fromWidth: hidden, toWidth: hp, valid: hidden, offset: 0 };
  const pad = hp !== hidden;
  const kernel = packed.prepare(inputs.kernel);
  const recurrent = packed.prepare(inputs.recurrentKernel);
  const bias = packed.prepare(inputs.bias);
  const result: PaddedWeights = {
    kernel: pad ? remap(kernel, [kernel.shape[0]!, gates * hp], blockRemapGlsl({ lead: 'r', ...block })) : kernel,
    recurrent: pad ? remap(recurrent, [hidden, gates * hp], blockRemapGlsl({ lead: 'r', ...block })) : recurrent,
    bias,
    owned,
  };
  if (shape.cell === 'gru' && shape.resetAfter) {
    result.bias = remap(bias, [gates * hp], blockRemapGlsl({ lead: '', ...block, row: 0 }));
    result.recurrentBias = remap(bias, [gates * hp], blockRemapGlsl({ lead: '', ...block, row: 1 }));
  } else if (pad) {
    result.bias = remap(bias, [gates * hp], blockRemapGlsl({ lead: '', ...block }));
  }
  return result;
}

/**
 * Columns `offset … offset + H - 1` of a [B, W] or [B, T, W] tensor as [B, H] / [B, T, H]: h or c out of the
 * LSTM state layout. A kernel output: follows WEBGL_LAZILY_UNPACK.
 */
export function takeColumns(backend: MathBackendWebGL, source: TensorInfo, hidden: number, offset: number): TensorInfo {
  const rank = source.shape.length;
  const outputShape = [...source.shape.slice(0, -1), hidden];
  const width = source.shape[rank - 1]!;
  const glsl = blockRemapGlsl({ lead: rank === 3 ? 'b, r' : 'r', fromWidth: width, toWidth: hidden, valid: hidden, offset });
  return backend.runWebGLProgram(new RemapProgram(outputShape, ['source'], glsl), [source], 'float32');
}
