import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ModelIOError, describe } from '../errors.js';
import type { ModelStore } from '../io/browser_storage.js';

/** The URL scheme this handler answers to in `tf.io` routers, `model.save` and `loadModel`. */
export const FILE_SCHEME = 'file://';

/** Name of the topology file inside a saved model's directory (as tfjs-node writes it). */
export const MODEL_JSON = 'model.json';

/** A weights group as written by {@link fileSystem}: tfjs's manifest group plus each shard's SHA-256. */
export interface HashedWeightsGroup {
  /** Weight files, relative to `model.json`. */
  paths: string[];
  /** What each weight is (name, shape, dtype, optional quantization), in byte order. */
  weights: tf.io.WeightsManifestEntry[];
  /** Hex SHA-256 of each file in `paths`, in order; readers that do not know the key ignore it. */
  sha256?: string[];
}

/**
 * A tfjs `IOHandler` that saves a model to a directory (`model.json` + one weights shard) and loads it back, in
 * Node. Saving is atomic: the weights go to a new file named after their hash, then `model.json` is replaced
 * with a rename, so at every instant `model.json` names a complete weights file — a crash or a full disk in the
 * middle of a save leaves the previous model loadable. Files this handler writes carry each shard's SHA-256,
 * checked on load, so flipped bytes are refused (files from elsewhere load without it).
 *
 * `path` is the directory (or, when loading, the `model.json` inside it), as a path or a `file://` URL.
 * After `import '@basicrnn/core/node'`, `'file://…'` strings route here in `tf.io` and in this library.
 *
 * @example
 * ```ts
 * import { fileSystem } from '@basicrnn/core/node';
 * const handler = fileSystem('./my-model'); // or 'file://./my-model'
 * ```
 */
export function fileSystem(path: string): ModelStore {
  if (typeof path !== 'string' || path.length === 0 || path === FILE_SCHEME) {
    throw new ConfigError(`fileSystem(path): expected a directory path or file:// URL, received ${describe(path)}`);
  }
  const local = toLocalPath(path);
  return {
    save: (artifacts: tf.io.ModelArtifacts) => saveToDirectory(directoryOf(local), artifacts),
    load: () => loadFromDirectory(local),
  };
}

/** `file:///abs`, `file://./rel`, `file://rel` or a plain path → a local path. */
function toLocalPath(path: string): string {
  if (!path.startsWith(FILE_SCHEME)) return resolve(path);
  const rest = path.slice(FILE_SCHEME.length);
  // file:///abs/dir is a proper URL; file://./dir and file://dir are tfjs-node's relative spelling.
  return rest.startsWith('/') ? fileURLToPath(path) : resolve(rest);
}

/** A path ending in `.json` names the topology file; anything else is the model's directory. */
function directoryOf(local: string): string {
  return extname(local).toLowerCase() === '.json' ? dirname(local) : local;
}

async function saveToDirectory(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new ModelIOError('fileSystem save: binary (protobuf) topologies are not supported; save a JSON topology');
  }
  const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const bytes = new Uint8Array(weightData);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const shardName = `weights.${hash.slice(0, 16)}.bin`;

  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new ModelIOError(`fileSystem save: cannot create the directory ${describe(dir)}: ${(e as Error).message}`, { cause: e });
  }
  const previous = await readManifestPaths(join(dir, MODEL_JSON));
  const group: HashedWeightsGroup = { paths: [shardName], weights: artifacts.weightSpecs ?? [], sha256: [hash] };
  const modelJSON: Omit<tf.io.ModelJSON, 'weightsManifest'> & { weightsManifest: HashedWeightsGroup[] } = {
    modelTopology: artifacts.modelTopology ?? {},
    weightsManifest: [group],
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-core v${tf.version_core}`,
    convertedBy: artifacts.convertedBy ?? null,
  };
  for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
    if (artifacts[key] !== undefined) (modelJSON as unknown as Record<string, unknown>)[key] = artifacts[key];
  }
  const json = JSON.stringify(modelJSON);

  // Order matters: the new shard exists in full (under a name nothing references yet) before model.json is
  // swapped to name it; old shards go only after the swap.
  const stagedFiles: string[] = [];
  try {
    await writeFileAtomic(join(dir, shardName), bytes, stagedFiles);
    await writeFileAtomic(join(dir, MODEL_JSON), Buffer.from(json, 'utf8'), stagedFiles);
    await syncDirectory(dir);
  } catch (e) {
    await Promise.all(stagedFiles.map((f) => fs.rm(f, { force: true })));
    if (e instanceof ModelIOError) throw e;
    throw new ModelIOError(`fileSystem save: writing the model to ${describe(dir)} failed: ${(e as Error).message}; the previous model is unchanged`, {
      cause: e,
    });
  }
  await removeLeftovers(dir, shardName, previous);

  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: Buffer.byteLength(JSON.stringify(modelJSON.modelTopology), 'utf8'),
      weightSpecsBytes: Buffer.byteLength(JSON.stringify(group.weights), 'utf8'),
      weightDataBytes: bytes.byteLength,
    },
  };
}

/** Writes `data` to a temporary sibling, flushes it, then renames it over `target` (atomic on one filesystem). */
async function writeFileAtomic(target: string, data: Uint8Array, staged: string[]): Promise<void> {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  staged.push(tmp);
  const handle = await fs.open(tmp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, target);
  staged.pop();
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the renames durable across a power loss; some filesystems refuse to open a directory: best effort.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not supported here */
  }
}

function isOwnShardName(name: string): boolean {
  return /^weights\.[0-9a-f]{16}\.bin$/.test(name);
}

/**
 * After a save: shards this handler wrote that `model.json` no longer names (the previous model's, or an
 * earlier save's that crashed before its swap), and temporary files of processes that no longer run.
 */
async function removeLeftovers(dir: string, current: string, previous: string[]): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const stale = names.filter((name) => {
    if (name === current) return false;
    if (isOwnShardName(name)) return true;
    const tmp = /^\.(?:model\.json|weights\.[0-9a-f]{16}\.bin)\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
    return tmp !== null && !processRuns(Number(tmp[1]));
  });
  // A foreign shard the previous model.json named (e.g. tfjs's weights.bin) is ours to replace too.
  for (const p of previous) if (p !== current && !stale.includes(p) && !p.includes('/') && names.includes(p)) stale.push(p);
  await Promise.all(stale.map((name) => fs.rm(join(dir, name), { force: true })));
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2, uint8: 1, uint16: 2, int8: 1, int16: 2, complex64: 8 };

/** Bytes the manifest's weights take, or null when a dtype's size is unknown (strings): then not checked. */
function expectedWeightBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = DTYPE_BYTES[dtype];
    if (size === undefined || !Array.isArray(spec.shape)) return null;
    total += spec.shape.reduce((n, d) => n * d, 1) * size;
  }
  return total;
}

async function readManifestPaths(modelJsonPath: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await fs.readFile(modelJsonPath, 'utf8')) as { weightsManifest?: { paths?: unknown }[] };
    return (parsed.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []));
  } catch {
    return [];
  }
}

async function loadFromDirectory(local: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = extname(local).toLowerCase() === '.json' ? local : join(local, MODEL_JSON);
  let text: string;
  try {
    text = await fs.readFile(jsonPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelIOError(
      code === 'ENOENT' ? `fileSystem load: no model at ${describe(jsonPath)} (file not found)` : `fileSystem load: cannot read ${describe(jsonPath)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  let modelJSON: tf.io.ModelJSON;
  try {
    modelJSON = JSON.parse(text) as tf.io.ModelJSON;
  } catch (e) {
    throw new ModelIOError(`fileSystem load: ${describe(jsonPath)} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (modelJSON === null || typeof modelJSON !== 'object' || Array.isArray(modelJSON)) {
    throw new ModelIOError(`fileSystem load: ${describe(jsonPath)}: expected a JSON object with modelTopology and weightsManifest, received ${describe(modelJSON)}`);
  }
  const manifest = (modelJSON as { weightsManifest?: unknown }).weightsManifest;
  if (manifest !== undefined && !Array.isArray(manifest)) {
    throw new ModelIOError(`fileSystem load: ${describe(jsonPath)} weightsManifest: expected an array of groups, received ${describe(manifest)}`);
  }
  const dir = dirname(jsonPath);
  return tf.io.getModelArtifactsForJSON(modelJSON, async (groups) => {
    const buffers: ArrayBuffer[] = [];
    groups.forEach((group, g) => {
      if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
        throw new ModelIOError(`fileSystem load: weightsManifest[${g}]: expected { paths: string[], weights: [...] }, received ${describe(group)}`);
      }
    });
    for (const [g, group] of (groups as HashedWeightsGroup[]).entries()) {
      for (const [p, path] of group.paths.entries()) {
        if (typeof path !== 'string' || path.includes('..') || path.startsWith('/')) {
          throw new ModelIOError(`fileSystem load: weightsManifest[${g}].paths[${p}]: expected a file name inside the model's directory, received ${describe(path)}`);
        }
        let data: Buffer;
        try {
          data = await fs.readFile(join(dir, path));
        } catch (e) {
          throw new ModelIOError(`fileSystem load: weightsManifest[${g}].paths[${p}]: cannot read the weights file ${describe(path)}: ${(e as Error).message}`, {
            cause: e,
          });
        }
        const want = group.sha256?.[p];
        if (want !== undefined) {
          const got = createHash('sha256').update(data).digest('hex');
          if (got !== want) {
            throw new ModelIOError(
              `fileSystem load: weights file ${describe(path)} is corrupt: its SHA-256 is ${got.slice(0, 16)}…, the manifest says ${String(want).slice(0, 16)}…`,
            );
          }
        }
        buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
      }
    }
    const specs = tf.io.getWeightSpecs(groups);
    const data = tf.io.concatenateArrayBuffers(buffers);
    const expected = expectedWeightBytes(specs);
    if (expected !== null && expected !== data.byteLength) {
      throw new ModelIOError(
        `fileSystem load: the weights files hold ${data.byteLength} bytes, the manifest's ${specs.length} weights need ${expected} (truncated or mismatched files)`,
      );
    }
    return [specs, data];
  });
}

/** tfjs router: `file://…` URLs (and only those) get a {@link fileSystem} handler. */
export function fileSystemRouter(url: string | string[]): tf.io.IOHandler {
  // tfjs's IORouter type says IOHandler, but its registry treats null as "not mine" (as its own routers return).
  const mine = (u: unknown): u is string => typeof u === 'string' && u.startsWith(FILE_SCHEME);
  if (Array.isArray(url)) return (url.length === 1 && mine(url[0]) ? fileSystem(url[0]) : null) as tf.io.IOHandler;
  return (mine(url) ? fileSystem(url) : null) as tf.io.IOHandler;
}
