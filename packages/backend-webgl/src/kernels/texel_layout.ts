import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { webgl_util, type MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';

let directFetch = true;

/**
 * Turns the SimpleRNN programs' reads at computed texture coordinates on or off (on by default): the forward
 * steps' own x·W (see RnnStepProgram's `inputs`). Off, the programs read through tfjs's samplers only, with a
 * projection program first, as on WebGL1 or for textures tfjs laid out another way: for tests of that path.
 */
export function setDirectTexelFetch(enabled: boolean): void {
  directFetch = enabled;
}

/** Whether the SimpleRNN programs may read at computed coordinates ({@link setDirectTexelFetch}, WebGL2). */
export function directTexelFetchEnabled(): boolean {
  return directFetch && tf.env().getNumber('WEBGL_VERSION') === 2;
}

function even(n: number): number {
  return n + (n % 2);
}

/**
 * The packed texture shape tfjs gives a tensor of logical `shape` when nothing forces another: [A·R', C'] for
 * [..., R, C] (R', C' rounded up to even), whose texels lie row-major in the texture, texel (a, r, c) at column
 * c/2, row a·R'/2 + r/2. Null when tfjs would lay it out another way (squarified past the texture size limit).
 */
function rowMajorTexShape(shape: number[]): [number, number] | null {
  const rows = shape.length >= 2 ? (shape[shape.length - 2] as number) : 1;
  const cols = shape[shape.length - 1] as number;
  const outer = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const expected: [number, number] = [outer * even(rows), even(cols)];
  const actual = webgl_util.getTextureShapeFromLogicalShape(shape, true);
  return actual[0] === expected[0] && actual[1] === expected[1] ? expected : null;
}

/**
 * Whether a program may read `info` as a packed row-major texture of its logical shape (a 2-D or 3-D tensor),
 * at texture coordinates it computes itself instead of through tfjs's sampler (whose 3-D form divides at every
 * read): it is packed (or not yet uploaded, so that the first packed program uploads it packed) with the
 * texture shape its logical shape gets.
 */
export function readsRowMajor(backend: MathBackendWebGL, info: TensorInfo): boolean {
  if (info.shape.length < 2 || info.shape.length > 3) return false;
  const expected = rowMajorTexShape(info.shape);
  if (expected === null) return false;
  const data = backend.texData.get(info.dataId);
  // A shallow slice (tfjs's Slice along the first axis) shares a texture with an offset the reads would miss.
  if (data.slice != null && data.slice.flatOffset !== 0) return false;
  if (data.texture == null) return data.texShape == null && tf.util.arraysEqual(data.shape, info.shape);
  return data.isPacked === true && data.texShape != null && data.texShape[0] === expected[0] && data.texShape[1] === expected[1]
    && tf.util.arraysEqual(data.shape, info.shape);
}

