// ONNX Runtime Web in Node (wasm, one thread) and Debian's ONNX checker, for the export tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ortTypes from 'onnxruntime-web';

let ort: typeof ortTypes | undefined;

async function runtime(): Promise<typeof ortTypes> {
  if (ort === undefined) {
    ort = (await import('onnxruntime-web')) as typeof ortTypes;
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
  }
  return ort;
}

/**
 * Runs an ONNX model on `x` (float32 features, or int32 token ids for an embedding model) and optional int32
 * sequence lengths; returns `y`'s values and dims.
 */
export async function runOnnx(
  model: Uint8Array,
  x: { data: Float32Array | Int32Array; dims: readonly number[] },
  sequenceLens?: Int32Array,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const rt = await runtime();
  const session = await rt.InferenceSession.create(model);
  try {
    const feeds: Record<string, ortTypes.Tensor> = { x: x.data instanceof Int32Array ? new rt.Tensor('int32', x.data, x.dims) : new rt.Tensor('float32', x.data, x.dims) };
    if (sequenceLens !== undefined) feeds.sequence_lens = new rt.Tensor('int32', sequenceLens, [sequenceLens.length]);
    const out = await session.run(feeds);
    const y = out.y!;
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

/** Debian's python3-onnx (ONNX 1.12): the reference checker, with full shape inference. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function onnxCheckerAvailable(): boolean {
  return spawnSync(DEBIAN_PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs `onnx.checker.check_model(full_check=True)` on each model (one Python process for all: importing onnx
 * takes seconds); returns '' when every model passes, else the checker's message for the first that fails.
 */
export function checkWithOnnx(...models: Uint8Array[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'basicrnn-onnx-'));
  try {
    const files = models.map((m, i) => {
      const file = join(dir, `model${i}.onnx`);
      writeFileSync(file, m);
      return file;
    });
    const script = 'import onnx,sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)';
    const r = spawnSync(DEBIAN_PYTHON, ['-c', script, ...files], { encoding: 'utf8' });
    return r.status === 0 ? '' : `${r.stderr}${r.stdout}`.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
