// ONNX Runtime on the same model, the graph from @basicrnn/onnx's encodeModel with our weights, checked against our
// output before it is timed: ONNX Runtime Web (wasm execution provider, one thread) in Node and in the page, and
// native ONNX Runtime (onnxruntime-node, cpu execution provider, one intra-op thread) in Node.
import * as tf from '@tensorflow/tfjs-core';
import type * as ortTypes from 'onnxruntime-web';
import type { BenchCell, BenchConfig } from './configs.js';
import type { Timing } from './measure.js';
import { encodeModel } from '@basicrnn/onnx';

export type OrtModule = typeof ortTypes;

export interface OrtResult {
  /** Largest |ORT − ours| on the forward output; ORT is timed only when it is within tolerance. */
  maxAbsDiff?: number;
  tolerance: number;
  /** Timed beside ours' forward pass, alternating with it (no tfjs dispatches or tensor bytes of its own). */
  timing?: Timing;
  coldOnly?: boolean;
  /** Why ORT was not timed. */
  error?: string;
  threads: number;
  modelBytes?: number;
}

export const ORT_TOLERANCE = 1e-4;

/** Which ONNX Runtime runs the model and how. */
export interface OrtTarget {
  /** onnxruntime-web, or onnxruntime-node seen through the same (onnxruntime-common) API. */
  ort: OrtModule;
  /** 'wasm' for ONNX Runtime Web; 'cpu' for native ONNX Runtime. */
  executionProvider: 'wasm' | 'cpu';
  /** Native only: intra-op threads (ONNX Runtime Web's count is set on ort.env.wasm before its first session). */
  intraOpNumThreads?: number;
}

/** A verified ORT session ready to be timed beside ours, or the reason it is not. */
export interface PreparedOrt {
  result: OrtResult;
  /** One forward pass, output read (present only when the output matched ours). */
  run?: () => Promise<void>;
  release: () => Promise<void>;
}

/**
 * Builds the ONNX model from our weights, runs it once in ONNX Runtime Web and compares with our output.
 * `weights` are ours in Keras order (kernel, recurrentKernel, bias, denseKernel, denseBias); `expected` is our
 * forward output for `x` with those weights. Never throws: a failure is reported in the result, and the rest of
 * the benchmark goes on.
 */
export async function prepareOrt(
  target: OrtTarget,
  c: BenchConfig,
  cell: BenchCell,
  weights: readonly tf.Tensor[],
  x: tf.Tensor,
  expected: ArrayLike<number>,
): Promise<PreparedOrt> {
  const { ort } = target;
  const threads = target.executionProvider === 'wasm' ? (ort.env.wasm.numThreads ?? 0) : (target.intraOpNumThreads ?? 0);
  const result: OrtResult = { tolerance: ORT_TOLERANCE, threads };
  let session: ortTypes.InferenceSession | undefined;
  const release = async () => {
    await session?.release();
    session = undefined;
  };
  try {
    const [kernel, recurrentKernel, bias, denseKernel, denseBias] = await Promise.all(weights.map((w) => w.data() as Promise<Float32Array>));
    // The same writer as @basicrnn/onnx's toOnnx, with the bench's fixed shapes. Ours and tfjs-layers' gated cells
    // use sigmoid gates (Keras 3's default) in the bench; GRU resetAfter is ONNX's linear_before_reset = 1.
    const gated = cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' };
    const model = encodeModel(
      {
        name: 'basic_rnn',
        inputSize: c.inputSize,
        layers: [
          {
            kind: 'recurrent',
            forward: {
              name: cell === 'simpleRNN' ? 'simple_rnn' : cell === 'lstm' ? 'lstm' : 'gru',
              cell: cell === 'gruResetAfter' ? 'gru' : cell,
              units: c.hiddenSize,
              inputSize: c.inputSize,
              activation: 'tanh',
              ...gated,
              ...(cell === 'gru' || cell === 'gruResetAfter' ? { resetAfter: cell === 'gruResetAfter' } : {}),
              goBackwards: false,
              returnSequences: false,
              kernel: kernel!,
              recurrentKernel: recurrentKernel!,
              bias: bias!,
            },
          },
          { kind: 'dense', name: 'dense', units: c.outputSize, inputSize: c.hiddenSize, activation: 'linear', kernel: denseKernel!, bias: denseBias! },
        ],
      },
      c.batch,
      c.steps,
      false,
    );
    result.modelBytes = model.length;
    session = await ort.InferenceSession.create(model, {
      executionProviders: [target.executionProvider],
      graphOptimizationLevel: 'all',
      ...(target.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: target.intraOpNumThreads, interOpNumThreads: 1 }),
    });
    const feeds = { x: new ort.Tensor('float32', (await x.data()) as Float32Array, x.shape) };
    const forward = async (): Promise<Float32Array> => {
      const out = await session!.run(feeds);
      const y = out.y!;
      const data = (await y.getData()) as Float32Array; // already on the CPU with the wasm and cpu providers
      y.dispose();
      return data;
    };
    const got = await forward();
    let max = got.length === expected.length ? 0 : Infinity;
    for (let i = 0; i < got.length && max !== Infinity; i++) max = Math.max(max, Math.abs(got[i]! - expected[i]!));
    result.maxAbsDiff = max;
    if (!(max <= ORT_TOLERANCE)) {
      result.error = `output differs from ours by ${max} (> ${ORT_TOLERANCE}); not timed`;
      return { result, release };
    }
    return {
      result,
      run: async () => {
        await forward();
      },
      release,
    };
  } catch (e) {
    result.error = `ONNX Runtime failed: ${e instanceof Error ? e.message : String(e)}`;
    await release();
    return { result, release };
  }
}
