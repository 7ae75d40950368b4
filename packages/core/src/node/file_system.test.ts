import { promises as fsp, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, ModelIOError } from '../errors.js';
import { MODEL_JSON, fileSystem } from './index.js';

const topology = { class_name: 'Sequential', config: { name: 'm', layers: [] } };

function artifacts(seed: number): tf.io.ModelArtifacts {
  const kernel = Float32Array.from({ length: 12 }, (_, i) => seed + i / 7);
  const bias = Float32Array.from({ length: 4 }, (_, i) => -seed - i);
  const data = new Uint8Array(kernel.byteLength + bias.byteLength);
  data.set(new Uint8Array(kernel.buffer), 0);
  data.set(new Uint8Array(bias.buffer), kernel.byteLength);
  return {
    modelTopology: { ...topology, seed },
    weightSpecs: [
      { name: 'dense/kernel', shape: [3, 4], dtype: 'float32' },
      { name: 'dense/bias', shape: [4], dtype: 'float32' },
    ],
    weightData: data.buffer,
    format: 'layers-model',
    trainingConfig: { loss: 'meanSquaredError', optimizer_config: { class_name: 'Adam', config: {} } },
    userDefinedMetadata: { note: `seed ${seed}` },
  };
}

function bytesOf(a: tf.io.ModelArtifacts): number[] {
  return Array.from(new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
}

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'basicrnn-fs-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(dirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
});

describe('fileSystem handler', () => {
  it('round-trips topology, weight specs, bytes, training config and metadata', async () => {
    const dir = join(freshDir(), 'model');
    const saved = artifacts(1);
    const result = await fileSystem(dir).save(saved);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(64);
    const loaded = await fileSystem(dir).load();
    expect(loaded.modelTopology).toEqual(saved.modelTopology);
    expect(loaded.weightSpecs).toEqual(saved.weightSpecs);
    expect(bytesOf(loaded)).toEqual(bytesOf(saved));
    expect(loaded.trainingConfig).toEqual(saved.trainingConfig);
    expect(loaded.userDefinedMetadata).toEqual(saved.userDefinedMetadata);
    expect(loaded.format).toBe('layers-model');
  });

  it('answers file:// URLs through tfjs routers (absolute URL, relative spelling) and model.json paths', async () => {
    const dir = freshDir();
    const url = pathToFileURL(join(dir, 'a')).href;
    const [handler] = tf.io.getSaveHandlers(url);
    expect(handler).toBeDefined();
    await handler!.save!(artifacts(2));
    const [loader] = tf.io.getLoadHandlers(`${url}/${MODEL_JSON}`);
    expect(bytesOf(await loader!.load!())).toEqual(bytesOf(artifacts(2)));
    expect(tf.io.getSaveHandlers('localstorage://m')).toEqual([]);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await fileSystem('file://./rel').save(artifacts(3));
      expect(readdirSync(join(dir, 'rel'))).toContain(MODEL_JSON);
    } finally {
      process.chdir(cwd);
    }
  });

  it('writes a manifest tfjs understands, with one SHA-256 per shard', async () => {
    const dir = freshDir();
    await fileSystem(dir).save(artifacts(4));
    const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8'));
    expect(json.weightsManifest).toHaveLength(1);
    const group = json.weightsManifest[0];
    expect(group.paths).toEqual([expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
    expect(group.sha256).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(group.sha256[0].startsWith(group.paths[0].slice(8, 24))).toBe(true);
    // tfjs's own loader reads the same directory through the JSON + weights it names.
    const artifactsFromTfjs = await tf.io.getModelArtifactsForJSON(json, async (manifest) => [
      tf.io.getWeightSpecs(manifest),
      new Uint8Array(readFileSync(join(dir, manifest[0]!.paths[0]!))).buffer,
    ]);
    expect(bytesOf(artifactsFromTfjs)).toEqual(bytesOf(artifacts(4)));
  });

  it('a second save replaces the first and leaves exactly one shard', async () => {
    const dir = freshDir();
    await fileSystem(dir).save(artifacts(5));
    await fileSystem(dir).save(artifacts(6));
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(bytesOf(await fileSystem(dir).load())).toEqual(bytesOf(artifacts(6)));
  });

  it('loads a directory written by tfjs-node (weights.bin, no hashes) and replaces it on save', async () => {
    const dir = freshDir();
    const a = artifacts(7);
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
    writeFileSync(join(dir, MODEL_JSON), JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    expect(bytesOf(await fileSystem(dir).load())).toEqual(bytesOf(a));
    await fileSystem(dir).save(artifacts(8));
    expect(readdirSync(dir)).not.toContain('weights.bin');
  });

  it('refuses flipped, truncated and missing weights, bad JSON and paths outside the directory', async () => {
    const dir = freshDir();
    await fileSystem(dir).save(artifacts(9));
    const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8'));
    const shard = join(dir, json.weightsManifest[0].paths[0]);
    const good = readFileSync(shard);

    const flipped = Buffer.from(good);
    flipped[5] = flipped[5]! ^ 0x10;
    writeFileSync(shard, flipped);
    await expect(fileSystem(dir).load()).rejects.toThrow(/is corrupt: its SHA-256/);

    // Without the hash (a foreign file), truncation is still caught from the manifest's sizes.
    const noHash = { ...json, weightsManifest: [{ paths: json.weightsManifest[0].paths, weights: json.weightsManifest[0].weights }] };
    writeFileSync(join(dir, MODEL_JSON), JSON.stringify(noHash));
    writeFileSync(shard, good.subarray(0, 60));
    await expect(fileSystem(dir).load()).rejects.toThrow(/hold 60 bytes, the manifest's 2 weights need 64/);

    await fsp.rm(shard);
    await expect(fileSystem(dir).load()).rejects.toThrow(/weightsManifest\[0\]\.paths\[0\]: cannot read the weights file/);

    writeFileSync(join(dir, MODEL_JSON), JSON.stringify({ ...noHash, weightsManifest: [{ paths: ['../escape.bin'], weights: [] }] }));
    await expect(fileSystem(dir).load()).rejects.toThrow(/expected a file name inside the model's directory/);

    writeFileSync(join(dir, MODEL_JSON), '{"modelTopology": ');
    await expect(fileSystem(dir).load()).rejects.toThrow(ModelIOError);
    await expect(fileSystem(join(dir, 'nothing-here')).load()).rejects.toThrow(/no model at .*file not found/);
    expect(() => fileSystem('')).toThrow(ConfigError);
  });

  // A crash can stop a save after any of its steps, leaving the files as they were at that instant (no cleanup
  // runs). Each step is made to fail with cleanup disabled: the directory must then load the old model (before
  // the swap of model.json) or the new one (after it) — never a mix, never an error.
  it.each([
    ['while writing the new shard', 'old', 'writeFile', 0],
    ['before renaming the new shard into place', 'old', 'rename', 0],
    ['before swapping model.json', 'old', 'rename', 1],
    ['after the swap, before old shards are removed', 'new', 'rm', 0],
  ] as const)('a crash %s leaves a loadable model (the %s one)', async (_label, expectModel, step, nth) => {
    const dir = freshDir();
    await fileSystem(dir).save(artifacts(10));
    const crash = Object.assign(new Error('simulated crash'), { code: 'EIO' });
    const calls = { writeFile: 0, rename: 0, rm: 0 };
    const realRename = fsp.rename.bind(fsp);
    vi.spyOn(fsp, 'rm').mockImplementation(async () => {
      if (step === 'rm' && calls.rm++ === nth) throw crash;
    });
    vi.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      if (step === 'rename' && calls.rename++ === nth) throw crash;
      return realRename(from, to);
    });
    if (step === 'writeFile') {
      const realOpen = fsp.open.bind(fsp);
      vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
        const handle = await realOpen(...args);
        if (String(args[0]).endsWith('.tmp') && calls.writeFile++ === nth) {
          await handle.writeFile(new Uint8Array(10)); // half a shard, then the crash
          handle.writeFile = async () => {
            throw crash;
          };
        }
        return handle;
      });
    }
    await fileSystem(dir).save(artifacts(11)).catch(() => undefined);
    vi.restoreAllMocks();
    const loaded = await fileSystem(dir).load();
    expect(bytesOf(loaded)).toEqual(bytesOf(artifacts(expectModel === 'old' ? 10 : 11)));
    // The next save works and clears what the crash left.
    await fileSystem(dir).save(artifacts(12));
    expect(readdirSync(dir).filter((f) => f !== MODEL_JSON && !f.endsWith('.tmp'))).toHaveLength(1);
    expect(bytesOf(await fileSystem(dir).load())).toEqual(bytesOf(artifacts(12)));
  });

  it('a failed save (disk full) removes its temporary files and reports ModelIOError; the old model loads', async () => {
    const dir = freshDir();
    await fileSystem(dir).save(artifacts(13));
    const realOpen = fsp.open.bind(fsp);
    let n = 0;
    vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
      const handle = await realOpen(...args);
      if (String(args[0]).endsWith('.tmp') && n++ === 1) {
        handle.writeFile = async () => {
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        };
      }
      return handle;
    });
    const err = await fileSystem(dir).save(artifacts(14)).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(err).toBeInstanceOf(ModelIOError);
    expect((err as Error).message).toMatch(/no space left on device; the previous model is unchanged/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(bytesOf(await fileSystem(dir).load())).toEqual(bytesOf(artifacts(13)));
  });
});
