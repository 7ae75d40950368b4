import { VizShapeError, VizValueError, describeValue, formatShape } from './errors.js';

/**
 * A tfjs tensor, duck-typed: anything with a `shape` and `dataSync()` or `arraySync()`. `@basicrnn/viz` never
 * imports tfjs, so tensors from any backend (cpu, wasm, webgl) work and no backend is ever pulled in or selected.
 * The caller keeps ownership: viz reads the values and never disposes the tensor.
 */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype?: string;
  readonly isDisposed?: boolean;
  dataSync?(): ArrayLike<number>;
  arraySync?(): unknown;
}

/** A flat typed array (or number array) with its shape, row-major: `{ shape: [2, 3], data: Float32Array(6) }`. */
export interface ShapedArray {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** A nested array of numbers, `null` marking a missing value (drawn as a gap). Rows may be typed arrays. */
export type NestedArray = ReadonlyArray<number | null | NestedArray | ArrayLike<number>>;

/** Anything viz accepts as numeric data: a tensor, a shaped flat array, a nested array, or a flat typed array. */
export type ArrayInput = TensorLike | ShapedArray | NestedArray | ArrayLike<number>;

/** Numeric data normalised to float64, row-major, with its shape. Non-finite entries are kept as NaN/±Infinity. */
export interface Grid {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

function isNumericArrayLike(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isShapeArray(shape: unknown): shape is readonly number[] {
  return Array.isArray(shape) && shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0);
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fromFlat(name: string, shape: readonly number[], data: ArrayLike<unknown>): Grid {
  const size = product(shape);
  if (data.length !== size) {
    throw new VizShapeError(
      `${name}: shape ${formatShape(shape)} needs ${size} values, received ${data.length}`,
    );
  }
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const v = data[i];
    if (typeof v === 'number') values[i] = v;
    else if (typeof v === 'boolean') values[i] = v ? 1 : 0;
    else if (v === null || v === undefined) values[i] = NaN;
    else throw new VizValueError(`${name}: expected numbers, received ${describeValue(v)} at flat index ${i}`);
  }
  return { name, shape: [...shape], values };
}

function fromNested(name: string, root: ArrayLike<unknown>): Grid {
  const shape: number[] = [];
  let probe: unknown = root;
  while (Array.isArray(probe) || isNumericArrayLike(probe)) {
    const arr = probe as ArrayLike<unknown>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    probe = arr[0];
  }
  const values = new Float64Array(product(shape));
  let offset = 0;
  const walk = (node: unknown, depth: number, path: number[]): void => {
    const where = path.length > 0 ? ` at ${name}[${path.join('][')}]` : '';
    if (depth === shape.length) {
      if (typeof node === 'number') values[offset++] = node;
      else if (node === null || node === undefined) values[offset++] = NaN;
      else if (typeof node === 'boolean') values[offset++] = node ? 1 : 0;
      else throw new VizValueError(`${name}: expected numbers, received ${describeValue(node)}${where}`);
      return;
    }
    if (!(Array.isArray(node) || isNumericArrayLike(node))) {
      throw new VizShapeError(
        `${name}: ragged nested array: expected an array of length ${shape[depth]}${where}, received ${describeValue(node)}`,
      );
    }
    const arr = node as ArrayLike<unknown>;
    if (arr.length !== shape[depth]) {
      throw new VizShapeError(
        `${name}: ragged nested array: expected length ${shape[depth]}${where}, received length ${arr.length}`,
      );
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], depth + 1, [...path, i]);
  };
  walk(root, 0, []);
  return { name, shape, values };
}

/**
 * Reads a tensor, shaped array or nested array into a {@link Grid}. `name` is the argument name used in errors.
 * Throws {@link VizValueError} for disposed or string tensors and non-numeric entries, {@link VizShapeError} for
 * ragged arrays or a shape that disagrees with the data length.
 */
export function toGrid(value: unknown, name: string): Grid {
  if (value === null || value === undefined) {
    throw new VizValueError(`${name}: expected a tensor or an array, received ${describeValue(value)}`);
  }
  if (Array.isArray(value) || isNumericArrayLike(value)) return fromNested(name, value as ArrayLike<unknown>);
  if (typeof value !== 'object') {
    throw new VizValueError(`${name}: expected a tensor or an array, received ${describeValue(value)}`);
  }
  const candidate = value as Partial<TensorLike> & Partial<ShapedArray>;
  if (!isShapeArray(candidate.shape)) {
    throw new VizValueError(
      `${name}: expected a tensor (with shape and dataSync), { shape, data } or a nested array, received ${describeValue(value)}`,
    );
  }
  const shape = candidate.shape;
  if (candidate.data !== undefined && (Array.isArray(candidate.data) || isNumericArrayLike(candidate.data))) {
    return fromFlat(name, shape, candidate.data);
  }
  if (candidate.isDisposed === true) {
    throw new VizValueError(`${name}: the tensor is disposed; read it before disposing it`);
  }
  if (candidate.dtype === 'string' || candidate.dtype === 'complex64') {
    throw new VizValueError(`${name}: expected a numeric tensor, received dtype ${JSON.stringify(candidate.dtype)}`);
  }
  try {
    if (typeof candidate.dataSync === 'function') return fromFlat(name, shape, candidate.dataSync());
    if (typeof candidate.arraySync === 'function') {
      const nested = candidate.arraySync();
      if (shape.length === 0) return fromFlat(name, shape, [nested]);
      return fromFlat(name, shape, fromNested(name, nested as ArrayLike<unknown>).values);
    }
  } catch (cause) {
    if (cause instanceof VizShapeError || cause instanceof VizValueError) throw cause;
    throw new VizValueError(`${name}: could not read the tensor's values (${String(cause)})`, { cause });
  }
  throw new VizValueError(`${name}: an object with a shape needs dataSync(), arraySync() or data to read values from`);
}

/** Throws unless `grid` has one of the given ranks; `expected` describes the axes, e.g. `[batch, timesteps, features]`. */
export function expectRank(grid: Grid, ranks: readonly number[], expected: string): void {
  if (!ranks.includes(grid.shape.length)) {
    throw new VizShapeError(
      `${grid.name}: expected shape ${expected} (rank ${ranks.join(' or ')}), received shape ${formatShape(grid.shape)} (rank ${grid.shape.length})`,
    );
  }
}

/** Throws unless every dimension of `grid` is at least 1, naming the axis that is empty. */
export function expectNonEmpty(grid: Grid, axisNames: readonly string[]): void {
  grid.shape.forEach((d, axis) => {
    if (d === 0) {
      const axisName = axisNames[axis] ?? `axis ${axis}`;
      const extra = axisName === 'timesteps' ? ' (an empty sequence has nothing to draw)' : '';
      throw new VizShapeError(
        `${grid.name}: expected at least 1 ${axisName.replace(/s$/, '')}, received shape ${formatShape(grid.shape)}${extra}`,
      );
    }
  });
}

/** Validates a batch index: an integer in [0, batchSize). */
export function checkExample(example: unknown, batchSize: number, name = 'example'): number {
  if (example === undefined) return 0;
  if (typeof example !== 'number' || !Number.isInteger(example) || example < 0 || example >= batchSize) {
    throw new VizValueError(
      `${name}: expected an integer in [0, ${batchSize - 1}] (the batch has ${batchSize} example${batchSize === 1 ? '' : 's'}), received ${describeValue(example)}`,
    );
  }
  return example;
}

/** A row-major view of one example: `slice(grid, b)` of a [B, …rest] grid is the flat values of shape `rest`. */
export function sliceExample(grid: Grid, example: number): Float64Array {
  const stride = product(grid.shape.slice(1));
  return grid.values.subarray(example * stride, (example + 1) * stride);
}

/** Counts NaN and ±Infinity entries. */
export function countNonFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++;
  return n;
}

/** Largest finite |v|, 0 when there is none. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return m;
}
