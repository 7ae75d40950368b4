export { toOnnx, encodeModel } from './export.js';
export { basicRnnSpec, sequentialSpec } from './models.js';
export type { DenseLayerSpec, EmbeddingLayerSpec, LayerSpec, ModelSpec, ToOnnxOptions } from './export.js';
export { OnnxExportError } from './errors.js';
export { emitRecurrent, kerasToOnnxMatrix, reverseTime } from './recurrent.js';
export type { MergeMode, OnnxCell, RecurrentLayerSpec, RecurrentOutputs } from './recurrent.js';
export { GraphBuilder, Message, ONNX_IR_VERSION, ONNX_OPSET, DataType, encodeVarint, floatTensor, int64Tensor, node, valueInfo } from './proto.js';
export type { Attribute, Dim } from './proto.js';
