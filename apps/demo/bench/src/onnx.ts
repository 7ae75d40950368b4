// A BasicRNN as an ONNX model, encoded by hand: a tiny protobuf writer and the few ONNX messages the graph needs.
// Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).

/** The weights of one BasicRNN in our (Keras) layout. */
export interface RnnWeights {
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  /** [I, H] row-major */
  kernel: Float32Array;
  /** [H, H] */
  recurrentKernel: Float32Array;
  /** [H] */
  bias: Float32Array;
  /** [H, O] */
  denseKernel: Float32Array;
  /** [O] */
  denseBias: Float32Array;
}

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2; // AttributeProto.AttributeType
const ATTR_STRINGS = 8;
const ATTR_INTS = 7;

/** Bytes of one protobuf message under construction: fields are appended in the order written. */
class Message {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  varint(field: number, value: number): this {
    this.push(encodeVarint((field << 3) | WIRE_VARINT));
    return this.push(encodeVarint(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.push(encodeVarint((field << 3) | WIRE_LENGTH_DELIMITED));
    this.push(encodeVarint(value.length));
    return this.push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Message): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  private push(part: Uint8Array): this {
    this.parts.push(part);
    this.length += part.length;
    return this;
  }
}

/** Base-128 varint of a non-negative integer below 2^53 (enough for every dimension and enum here). */
function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: expected a non-negative safe integer, received ${value}`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function floatTensor(name: string, dims: readonly number[], values: Float32Array): Message {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new RangeError(`tensor ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
  const t = new Message();
  for (const d of dims) t.varint(1, d); // dims
  t.varint(2, FLOAT); // data_type
  t.string(8, name); // name
  // raw_data: fixed-width little-endian floats. Copy, so a view into a larger buffer is never sent whole.
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return t.bytes(9, raw);
}

function floatValueInfo(name: string, dims: readonly number[]): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, new Message().varint(1, d)); // dim { dim_value }
  const tensorType = new Message().varint(1, FLOAT).message(2, shape); // elem_type, shape
  const type = new Message().message(1, tensorType); // TypeProto.tensor_type
  return new Message().string(1, name).message(2, type);
}

type Attribute = { name: string } & ({ int: number } | { ints: readonly number[] } | { strings: readonly string[] });

function attribute(a: Attribute): Message {
  const m = new Message().string(1, a.name);
  if ('int' in a) return m.varint(20, ATTR_INT).varint(3, a.int);
  if ('ints' in a) {
    m.varint(20, ATTR_INTS);
    for (const v of a.ints) m.varint(8, v);
    return m;
  }
  m.varint(20, ATTR_STRINGS);
  for (const s of a.strings) m.string(9, s);
  return m;
}

function node(opType: string, name: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly Attribute[] = []): Message {
  const m = new Message();
  for (const i of inputs) m.string(1, i);
  for (const o of outputs) m.string(2, o);
  m.string(3, name).string(4, opType);
  for (const a of attrs) m.message(5, attribute(a));
  return m;
}

/** Transposes a row-major [rows, cols] matrix. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** ONNX opset the model imports (RNN-14, Transpose-13, MatMul-13, Add-14, Flatten-13 are all current there). */
export const ONNX_OPSET = 17;

/**
 * Encodes `y = Dense(SimpleRNN(x))` as an ONNX ModelProto for a fixed input shape [batch, steps, inputSize]:
 * Transpose (the RNN op wants [T, B, I]: ONNX Runtime does not implement `layout = 1`), `RNN` with Tanh,
 * W = kernelᵀ [1, H, I], R = recurrentKernelᵀ [1, H, H], B = [bias, 0] [1, 2H], then MatMul + Add on `Y_h`
 * [1, B, H] and Flatten to [B, O]. Input `x`, output `y`.
 */
export function encodeBasicRnnModel(w: RnnWeights, batch: number, steps: number): Uint8Array {
  const { inputSize: I, hiddenSize: H, outputSize: O } = w;
  const rnnBias = new Float32Array(2 * H);
  rnnBias.set(w.bias, 0); // Wb; Rb stays zero (our recurrence has one bias)
  const graph = new Message();
  graph.message(1, node('Transpose', 'time_major', ['x'], ['x_tbi'], [{ name: 'perm', ints: [1, 0, 2] }]));
  graph.message(
    1,
    node('RNN', 'simple_rnn', ['x_tbi', 'W', 'R', 'B'], ['', 'Y_h'], [
      { name: 'hidden_size', int: H },
      { name: 'activations', strings: ['Tanh'] },
    ]),
  );
  graph.message(1, node('MatMul', 'dense_matmul', ['Y_h', 'dense_kernel'], ['dense_mm']));
  graph.message(1, node('Add', 'dense_bias_add', ['dense_mm', 'dense_bias'], ['dense_out']));
  graph.message(1, node('Flatten', 'to_batch_major', ['dense_out'], ['y'], [{ name: 'axis', int: 2 }]));
  graph.string(2, 'basic_rnn');
  graph.message(5, floatTensor('W', [1, H, I], transpose(w.kernel, I, H)));
  graph.message(5, floatTensor('R', [1, H, H], transpose(w.recurrentKernel, H, H)));
  graph.message(5, floatTensor('B', [1, 2 * H], rnnBias));
  graph.message(5, floatTensor('dense_kernel', [H, O], w.denseKernel));
  graph.message(5, floatTensor('dense_bias', [O], w.denseBias));
  graph.message(11, floatValueInfo('x', [batch, steps, I]));
  graph.message(12, floatValueInfo('y', [batch, O]));

  return new Message()
    .varint(1, 8) // ir_version 8 (opsets up to 18)
    .string(2, 'basicrnn-bench')
    .message(7, graph)
    .message(8, new Message().varint(2, ONNX_OPSET)) // opset_import { version } (default domain)
    .finish();
}
