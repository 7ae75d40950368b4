// A minimal protobuf writer and the ONNX messages a recurrent model needs. Field numbers follow onnx/onnx.proto
// (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto,
// OperatorSetIdProto); only what the exporter emits is here.

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LENGTH_DELIMITED = 2;

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** Bytes of one protobuf message under construction: fields are appended in the order written. */
export class Message {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  /** A varint field; negative int64 values are written as their 10-byte two's complement. */
  varint(field: number, value: number): this {
    this.push(encodeVarint((field << 3) | WIRE_VARINT));
    return this.push(encodeVarint(value));
  }

  float(field: number, value: number): this {
    this.push(encodeVarint((field << 3) | WIRE_FIXED32));
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(bytes);
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

/** Base-128 varint of a safe integer; negatives as 64-bit two's complement (protobuf int64). */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`varint: expected a safe integer, received ${value}`);
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** A float32 initializer, stored as little-endian raw_data (copied: a view never sends its whole buffer). */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Message {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new RangeError(`tensor ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
  const t = new Message();
  for (const d of dims) t.varint(1, d);
  t.varint(2, DataType.FLOAT).string(8, name);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return t.bytes(9, raw);
}

/** An int64 initializer (shapes, axes, slice bounds). */
export function int64Tensor(name: string, values: readonly number[]): Message {
  const t = new Message().varint(1, values.length).varint(2, DataType.INT64).string(8, name);
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return t.bytes(9, raw);
}

/** A dimension: a fixed size, or a symbolic name (any size, e.g. 'batch'). */
export type Dim = number | string;

/** A graph input or output: name, element type and shape (symbolic dims allowed). */
export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): Message {
  const shape = new Message();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Message().varint(1, d) : new Message().string(2, d));
  const tensorType = new Message().varint(1, elemType).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

/** An attribute of a node. */
export type Attribute = { name: string } & (
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { strings: readonly string[] }
);

function attribute(a: Attribute): Message {
  const m = new Message().string(1, a.name);
  if ('int' in a) return m.varint(20, AttributeType.INT).varint(3, a.int);
  if ('float' in a) return m.varint(20, AttributeType.FLOAT).float(2, a.float);
  if ('string' in a) return m.varint(20, AttributeType.STRING).string(4, a.string);
  if ('ints' in a) {
    m.varint(20, AttributeType.INTS);
    for (const v of a.ints) m.varint(8, v);
    return m;
  }
  if ('floats' in a) {
    m.varint(20, AttributeType.FLOATS);
    for (const v of a.floats) m.float(7, v);
    return m;
  }
  m.varint(20, AttributeType.STRINGS);
  for (const s of a.strings) m.string(9, s);
  return m;
}

/** A NodeProto. An empty input or output name means "absent" (ONNX optional slots). */
export function node(opType: string, name: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly Attribute[] = []): Message {
  const m = new Message();
  for (const i of inputs) m.string(1, i);
  for (const o of outputs) m.string(2, o);
  m.string(3, name).string(4, opType);
  for (const a of attrs) m.message(5, attribute(a));
  return m;
}

/** ONNX opset the models import: every op used here is current there (RNN/LSTM/GRU-14, Squeeze-13, Slice-13). */
export const ONNX_OPSET = 17;

/** IR version 8 carries opsets up to 18. */
export const ONNX_IR_VERSION = 8;

/** Accumulates a GraphProto: nodes in topological order, initializers, inputs and outputs, unique names. */
export class GraphBuilder {
  private readonly nodes: Message[] = [];
  private readonly initializers: Message[] = [];
  private readonly inputs: Message[] = [];
  private readonly outputs: Message[] = [];
  private readonly used = new Set<string>();

  /** A name not used yet in this graph, based on `base`. */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node with fresh output names derived from `outputs`; returns those names. */
  add(opType: string, base: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly Attribute[] = []): string[] {
    const names = outputs.map((o) => (o === '' ? '' : this.unique(`${base}/${o}`)));
    this.nodes.push(node(opType, this.unique(base), inputs, names, attrs));
    return names;
  }

  /** Adds one node with one output and returns it. */
  op(opType: string, base: string, inputs: readonly string[], attrs: readonly Attribute[] = []): string {
    return this.add(opType, base, inputs, ['out'], attrs)[0]!;
  }

  floats(base: string, dims: readonly number[], values: ArrayLike<number>): string {
    const name = this.unique(base);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  int64s(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push(int64Tensor(name, values));
    return name;
  }

  input(name: string, elemType: number, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares `from` as the graph output `name` (through an Identity node when the names differ). */
  output(name: string, from: string, elemType: number, dims: readonly Dim[]): void {
    if (from !== name) {
      this.used.add(name);
      this.nodes.push(node('Identity', this.unique(`${name}/identity`), [from], [name]));
    }
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** The ModelProto bytes. */
  model(graphName: string, producer: { name: string; version: string }, docString?: string): Uint8Array {
    const graph = new Message();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, graphName);
    for (const t of this.initializers) graph.message(5, t);
    if (docString !== undefined) graph.string(10, docString);
    for (const i of this.inputs) graph.message(11, i);
    for (const o of this.outputs) graph.message(12, o);
    return new Message()
      .varint(1, ONNX_IR_VERSION)
      .string(2, producer.name)
      .string(3, producer.version)
      .message(7, graph)
      .message(8, new Message().varint(2, ONNX_OPSET))
      .finish();
  }
}
