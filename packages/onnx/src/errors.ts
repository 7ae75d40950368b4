import { BasicRNNError } from '@basicrnn/core';

/**
 * The model cannot be written as ONNX with the same results: a layer, option or activation ONNX has no
 * equivalent for, or a mask whose ONNX meaning (`sequence_lens`) differs from Keras's. The message names the
 * layer and the option.
 */
export class OnnxExportError extends BasicRNNError {
  override name = 'OnnxExportError';
}
