import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '@basicrnn/core';
import { encodeIds, sentimentModel } from '../tasks/index.js';
// What the CLI's --save writes (model.json, weights.bin, model.onnx).
import { saveModel } from '../main_job.js';

// Keeping the model in the web app (panels/model_files.ts), end to end in Debian Chromium: saved in IndexedDB after
// training and restored after a reload with the same predictions; downloaded files that load back through the
// upload; a reload while a save runs leaves a whole saved model. A small model keeps it quick.

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
    chromiumArgs: string[];
  }
}

const appDir = fileURLToPath(new URL('../..', import.meta.url));
const downloads = mkdtempSync(join(tmpdir(), 'basicrnn-downloads-'));
let browser: Browser;
let server: ViteDevServer;
let page: Page;
let origin: string;
const pageErrors: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

type Demo = {
  basicrnnDemo: {
    debugState(): Promise<{ weightsChecksum: number; epochsDone: number }>;
    state: { get(): { settings: unknown } };
    engine: { call(command: string, args: unknown): Promise<{ output: { data: Float32Array } }> };
  };
};

/** The weights' fingerprint and the forward pass's output on the page's example input. */
async function fingerprint(): Promise<{ checksum: number; epochs: number; output: number[] }> {
  return page.evaluate(async () => {
    const app = (window as unknown as Demo).basicrnnDemo;
    const d = await app.debugState();
    const forward = await app.engine.call('forward', { settings: app.state.get().settings });
    return { checksum: d.weightsChecksum, epochs: d.epochsDone, output: Array.from(forward.output.data) };
  });
}

async function waitReady(): Promise<void> {
  await page.waitForSelector('body[data-ready="true"], #app-error:not([hidden])', { timeout: 150_000 });
  expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
}

async function setNumber(id: string, value: number): Promise<void> {
  await page.fill(`#${id}`, String(value));
  await page.dispatchEvent(`#${id}`, 'change');
}

/** Trains the set epochs and waits for the save that follows. */
async function trainAndSave(): Promise<void> {
  await page.click('#train');
  await page.waitForSelector('#files-status[data-state="saved"], #app-error:not([hidden])', { timeout: 90_000 });
  expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string }[] }> } }).axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations.map((v) => v.id);
}

beforeAll(async () => {
  const executablePath = inject('chromiumPath');
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium (apt-get install -y chromium)`);
  browser = await chromium.launch({ executablePath, args: inject('chromiumArgs') });
  const port = await freePort();
  server = await createServer({
    configFile: `${appDir}vite.config.ts`,
    root: appDir,
    cacheDir: `${appDir}node_modules/.vite-e2e`,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  origin = `http://127.0.0.1:${port}`;
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  mkdirSync(downloads, { recursive: true });
});

afterAll(async () => {
  await page?.context().close();
  await server?.close();
  await browser?.close();
  rmSync(downloads, { recursive: true, force: true });
});

describe('keeping the model (IndexedDB, downloads, upload)', () => {
  it('trains, saves in IndexedDB, and after a reload restores a model that predicts the same', async () => {
    await page.goto(origin);
    await waitReady();
    await page.evaluate(() => localStorage.clear());
    await setNumber('hiddenSize', 8);
    await setNumber('samples', 100);
    await setNumber('epochs', 1);
    await trainAndSave();
    const trained = await fingerprint();
    expect(trained.epochs).toBe(1);

    await page.reload();
    await waitReady();
    // A reload starts a fresh model from the seed: different weights until the saved one is restored.
    expect((await fingerprint()).checksum).not.toBe(trained.checksum);
    await page.waitForSelector('#restore-model:not([hidden])');
    expect(await page.textContent('#files-status')).toMatch(/trained for 1 epoch is saved in this browser/);
    expect(await axeViolations()).toEqual([]);
    await page.click('#restore-model');
    await page.waitForSelector('#files-status[data-state="restored"]');
    const restored = await fingerprint();
    expect(restored.checksum).toBe(trained.checksum);
    expect(restored.epochs).toBe(1);
    expect(restored.output).toEqual(trained.output);
    expect(await page.textContent('#summary')).toContain('simple_rnn (SimpleRNN)');
  });

  it('downloads model.json, weights.bin and model.onnx; the first two load back through the upload', async () => {
    const before = await fingerprint();
    await page.click('#prepare-downloads');
    await page.waitForSelector('#download-links:not([hidden])');
    const saved: Record<string, string> = {};
    for (const [id, name] of [['#download-model-json', 'model.json'], ['#download-weights', 'weights.bin'], ['#download-onnx', 'model.onnx']] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
      expect(download.suggestedFilename()).toBe(name);
      saved[name] = join(downloads, name);
      await download.saveAs(saved[name]);
    }
    expect(await axeViolations()).toEqual([]);
    const json = JSON.parse(readFileSync(saved['model.json']!, 'utf8'));
    expect(json.modelTopology).toBeTruthy();
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(readFileSync(saved['weights.bin']!).byteLength).toBe((8 * 10 + 8 * 8 + 8 + 8 * 1 + 1) * 4);
    expect(readFileSync(saved['model.onnx']!)[0]).toBe(0x08); // ModelProto field 1, ir_version
    // Debian's ONNX checker accepts it where python3-onnx is installed (@basicrnn/onnx's tests run such files in ORT).
    const check = spawnSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', saved['model.onnx']!], { encoding: 'utf8' });
    if (!/No module named 'onnx'|ENOENT/.test(`${check.stderr}${check.error?.message ?? ''}`)) expect(check.stderr).toBe('');

    // Change the weights (a fresh model), then upload the files: the downloaded model is back.
    await page.evaluate(() => (window as unknown as { basicrnnDemo: { configure(f: boolean): Promise<void> } }).basicrnnDemo.configure(true));
    expect((await fingerprint()).checksum).not.toBe(before.checksum);
    await page.setInputFiles('#upload-model', [saved['model.json']!, saved['weights.bin']!]);
    await page.waitForSelector('#files-status[data-state="uploaded"], #files-status[data-state="failed"]');
    expect(await page.getAttribute('#files-status', 'data-state')).toBe('uploaded');
    const uploaded = await fingerprint();
    expect(uploaded.checksum).toBe(before.checksum);
    expect(uploaded.output).toEqual(before.output);
  });

  it('an upload that does not fit the settings is refused with a message, and the model is kept', async () => {
    const before = await fingerprint();
    await setNumber('hiddenSize', 9); // a new architecture: the uploaded hidden size 8 no longer fits
    const fresh = await fingerprint();
    await page.setInputFiles('#upload-model', [join(downloads, 'model.json'), join(downloads, 'weights.bin')]);
    await page.waitForSelector('#files-status[data-state="failed"]');
    expect(await page.textContent('#app-error')).toMatch(/hidden size 8, the settings say 9/);
    expect((await fingerprint()).checksum).toBe(fresh.checksum);
    expect(fresh.checksum).not.toBe(before.checksum);
    await setNumber('hiddenSize', 8);
  });

  it('a worker closed while a save runs leaves a whole saved model: the previous one or the new one, never a broken one', async () => {
    type App = Demo['basicrnnDemo'] & { engine: { restart(): void }; configure(fresh: boolean): Promise<void> };
    const files = [join(downloads, 'model.json'), join(downloads, 'weights.bin')];
    const outcomes: string[] = [];
    // The worker is terminated this many ms after the save command is sent: from before the save's first write to
    // after its last (a full save of this model takes a few ms, measured below).
    for (const delay of [0, 2, 5, 40]) {
      // The previous model P, saved completely.
      await page.setInputFiles('#upload-model', files);
      await page.waitForSelector('#files-status[data-state="uploaded"]');
      const p = await fingerprint();
      const fullSaveMs = await page.evaluate(async () => {
        const t0 = performance.now();
        await (window as unknown as Demo).basicrnnDemo.engine.call('saveModel', { url: 'indexeddb://basicrnn-demo-model' });
        return performance.now() - t0;
      });
      // New weights N (drawn from the seed), and a save of them cut short by terminating the worker.
      await page.evaluate(() => (window as unknown as { basicrnnDemo: App }).basicrnnDemo.configure(true));
      const n = await fingerprint();
      expect(n.checksum).not.toBe(p.checksum);
      const result = await page.evaluate(async (ms) => {
        const app = (window as unknown as { basicrnnDemo: App }).basicrnnDemo;
        const save = app.engine.call('saveModel', { url: 'indexeddb://basicrnn-demo-model' }).then(
          () => 'completed',
          () => 'cut short',
        );
        await new Promise((resolve) => setTimeout(resolve, ms));
        app.engine.restart(); // terminates the worker that is saving
        return save;
      }, delay);
      // A new page and worker: the saved model loads (core checks each weight's SHA-256 and the manifest, so a
      // mix of two saves would be refused) and is P or N.
      await page.reload();
      await waitReady();
      await page.waitForSelector('#restore-model:not([hidden])');
      await page.click('#restore-model');
      await page.waitForSelector('#files-status[data-state="restored"], #app-error:not([hidden])');
      expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
      const restored = await fingerprint();
      expect([p.checksum, n.checksum]).toContain(restored.checksum);
      if (result === 'completed') expect(restored.checksum).toBe(n.checksum);
      const which = restored.checksum === p.checksum ? 'previous' : 'new';
      outcomes.push(`${delay} ms: save ${result}, restored the ${which} model (a full save took ${fullSaveMs.toFixed(1)} ms)`);
    }
    console.log(`worker terminated during a save:\n${outcomes.join('\n')}`);
    // At least one save was really cut short, and that one left the previous model.
    expect(outcomes.some((o) => o.includes('cut short, restored the previous'))).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('round-trips the sentiment model (embedding → SimpleRNN → Dense on token ids): IndexedDB, downloads, ONNX with sequence_lens, upload', async () => {
    const sentence = 'the movie was not good at all';
    const ids = encodeIds([sentence], 8);
    const predictOnPage = () =>
      page.evaluate(async (text) => {
        const app = (window as unknown as Demo).basicrnnDemo;
        const reply = (await app.engine.call('predict', { settings: app.state.get().settings, sentence: text })) as unknown as { output: number[]; ids: number[] };
        return reply;
      }, sentence);
    await page.selectOption('#task', 'sentiment');
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent?.includes('(Embedding)'));
    expect(await page.textContent('#files-model')).toMatch(/a sequential model on token ids: embedding\S* \(Embedding\) → simple_rnn\S* \(SimpleRNN\) → dense\S* \(Dense\)\./);
    await setNumber('samples', 200);
    await setNumber('epochs', 2);
    await trainAndSave();
    const trained = await fingerprint();
    const trainedPrediction = await predictOnPage();
    expect(trained.epochs).toBe(2);
    expect(trainedPrediction.ids).toEqual([...ids]);

    // IndexedDB: a reload starts a fresh sentiment model; Restore brings the trained one back.
    await page.reload();
    await waitReady();
    expect((await fingerprint()).checksum).not.toBe(trained.checksum);
    await page.waitForSelector('#restore-model:not([hidden])');
    await page.click('#restore-model');
    await page.waitForSelector('#files-status[data-state="restored"], #app-error:not([hidden])');
    expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
    expect((await fingerprint()).checksum).toBe(trained.checksum);
    expect((await predictOnPage()).output).toEqual(trainedPrediction.output);
    expect(await page.textContent('#summary')).toContain('(Embedding)');

    // Downloads: the Layers files name the embedding; model.onnx takes token ids and sequence_lens, and ONNX Runtime
    // gives the page's prediction.
    await page.click('#prepare-downloads');
    await page.waitForSelector('#download-links:not([hidden])');
    expect(await page.textContent('#onnx-inputs')).toMatch(/int32 token ids .*sequence_lens/);
    const dir = join(downloads, 'sentiment');
    mkdirSync(dir, { recursive: true });
    const saved: Record<string, string> = {};
    for (const [id, name] of [['#download-model-json', 'model.json'], ['#download-weights', 'weights.bin'], ['#download-onnx', 'model.onnx']] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
      saved[name] = join(dir, name);
      await download.saveAs(saved[name]);
    }
    expect(readFileSync(saved['model.json']!, 'utf8')).toMatch(/"class_name":\s*"Embedding"/);
    expect(await axeViolations()).toEqual([]);
    const session = await ort.InferenceSession.create(readFileSync(saved['model.onnx']!));
    const lengths = Int32Array.of(ids.filter((id) => id !== 0).length);
    const out = await session.run({ x: new ort.Tensor('int32', ids, [1, 8]), sequence_lens: new ort.Tensor('int32', lengths, [1]) });
    await session.release();
    const onnxOutput = Array.from(out.y!.data as Float32Array);
    expect(onnxOutput).toHaveLength(trainedPrediction.output.length);
    onnxOutput.forEach((v, i) => expect(Math.abs(v - trainedPrediction.output[i]!)).toBeLessThan(1e-5));

    // Upload: fresh weights, then the downloaded files bring the trained model back.
    await page.evaluate(() => (window as unknown as { basicrnnDemo: { configure(f: boolean): Promise<void> } }).basicrnnDemo.configure(true));
    expect((await fingerprint()).checksum).not.toBe(trained.checksum);
    await page.setInputFiles('#upload-model', [saved['model.json']!, saved['weights.bin']!]);
    await page.waitForSelector('#files-status[data-state="uploaded"], #files-status[data-state="failed"]');
    expect(await page.getAttribute('#files-status', 'data-state')).toBe('uploaded');
    expect((await fingerprint()).checksum).toBe(trained.checksum);
    expect((await predictOnPage()).output).toEqual(trainedPrediction.output);

    // The marker task's BasicRNN files do not fit the sentiment task: refused with a message, the model kept.
    await page.setInputFiles('#upload-model', [join(downloads, 'model.json'), join(downloads, 'weights.bin')]);
    await page.waitForSelector('#files-status[data-state="failed"]');
    expect(await page.textContent('#app-error')).toMatch(/BasicRNN on vectors; the sentiment task runs the embedding model on token ids/);
    expect((await fingerprint()).checksum).toBe(trained.checksum);
    expect(pageErrors).toEqual([]);
  });
  it('accepts sentiment models the CLI saved with --cell lstm and --cell gru: the summary, predictions and a worker restart keep the cell', async () => {
    // The previous test leaves the page on the sentiment task.
    const settings = await page.evaluate(() => (window as unknown as Demo).basicrnnDemo.state.get().settings as { task: string; hiddenSize: number; outputSize: number; seqLength: number });
    expect(settings.task).toBe('sentiment');
    const sentence = 'what a truly wonderful film';
    const ids = encodeIds([sentence], settings.seqLength);
    await setBackend('cpu');
    for (const [cell, className] of [['lstm', 'LSTM'], ['gru', 'GRU']] as const) {
      // The CLI's model and its save (main_job.ts saveModel), with weights the page never drew (seed 123).
      const model = sentimentModel({ cell, hiddenSize: settings.hiddenSize, outputSize: settings.outputSize, seed: 123 });
      model.build([null, settings.seqLength]);
      const x = tf.tensor2d(ids, [1, settings.seqLength], 'int32');
      const y = model.predict(x);
      const want = Array.from(y.dataSync());
      tf.dispose([x, y]);
      const dir = join(downloads, `cli-${cell}`);
      const files = await saveModel(model, dir);
      model.dispose();
      // model.json, its content-named weight shard(s) (weights.<hash>.bin), model.onnx: the first two are the upload.
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['model.json', expect.stringMatching(/^weights\..*\.bin$/), 'model.onnx']);

      await page.setInputFiles('#upload-model', files.slice(0, -1));
      await page.waitForSelector('#files-status[data-state="uploaded"], #files-status[data-state="failed"]');
      expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
      expect(await page.getAttribute('#files-status', 'data-state')).toBe('uploaded');
      expect(await page.textContent('#summary')).toContain(`(${className})`);
      expect(await page.textContent('#files-model')).toMatch(new RegExp(`embedding\\S* \\(Embedding\\) → ${cell}\\S* \\(${className}\\) → dense`));
      const got = await page.evaluate(async (text) => {
        const app = (window as unknown as Demo).basicrnnDemo;
        return (await app.engine.call('predict', { settings: app.state.get().settings, sentence: text })) as unknown as { output: number[] };
      }, sentence);
      expect(got.output).toHaveLength(want.length);
      got.output.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
      // The weights view names the gate blocks instead of drawing a SimpleRNN's W, U, b.
      await page.evaluate(() => ((document.querySelector('#weights-details') as HTMLDetailsElement).open = true));
      await page.waitForFunction((name) => document.querySelector('#weights-layer')?.textContent?.includes(`(${name}) layer's W`), className);
      expect(await page.isHidden('#weights-plot')).toBe(true);
    }
    // A new thread count restarts the worker with the model's snapshot: still the uploaded GRU, same weights.
    const before = await fingerprint();
    await page.evaluate(() => (window as unknown as { basicrnnDemo: { changeThreads(t: number): Promise<void> } }).basicrnnDemo.changeThreads(1));
    expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
    expect(await page.textContent('#summary')).toContain('(GRU)');
    const after = await fingerprint();
    expect(after.checksum).toBe(before.checksum);
    expect(after.output).toEqual(before.output);
    mkdirSync(join(appDir, 'test-output/e2e'), { recursive: true });
    for (const [section, name] of [['model-title', 'model-gru-weights'], ['files-title', 'model-files-gru-upload']] as const) {
      await page.locator(`section[aria-labelledby="${section}"]`).screenshot({ path: join(appDir, `test-output/e2e/${name}.png`) });
    }
    expect(pageErrors).toEqual([]);
  });
});
