// One Node process per backend: `node dist/node/node_worker.js <request JSON> <output file>`. Progress goes to
// stderr; the BackendReport is written as JSON to the output file.
import { renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import '@basicrnn/backend-wasm';
import { getWasmInfo } from '@basicrnn/backend-wasm';
import type { WorkerRequest } from './configs.js';
import type { OrtModule } from './ort.js';
import { runSuite } from './suite.js';

async function main(): Promise<void> {
  const [requestJson, outFile] = process.argv.slice(2);
  if (requestJson === undefined || outFile === undefined) throw new Error('usage: node_worker.js <request JSON> <output file>');
  const request = JSON.parse(requestJson) as WorkerRequest;
  const backend = request.variant === 'node-wasm' ? 'wasm' : 'cpu';

  let ort: OrtModule | undefined;
  if (request.ort) {
    ort = (await import('onnxruntime-web')) as OrtModule;
    ort.env.wasm.numThreads = 1; // one thread, and no worker: set before the first session starts ORT
    ort.env.logLevel = 'error';
  }
  let ortNative: OrtModule | undefined;
  if (request.ortNative) {
    // Native ONNX Runtime: its Linux CPU binary ships in the package (its install script, which fetches CUDA
    // parts, is kept out of pnpm's allowed builds). Same onnxruntime-common API as onnxruntime-web.
    ortNative = (await import('onnxruntime-node')) as unknown as OrtModule;
    ortNative.env.logLevel = 'error';
  }
  const report = await runSuite({
    variant: request.variant,
    backend,
    configs: request.configs,
    cells: request.cells,
    quick: request.quick,
    deadline: request.deadline,
    ...(ort ? { ort } : {}),
    ...(ortNative ? { ortNative } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
    // The rows so far, written whole (rename) after each config: a worker stopped for time still has them read.
    onProgress: (partial) => {
      writeFileSync(`${outFile}.partial`, JSON.stringify(partial));
      renameSync(`${outFile}.partial`, `${outFile}.progress`);
    },
    environment: {
      runtime: `Node ${process.version}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      ...(backend === 'wasm' ? { wasm: getWasmInfo() } : {}),
      ...(ort ? { ortVersion: ort.env.versions.web ?? ort.env.versions.common } : {}),
      ...(ortNative ? { ortNativeVersion: (ortNative.env.versions as Record<string, string>).node ?? ortNative.env.versions.common } : {}),
    },
  });
  writeFileSync(outFile, JSON.stringify(report));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
