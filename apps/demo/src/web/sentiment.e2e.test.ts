import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeIds } from '../tasks/index.js';

// The sentiment panel end to end (Vite dev server, Debian Chromium through Playwright): the worker builds and trains
// the CLI's embedding → SimpleRNN → Dense model (tasks/sentiment.ts) on int32 token ids, a typed sentence is scored
// on its token ids, the forward pass, weights and parity panels run that model, and axe finds nothing. Screenshots of
// the panel before and after training land in test-output/e2e/ (and in BASICRNN_SHOTS when set).

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
    chromiumArgs: string[];
  }
}

const appDir = fileURLToPath(new URL('../..', import.meta.url));
const outDirs = [`${appDir}test-output/e2e`, ...(process.env.BASICRNN_SHOTS ? [process.env.BASICRNN_SHOTS] : [])];
const SEQ_LENGTH = 8;

let browser: Browser;
let server: ViteDevServer;
let page: Page;
const consoleErrors: string[] = [];

interface DebugState {
  weightsChecksum: number;
  epochsDone: number;
  numTensors: number;
  model: { kind: string; input: string; layers: string[] };
}

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

function debugState(): Promise<DebugState> {
  return page.evaluate(() => (window as unknown as { basicrnnDemo: { debugState(): Promise<DebugState> } }).basicrnnDemo.debugState());
}

async function noAppError(): Promise<void> {
  expect(await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent))).toBeNull();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  );
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The sentiment panel alone, and the whole page, once fonts and the last frame are in. */
async function shot(name: string): Promise<void> {
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => r(null)))));
  for (const dir of outDirs) {
    await page.locator('section[aria-labelledby="sentiment-title"]').screenshot({ path: `${dir}/${name}-panel.png` });
    await page.screenshot({ path: `${dir}/${name}-page.png`, fullPage: true });
  }
}

/** Types a sentence, presses Predict, and waits for the answer to that sentence (its ids). */
async function predict(sentence: string): Promise<{ p: number; ids: number[] }> {
  await page.fill('#sentence', sentence);
  await page.click('#predict');
  const want = JSON.stringify([...encodeIds([sentence], SEQ_LENGTH)]);
  await page.waitForFunction((w) => document.querySelector('#sentiment-ids')?.getAttribute('data-ids') === w, want, { timeout: 30_000 });
  return {
    p: Number(await page.getAttribute('#sentiment-probability', 'data-p')),
    ids: JSON.parse((await page.getAttribute('#sentiment-ids', 'data-ids'))!) as number[],
  };
}

beforeAll(async () => {
  const executablePath = inject('chromiumPath');
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium (apt-get install -y chromium)`);
  for (const dir of outDirs) mkdirSync(dir, { recursive: true });
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
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}`);
  await page.waitForSelector('body[data-ready="true"], #app-error:not([hidden])', { timeout: 150_000 });
  await noAppError();
});

afterAll(async () => {
  await page?.context().close();
  await server?.close();
  await browser?.close();
});

describe('the sentiment panel runs the embedding model on token ids', () => {
  it('builds the CLI sentiment model in the worker when the task is chosen: embedding → SimpleRNN → Dense on token ids', async () => {
    // Before: the seed's BasicRNN on vectors, and the panel says the sentiment task has its own model.
    expect((await debugState()).model).toEqual({ kind: 'basicRNN', input: 'vectors', layers: ['simple_rnn (SimpleRNN)', 'dense (Dense)'] });
    expect(await page.textContent('#sentiment-model')).toMatch(/embedding of token ids → SimpleRNN → Dense/);
    await page.selectOption('#task', 'sentiment');
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent?.includes('(Embedding)'));
    const d = await debugState();
    expect(d.model.kind).toBe('sequential');
    expect(d.model.input).toBe('tokenIds');
    expect(d.model.layers.map((l) => l.replace(/^\S+ /, ''))).toEqual(['(Embedding)', '(SimpleRNN)', '(Dense)']);
    const summary = (await page.textContent('#summary'))!;
    expect(summary).toMatch(/\(None, 8, 16\)/); // the embedding's output: 16 features per word
    expect(await page.textContent('#sentiment-model')).toMatch(/^The model in the worker: embedding\S* \(Embedding\) → simple_rnn\S* \(SimpleRNN\) → dense\S* \(Dense\), on token ids/);
    // The forward pass runs the task's token ids and says what its input plot shows.
    await page.waitForFunction(() => document.querySelector('#input-shape')?.textContent === '(32, 8) token ids');
    expect(await page.textContent('#forward-input-note')).toMatch(/embedded words \(32, 8, 16\) that the SimpleRNN reads/);
    expect(await page.textContent('#forward-input-note')).toMatch(/· marks padding/);
    // The seed's "random" input is random word ids for this model (no padding, so no padding note).
    const runs = Number(await page.getAttribute('#working-plot', 'data-runs'));
    await page.selectOption('#exampleInput', 'random');
    await page.waitForFunction((n) => Number(document.querySelector('#working-plot')?.getAttribute('data-runs')) > n, runs);
    expect(await page.textContent('#input-shape')).toBe('(32, 8) token ids');
    expect(await page.textContent('#forward-input-note')).not.toMatch(/padding/);
    await page.selectOption('#exampleInput', 'task');
    await page.waitForFunction(() => document.querySelector('#forward-input-note')?.textContent?.includes('padding'));
    // Untrained: the prediction runs (on ids) and says it means nothing yet.
    const { ids } = await predict('the movie was not good at all');
    expect(ids).toEqual([...encodeIds(['the movie was not good at all'], SEQ_LENGTH)]);
    expect(ids.slice(-1)).toEqual([0]); // 7 words, then one 0 of padding
    expect(await page.textContent('#sentiment-result')).toMatch(/untrained/);
    // Chance has no colour: an untrained model gets no positive / negative verdict.
    expect(await page.textContent('.verdict strong')).toBe('untrained model');
    expect(await axeViolations()).toEqual([]);
    await shot('sentiment-before');
  });

  it('trains the model in the worker on token ids, then scores typed sentences from their ids', async () => {
    await page.fill('#epochs', '8');
    await page.dispatchEvent('#epochs', 'change');
    await page.click('#train');
    await page.waitForSelector('#train-status[data-state="training"]');
    await page.waitForSelector('#train-status[data-state="idle"], #app-error:not([hidden])', { timeout: 150_000 });
    await noAppError();
    const d = await debugState();
    expect(d.epochsDone).toBe(8);
    expect(d.model.input).toBe('tokenIds');
    // The held-out review's words label the training panel's hidden-state heatmap (the recurrent layer's states).
    expect(await page.textContent('#hidden-plot svg')).toMatch(/timestep \(word read\)/);
    const positive = await predict('i loved the film');
    const negative = await predict('the movie was not good at all');
    const unknown = await predict('what a zzzz hotel');
    expect(unknown.ids).toContain(1); // <unk>
    console.log(`P(positive): "i loved the film" ${positive.p.toFixed(3)}, "the movie was not good at all" ${negative.p.toFixed(3)}`);
    expect(positive.p).toBeGreaterThan(0.5);
    expect(negative.p).toBeLessThan(0.5);
    const last = await predict('the film was not good at all');
    expect(await page.textContent('.verdict strong')).toBe(last.p < 0.5 ? 'negative' : 'positive');
    expect(await page.textContent('#sentiment-result')).not.toMatch(/untrained/);
    expect(await axeViolations()).toEqual([]);
    await shot('sentiment-after');
  }, 200_000);

  it('shows the recurrent layer’s weights, and runs parity on every backend with the same token ids', async () => {
    await page.click('#weights-details > summary');
    await page.waitForSelector('#weights-plot svg');
    expect(await page.textContent('#weights-layer')).toMatch(/^W, U and b of the simple_rnn\S* \(SimpleRNN\) layer; W reads the 16 features the embedding gives each word/);
    await page.click('#weights-details > summary');
    expect(await page.textContent('#parity-what')).toMatch(/\(Embedding\).*the same token ids/);
    await page.click('#parity');
    await page.waitForSelector('#parity-plot[data-done="true"] svg, #app-error:not([hidden])', { timeout: 150_000 });
    await noAppError();
    const rows = await page.$$eval('#parity-table tbody tr', (trs) =>
      trs.map((tr) => ({
        backend: tr.getAttribute('data-backend'),
        diff: Number(tr.querySelector('[data-field="maxAbsDiff"]')?.getAttribute('data-value')),
        error: tr.querySelector('.error-cell')?.textContent ?? null,
      })),
    );
    console.log(`parity on the sentiment model: ${JSON.stringify(rows)}`);
    expect(rows.map((r) => r.error)).toEqual(rows.map(() => null));
    expect(rows.map((r) => r.backend)).toContain('wasm');
    for (const row of rows) expect(row.diff).toBeLessThan(1e-4);
    expect(await page.textContent('#parity-status')).toMatch(/input \(32, 8\)/);
    expect(await axeViolations()).toEqual([]);
  }, 200_000);

  it('logged no console errors and holds no leaked tensors across predictions and forward passes', async () => {
    const before = (await debugState()).numTensors;
    await predict('i really enjoyed the show');
    await predict('this book is so bland');
    const runs = Number(await page.getAttribute('#working-plot', 'data-runs'));
    await page.click('#forward');
    await page.waitForFunction((n) => Number(document.querySelector('#working-plot')?.getAttribute('data-runs')) > n, runs);
    expect((await debugState()).numTensors).toBe(before);
    expect(consoleErrors).toEqual([]);
  });
});
