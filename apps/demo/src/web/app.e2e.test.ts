import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeIds } from '../tasks/index.js';

// The web app end to end: the Vite dev server `pnpm demo` runs (COOP + COEP), Debian Chromium through Playwright.
// The tests share one page and run in order, like a user session. The model runs in a module worker; the page must
// answer clicks while it trains (measured), and axe-core must find nothing at desktop and phone widths.

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
    chromiumArgs: string[];
  }
}

const appDir = fileURLToPath(new URL('../..', import.meta.url));
const outDir = `${appDir}test-output/e2e`;

let browser: Browser;
let page: Page;
let session: Session;

/** One browser context on one server, with everything the page logs or fetches recorded. */
interface Session {
  origin: string;
  page: Page;
  consoleErrors: string[];
  consoleWarnings: string[];
  foreignRequests: string[];
  /** Main-frame navigations: the first load, then one per reload. */
  navigations: number;
}

const DESKTOP = { width: 1360, height: 900 };
const PHONE = { width: 390, height: 844 };

async function openSession(origin: string, cores = 8): Promise<Session> {
  const context = await browser.newContext({ viewport: DESKTOP });
  // The threaded wasm build sizes its pool from hardwareConcurrency, 2 on this machine (one thread): pretend 8,
  // so that asking for 4 threads gives 4 (DESIGN.md, environment facts). Init scripts do not run in workers: the
  // page hands its reading to the model worker (protocol.ts, init), which is what this checks too.
  await context.addInitScript((n) => {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { configurable: true, get: () => n });
  }, cores);
  const opened: Session = { origin, page: await context.newPage(), consoleErrors: [], consoleWarnings: [], foreignRequests: [], navigations: 0 };
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) opened.foreignRequests.push(url);
  });
  opened.page.on('console', (message) => {
    if (message.type() === 'error') opened.consoleErrors.push(message.text());
    if (message.type() === 'warning') opened.consoleWarnings.push(message.text());
  });
  opened.page.on('pageerror', (error) => opened.consoleErrors.push(`page error: ${error.message}`));
  opened.page.on('framenavigated', (frame) => {
    if (frame === opened.page.mainFrame()) opened.navigations++;
  });
  return opened;
}

/** The end of every session: nothing went wrong quietly, and nothing was fetched from anywhere else. */
function expectCleanSession(s: Session): void {
  // SwiftShader's "GPU stall due to ReadPixels" warnings are expected; they are shown, not failed on.
  if (s.consoleWarnings.length > 0) console.log(`console warnings:\n${s.consoleWarnings.join('\n')}`);
  expect(s.consoleErrors).toEqual([]);
  expect(s.foreignRequests).toEqual([]);
}

interface DebugState {
  weightsChecksum: number;
  epochsDone: number;
  stopLatencyMs: number | null;
  backend: string;
  numTensors: number;
}

// axe-core, pinned exactly in package.json, injected into the page as its own script text.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core over the whole page (every rule axe enables by default) and returns the violations. */
async function axeViolations(): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary?.slice(0, 200) })) }));
}

/** Axe results by width, for the log at the end. */
const axeLog: string[] = [];

async function expectNoAxeViolations(when: string): Promise<void> {
  const violations = await axeViolations();
  const width = page.viewportSize()?.width;
  axeLog.push(`${when} at ${width} px: ${violations.length} violations${violations.length ? ` (${violations.map((v) => `${v.id} ×${v.nodes.length}`).join(', ')})` : ''}`);
  expect(violations, `axe at ${width} px, ${when}`).toEqual([]);
}

/** The 95th percentile (nearest rank) of a sample. */
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1]!;
}

/**
 * Clicks the weights' disclosure `n` times and measures, in the page, the time from each click's input timestamp
 * (`event.timeStamp`: when the browser received it, so time spent queued behind a busy main thread counts) to the
 * first frame after the page answered (the `toggle` handler ran, then a frame was produced).
 */
async function clickLatencies(n: number): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { latencyProbe?: { times: number[]; stop: AbortController } };
    w.latencyProbe?.stop.abort();
    const stop = new AbortController();
    const probe = { times: [] as number[], stop };
    w.latencyProbe = probe;
    let clickedAt = 0;
    document.querySelector('#weights-details > summary')!.addEventListener('click', (e) => (clickedAt = e.timeStamp), { capture: true, signal: stop.signal });
    document.querySelector('#weights-details')!.addEventListener(
      'toggle',
      () => {
        const start = clickedAt;
        requestAnimationFrame(() => setTimeout(() => probe.times.push(performance.now() - start), 0));
      },
      { signal: stop.signal },
    );
  });
  // One click first, not counted: the first toggle of a page pays for one-time work (style, fonts, the weights' view).
  for (let k = 1; k <= 2; k++) {
    await page.click('#weights-details > summary');
    await page.waitForFunction((j) => (window as unknown as { latencyProbe: { times: number[] } }).latencyProbe.times.length >= j, k, { timeout: 10_000 });
  }
  await page.evaluate(() => ((window as unknown as { latencyProbe: { times: number[] } }).latencyProbe.times.length = 0));
  for (let i = 0; i < n; i++) {
    await page.click('#weights-details > summary');
    await page.waitForFunction((k) => (window as unknown as { latencyProbe: { times: number[] } }).latencyProbe.times.length >= k, i + 1, { timeout: 10_000 });
    await page.waitForTimeout(40);
  }
  return page.evaluate(() => {
    const probe = (window as unknown as { latencyProbe: { times: number[]; stop: AbortController } }).latencyProbe;
    probe.stop.abort();
    return probe.times;
  });
}

/** Click-latency p95 per backend, for the log at the end. */
const latencyLog: string[] = [];

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

async function shot(name: string, docsName?: string): Promise<void> {
  // From the top, once the shipped font has loaded and the last frame has painted.
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    return document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  });
  await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
  if (docsName !== undefined && process.env.BASICRNN_DOCS_SCREENSHOT === '1') {
    // The README's pictures (apps/demo/docs/): the top of the page, where the output is (on a phone, down to the end
    // of the forward pass, so the hidden state's time axis with its words is in).
    const { width } = page.viewportSize()!;
    const forwardEnd = await page.$eval('#forward-panel', (e) => Math.ceil(e.getBoundingClientRect().bottom + window.scrollY) + 16);
    await page.screenshot({ path: `${appDir}docs/${docsName}.png`, fullPage: true, clip: { x: 0, y: 0, width, height: width < 600 ? forwardEnd : 1800 } });
  }
}

function debugState(): Promise<DebugState> {
  return page.evaluate(() => (window as unknown as { basicrnnDemo: { debugState(): DebugState } }).basicrnnDemo.debugState());
}

async function waitReady(): Promise<void> {
  // The first load of a cold dev server pre-bundles tfjs first.
  await waitForApp('body[data-ready="true"]', 150_000);
}

/** Waits until the app is idle again (nothing training, no parity run, no worker restart). */
async function waitIdle(timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => !(document.querySelector('#train') as HTMLButtonElement).disabled || document.querySelector('#train-problem')?.textContent !== '', null, { timeout });
}

async function setNumber(id: string, value: number): Promise<void> {
  await page.fill(`#${id}`, String(value));
  await page.dispatchEvent(`#${id}`, 'change');
}

async function chooseBackend(name: string): Promise<void> {
  await page.click(`.segmented label:has(input[value="${name}"])`);
  await page.waitForSelector(`#backend-pill[data-backend="${name}"]`, { timeout: 60_000 });
}

/** The cells of a backend's row in "What each backend reported", by field. */
async function reported(name: string): Promise<Record<string, string>> {
  return page.$$eval(`#backend-table tr[data-backend="${name}"] td[data-field]`, (cells) =>
    Object.fromEntries(cells.map((c) => [c.getAttribute('data-field')!, c.textContent ?? ''])),
  );
}

/** Waits for `selector`, failing at once with the app's own message if it shows an error instead. */
async function waitForApp(selector: string, timeout: number): Promise<void> {
  await page.waitForSelector(`${selector}, #app-error:not([hidden])`, { timeout });
  const error = await page.$eval('#app-error', (e) => ((e as HTMLElement).hidden ? null : e.textContent));
  expect(error, 'the app reported an error').toBeNull();
}

async function epochsDone(): Promise<number> {
  return Number((await page.getAttribute('#train-status', 'data-epochs')) ?? 0);
}

beforeAll(async () => {
  const executablePath = inject('chromiumPath');
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium (apt-get install -y chromium)`);
  }
  mkdirSync(outDir, { recursive: true });
  browser = await chromium.launch({ executablePath, args: inject('chromiumArgs') });
});

afterAll(async () => {
  await browser?.close();
});

describe('web app (Vite dev server, as `pnpm demo`)', () => {
  let server: ViteDevServer;

  beforeAll(async () => {
    const port = await freePort();
    server = await createServer({
      configFile: `${appDir}vite.config.ts`,
      root: appDir,
      // Its own pre-bundle cache: a `pnpm demo` running beside the test must not re-optimize under it.
      cacheDir: `${appDir}node_modules/.vite-e2e`,
      logLevel: 'warn',
      // No HMR: files other people edit must not reload the page under the test.
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    });
    await server.listen();
    session = await openSession(`http://127.0.0.1:${port}`);
    page = session.page;
  });

  afterAll(async () => {
    console.log(`click latency during training (p95 of 20, ms):\n${latencyLog.join('\n')}\naxe:\n${axeLog.join('\n')}`);
    await page?.context().close();
    await server?.close();
  });

  it('loads cross-origin isolated, starts wasm in the model worker, introduces the RNN and runs a forward pass on load', async () => {
    await page.goto(session.origin);
    await waitReady();
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.getAttribute('#backend-pill', 'data-backend')).toBe('wasm');
    expect(await page.textContent('#summary')).toContain('simple_rnn (SimpleRNN)');
    expect(await page.textContent('#summary')).toContain('4,800'); // 64·(10+64+1): the seed's model
    // The model runs in a module worker of this page, not on the page.
    const model = page.workers().find((w) => w.url().includes('worker'));
    expect(model, 'the model worker').toBeDefined();
    expect(await model!.evaluate(() => typeof document)).toBe('undefined');
    // An introduction and a first step, and the forward pass already drawn: the three panels and h(t) over time.
    expect(await page.textContent('#intro-title')).toContain('recurrent network');
    expect(await page.textContent('.first-steps')).toMatch(/Try this first/);
    await page.waitForSelector('#working-plot svg');
    await page.waitForSelector('#forward-hidden-plot svg');
    expect(await page.textContent('#forward-hidden-plot svg')).toContain('Hidden state over time');
    expect(await page.textContent('#input-shape')).toBe('(32, 20, 10)');
    await shot('01-loaded', 'web-app');
    await expectNoAxeViolations('on load');
  });

  it('switches live between cpu, wasm and webgl in the worker (webgl through OffscreenCanvas), keeping the weights', async () => {
    const before = await debugState();
    await chooseBackend('cpu');
    expect((await debugState()).backend).toBe('cpu');
    await chooseBackend('webgl');
    // WebGL answered from a worker: there is no document there, so tfjs-backend-webgl made its context on an
    // OffscreenCanvas (its canvas_util does so for WebGL 2 whenever OffscreenCanvas exists).
    const model = page.workers().find((w) => w.url().includes('worker'))!;
    expect(await model.evaluate(() => typeof OffscreenCanvas)).toBe('function');
    const webgl = await reported('webgl');
    expect(webgl.webglVersion).toBe('2');
    expect(webgl.floatPrecision).toMatch(/^(16|32) bit$/);
    expect(webgl.float32Textures).toMatch(/^(yes|no)$/);
    expect(webgl.fusedKernels).toMatch(/^(yes|no)$/);
    await chooseBackend('wasm');
    const wasm = await reported('wasm');
    expect(wasm.simd).toBe('yes');
    expect(Number(wasm.threads)).toBeGreaterThanOrEqual(1);
    expect(wasm.binary).toBe('wasm-threaded-simd');
    const cpu = await reported('cpu');
    expect(cpu.simd).toBe('–');
    const after = await debugState();
    expect(after.weightsChecksum).toBeCloseTo(before.weightsChecksum, 3);
    expect(session.navigations).toBe(1);
  });

  it('shows a visible focus ring on the backend buttons when reached by keyboard', async () => {
    await page.focus('#threads');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('backend');
    const ring = await page.$eval('.segmented', (g) => {
      const style = getComputedStyle(g);
      return { width: parseFloat(style.outlineWidth), style: style.outlineStyle, color: style.outlineColor };
    });
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expect(ring.color).toBe('rgb(29, 35, 48)'); // the ink colour: dark on the white page and on the blue segment
    await page.locator('#backend-fields').screenshot({ path: `${outDir}/focus-ring.png` });
    // A mouse click does not draw it.
    await page.click('#summary');
    expect(await page.$eval('.segmented', (g) => getComputedStyle(g).outlineStyle)).toBe('none');
  });

  it("shows a bad value's error right under its field, and clears it when fixed", async () => {
    await page.fill('#hiddenSize', '0');
    await page.dispatchEvent('#hiddenSize', 'change');
    const error = page.locator('#hiddenSize-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/^Expected 1 to 512, got 0; the previous value \(64\) stays in use\.$/);
    expect(await page.getAttribute('#hiddenSize', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#hiddenSize', 'aria-describedby')).toBe('hiddenSize-error');
    const field = (await page.locator('#hiddenSize').boundingBox())!;
    const box = (await error.boundingBox())!;
    expect(box.y - (field.y + field.height)).toBeGreaterThanOrEqual(0);
    expect(box.y - (field.y + field.height)).toBeLessThan(12);
    expect(Math.abs(box.x - field.x)).toBeLessThan(4);
    expect(await page.textContent('#summary')).toContain('4,800'); // the model did not change
    await setNumber('hiddenSize', 64);
    expect(await error.isHidden()).toBe(true);
    expect(await page.getAttribute('#hiddenSize', 'aria-invalid')).toBeNull();
  });

  it('runs the forward pass: shapes and the three panels, for the seed and for other settings', async () => {
    await page.click('#forward');
    await page.waitForSelector('#working-plot svg');
    expect(await page.textContent('#input-shape')).toBe('(32, 20, 10)');
    expect(await page.textContent('#output-shape')).toBe('(32, 1)');
    expect(await page.textContent('#state-shape')).toBe('(32, 64)');
    const svg = await page.$eval('#working-plot svg', (s) => s.getBoundingClientRect().height);
    expect(svg).toBeGreaterThan(150);
    await page.click('#weights-details > summary');
    await page.waitForSelector('#weights-plot svg');
    await shot('03-forward');
    await page.click('#weights-details > summary');
    // Repeated passes free what they allocate (in the worker).
    const held = (await debugState()).numTensors;
    for (let i = 0; i < 3; i++) await page.click('#forward');
    await page.waitForFunction(() => Number(document.querySelector('#working-plot')?.getAttribute('data-runs')) >= 4);
    expect((await debugState()).numTensors).toBe(held);

    await setNumber('hiddenSize', 24);
    await page.check('#returnSequences');
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent?.includes('(None, 20, 24)'));
    await page.waitForFunction(() => document.querySelector('#output-shape')?.textContent === '(32, 20, 1)');
    expect(await page.textContent('#state-shape')).toBe('(32, 24)');
    expect(await page.textContent('#train-problem')).toContain('Return sequences does not fit the marker task');
    expect(await page.isDisabled('#train')).toBe(true);
    await page.uncheck('#returnSequences');
    await setNumber('hiddenSize', 32);
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent?.includes('(None, 32)'));
    // A shown forward pass stays live: another input redraws it at once.
    const runs = Number(await page.getAttribute('#working-plot', 'data-runs'));
    await page.selectOption('#exampleInput', 'task');
    // At least one more run: a redraw from the hidden-size change may still land after `runs` was read.
    await page.waitForFunction((n) => Number(document.querySelector('#working-plot')?.getAttribute('data-runs')) >= n + 1, runs);
    await page.selectOption('#exampleInput', 'random');
  });

  it('trains with live curves and hidden states, stops within a second, resumes the same model, and keeps keyboard focus', async () => {
    await setNumber('epochs', 40);
    // By keyboard: Train is disabled while it trains, so focus moves to Stop, and back to Train when it ends.
    await page.focus('#train');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => Number(document.querySelector('#train-status')?.getAttribute('data-epochs') ?? 0) >= 2, null, { timeout: 60_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('stop');
    expect(await page.$$eval('#curves-plot svg path', (paths) => paths.length)).toBeGreaterThan(0);
    await page.waitForFunction(() => Number(document.querySelector('#hidden-plot')?.getAttribute('data-epoch')) >= 1);
    // Controls that would switch the backend or reshape the model are locked while training runs.
    expect(await page.isDisabled('input[name="backend"][value="cpu"]')).toBe(true);

    const t0 = Date.now();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 5_000 });
    const observed = Date.now() - t0;
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('train');
    const { stopLatencyMs, epochsDone: stoppedAt } = await debugState();
    expect(stopLatencyMs).not.toBeNull();
    expect(stopLatencyMs!).toBeLessThan(1000);
    expect(observed).toBeLessThan(1000);
    expect(stoppedAt).toBeLessThan(40);
    expect(await page.textContent('#train')).toMatch(/^Resume \(\d+ epochs left\)$/);
    await shot('04-stopped');

    const weightsBefore = (await debugState()).weightsChecksum;
    await page.click('#train');
    await page.waitForFunction((n) => Number(document.querySelector('#train-status')?.getAttribute('data-epochs') ?? 0) >= n + 1, stoppedAt, {
      timeout: 60_000,
    });
    await page.click('#stop');
    await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 5_000 });
    const resumed = await debugState();
    expect(resumed.epochsDone).toBeGreaterThan(stoppedAt);
    expect(resumed.weightsChecksum).not.toBeCloseTo(weightsBefore, 6);
    // The curves continue after the earlier epochs instead of starting again.
    await page.waitForFunction((n) => document.querySelector('#curves-plot svg')?.textContent?.includes(`epoch ${n}:`), resumed.epochsDone);
    await expectNoAxeViolations('after training');
  });

  // The page answers while the worker trains: 20 clicks on a cheap control per backend, p95 within 100 ms. The same
  // 20 clicks with nothing running come first, as the machine's own floor: where other suites load these 2 cores so
  // much that an idle page's p95 exceeds 33 ms, the bound is 3× that idle p95 instead (the log shows both). Unloaded,
  // the bound is exactly 100 ms. The page before the worker (training on the main thread) took 240–2,400 ms per
  // click and fails either bound. One retry (a fresh idle and training sample): on a slower machine of this kind
  // the cpu row once read p95 139.6 against a bound of 136 (median 45); a page that blocks fails both tries.
  for (const backend of ['cpu', 'wasm', 'webgl'] as const) {
    it(`answers clicks within 100 ms (p95 of 20) while training on ${backend}`, { timeout: 150_000, retry: 1 }, async () => {
      await chooseBackend(backend);
      const idle = await clickLatencies(20);
      await setNumber('epochs', 500);
      await page.click('#train');
      await page.waitForFunction(() => Number((document.querySelector('#train-progress') as HTMLProgressElement).value) >= 1 || Number(document.querySelector('#train-status')?.getAttribute('data-epochs')) > 0, null, { timeout: 60_000 });
      const latencies = await clickLatencies(20);
      const stillTraining = await page.getAttribute('#train-status', 'data-state');
      const status = await page.textContent('#train-status');
      if (stillTraining === 'training') await page.click('#stop');
      await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 15_000 });
      const bound = Math.max(100, 3 * p95(idle));
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[10]!.toFixed(1);
      latencyLog.push(
        `${backend}: training p95 ${p95(latencies).toFixed(1)} (median ${median(latencies)}, max ${Math.max(...latencies).toFixed(1)}); ` +
          `idle p95 ${p95(idle).toFixed(1)} (median ${median(idle)}); bound ${bound.toFixed(0)}`,
      );
      expect(stillTraining, `the clicks all landed during training; status: ${status}; error: ${await page.textContent('#app-error')}`).toBe('training');
      expect(latencies).toHaveLength(20);
      expect(p95(latencies)).toBeLessThan(bound);
    });
  }

  it('draws the forecast over its target on the sine task', async () => {
    await chooseBackend('wasm');
    await page.selectOption('#task', 'sine');
    await page.selectOption('#exampleInput', 'task');
    await page.waitForSelector('#working-plot .viz-target', { state: 'attached' });
    expect(await page.textContent('#forward-target')).toContain('target');
    expect(await page.textContent('#working-plot svg')).toMatch(/dashed:\s*the target/);
  });

  it('trains the sentiment task, scores a sentence typed by the user, and puts the words on the time axis', async () => {
    await page.selectOption('#task', 'sentiment');
    expect(await page.inputValue('#seqLength')).toBe('8');
    await setNumber('epochs', 6);
    await page.click('#train');
    await page.waitForSelector('#train-status[data-state="training"]');
    await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 90_000 });
    expect(await epochsDone()).toBe(6);
    await page.fill('#sentence', 'i loved the film');
    await page.click('#predict');
    await page.waitForFunction(() => document.querySelector('#sentiment-result .chip')?.textContent === 'i');
    const positive = Number(await page.getAttribute('#sentiment-probability', 'data-p'));
    await page.fill('#sentence', 'the movie was not good at all');
    await page.click('#predict');
    await page.waitForFunction(() => document.querySelector('#sentiment-result .chip')?.textContent === 'the');
    const negative = Number(await page.getAttribute('#sentiment-probability', 'data-p'));
    // The worker's model is the CLI's embedding model, and it read the sentence as token ids (0 pads at the end).
    expect(await page.textContent('#summary')).toContain('(Embedding)');
    expect(JSON.parse((await page.getAttribute('#sentiment-ids', 'data-ids'))!)).toEqual([...encodeIds(['the movie was not good at all'], 8)]);
    expect(positive).toBeGreaterThan(0.5);
    expect(negative).toBeLessThan(0.5);
    // The held-out review's words label the heatmap's time axis, in the training panel and in the forward pass.
    const vocabulary = /\b(the|this|was|is|not|i|movie|film|book|food|show|service|music|game|hotel|story|meal|play)\b/;
    expect(await page.textContent('#hidden-plot svg')).toMatch(/timestep \(word read\)/);
    expect(await page.textContent('#hidden-plot svg')).toMatch(vocabulary);
    await page.waitForFunction(() => document.querySelector('#forward-hidden-plot svg')?.textContent?.includes('timestep (word read)'));
    await shot('05-sentiment');
    if (process.env.BASICRNN_DOCS_SCREENSHOT === '1') {
      // The README's picture of the sentiment panel: the trained model's verdict and the token ids it read.
      await page.locator('section[aria-labelledby="sentiment-title"]').screenshot({ path: `${appDir}docs/web-app-sentiment.png` });
    }
  });

  it('runs the same input on every backend with progress, shows parity with cpu, and can be cancelled', async () => {
    await page.click('#parity');
    await page.waitForFunction(() => Number((document.querySelector('#parity-progress') as HTMLProgressElement).max) > 1);
    expect(await page.textContent('#parity')).toBe('Cancel');
    // Generous: other engineers' browser suites share the two cores and SwiftShader compiles every shader on them.
    await waitForApp('#parity-plot[data-done="true"] svg', 150_000);
    const rows = await page.$$eval('#parity-table tbody tr', (trs) =>
      trs.map((tr) => ({
        backend: tr.getAttribute('data-backend'),
        diff: Number(tr.querySelector('[data-field="maxAbsDiff"]')?.getAttribute('data-value')),
        error: tr.querySelector('.error-cell')?.textContent ?? null,
      })),
    );
    expect(rows.map((r) => r.error)).toEqual([null, null, null]);
    expect(rows.map((r) => r.backend)).toEqual(['cpu', 'wasm', 'webgl']);
    expect(rows[0]!.diff).toBe(0);
    for (const row of rows) expect(row.diff).toBeLessThan(1e-4);
    // Parity puts the backend that was active back.
    expect(await page.getAttribute('#backend-pill', 'data-backend')).toBe('wasm');
    expect(await page.textContent('#parity-status')).toMatch(/^Done: 3 backends/);
    await shot('06-parity');
    await expectNoAxeViolations('after a parity run');

    // Cancel: the same button, answered after the current measurement, with focus kept on it.
    await page.click('#parity');
    await page.waitForFunction(() => document.querySelector('#parity-table tbody tr[data-backend="cpu"]') !== null, null, { timeout: 60_000 });
    const t0 = Date.now();
    await page.click('#parity');
    await page.waitForSelector('#parity-status[data-cancelled="true"]', { timeout: 30_000 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await page.textContent('#parity-status')).toMatch(/^Cancelled after \d of 3 backends\.$/);
    expect(await page.textContent('#parity')).toBe('Run on every backend');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('parity');
    expect(await page.getAttribute('#backend-pill', 'data-backend')).toBe('wasm');
  }, 240_000);

  it('changes the wasm thread count by restarting the worker: no reload, same model, an honest report', async () => {
    const before = await debugState();
    const probability = await page.getAttribute('#sentiment-probability', 'data-p');
    const navigationsBefore = session.navigations;
    await page.selectOption('#threads', '4');
    await page.waitForFunction(() => document.querySelector('#threads-hint')?.textContent?.startsWith('Asked 4, got'), null, { timeout: 60_000 });
    await page.waitForSelector('#backend-pill[data-backend="wasm"]');
    // Exactly the count asked for: the page reports 8 cores, and the worker was told so.
    expect(Number((await reported('wasm')).threads)).toBe(4);
    expect(await page.textContent('#threads-hint')).toBe('Asked 4, got 4; the browser reports 8 cores. Changing it restarts the model worker; the model is kept.');
    expect(await page.textContent('#backend-pill')).toContain('4 threads');
    expect(session.navigations).toBe(navigationsBefore);
    // The model: the same weights and epochs, so the same answer for the same sentence; settings and curves stay.
    const after = await debugState();
    expect(after.weightsChecksum).toBeCloseTo(before.weightsChecksum, 3);
    expect(after.epochsDone).toBe(before.epochsDone);
    await page.click('#predict');
    await page.waitForFunction((p) => document.querySelector('#sentiment-probability')?.getAttribute('data-p') !== null && p !== null, probability);
    expect(Number(await page.getAttribute('#sentiment-probability', 'data-p'))).toBeCloseTo(Number(probability), 4);
    expect(await page.inputValue('#task')).toBe('sentiment');
    expect(await page.$eval('#curves-plot svg', (s) => s.textContent ?? '')).toContain(`epoch ${before.epochsDone}:`);
  });

  it('lays out for a phone: output before the settings, plots at full width with readable text, no axe violations', async () => {
    await page.setViewportSize(PHONE);
    await page.waitForFunction(() => Math.abs((document.querySelector('#working-plot svg') as SVGSVGElement).getBoundingClientRect().width - (document.querySelector('#working-plot') as HTMLElement).clientWidth) < 2);
    const layout = await page.evaluate(() => {
      const top = (s: string) => document.querySelector(s)!.getBoundingClientRect().top;
      const shown = [...document.querySelectorAll<SVGSVGElement>('.plot svg.basicrnn-viz')].filter((svg) => svg.checkVisibility());
      const plots = shown.map((svg) => {
        const host = svg.parentElement!;
        const rendered = svg.getBoundingClientRect().width;
        const drawn = Number(svg.getAttribute('width'));
        return { id: host.id, widthShare: rendered / host.clientWidth, textScale: rendered / drawn, hostWidth: host.clientWidth };
      });
      return {
        forward: top('#forward-panel'),
        settings: top('#settings-panel'),
        scrollWidth: document.documentElement.scrollWidth,
        plots,
      };
    });
    expect(layout.forward).toBeLessThan(layout.settings);
    expect(layout.scrollWidth).toBeLessThanOrEqual(PHONE.width);
    expect(layout.plots.length).toBeGreaterThanOrEqual(4);
    for (const plot of layout.plots) {
      // Full width of its card, and drawn at (about) that width: 11 px labels stay at least 10 px on screen.
      expect(plot.widthShare, plot.id).toBeGreaterThan(0.97);
      expect(plot.textScale * 11, plot.id).toBeGreaterThanOrEqual(10);
    }
    await shot('09-phone', 'web-app-phone');
    await expectNoAxeViolations('after training and parity');
    await page.setViewportSize(DESKTOP);
  });

  it('logged no console errors and fetched nothing outside its own server', () => {
    expectCleanSession(session);
  });

  it('says why wasm got fewer threads than asked when the browser reports fewer cores', async () => {
    const few = await openSession(session.origin, 2);
    const previous = page;
    page = few.page;
    try {
      await page.goto(few.origin);
      await waitReady();
      await page.selectOption('#threads', '8');
      await page.waitForFunction(() => document.querySelector('#threads-hint')?.textContent?.startsWith('Asked 8, got'), null, { timeout: 60_000 });
      const got = Number((await reported('wasm')).threads);
      expect(got).toBeLessThan(8);
      expect(await page.textContent('#threads-hint')).toBe(
        `Asked 8, got ${got} — the pool never exceeds the cores: the browser reports 2 cores. Changing it restarts the model worker; the model is kept.`,
      );
      expectCleanSession(few);
    } finally {
      await few.page.context().close();
      page = previous;
    }
  });
});

describe('web app (production build: vite build + preview)', () => {
  let server: PreviewServer;

  beforeAll(async () => {
    const outDirBuild = `${appDir}test-output/e2e-build`;
    await build({ configFile: `${appDir}vite.config.ts`, root: appDir, logLevel: 'warn', build: { outDir: outDirBuild, emptyOutDir: true } });
    const port = await freePort();
    server = await preview({
      configFile: `${appDir}vite.config.ts`,
      root: appDir,
      logLevel: 'warn',
      build: { outDir: outDirBuild },
      preview: { host: '127.0.0.1', port, strictPort: true },
    });
    session = await openSession(`http://127.0.0.1:${port}`);
    page = session.page;
  });

  afterAll(async () => {
    await page?.context().close();
    await new Promise((resolve) => server?.httpServer.close(resolve));
  });

  // The bundle differs from the dev server's: minification once broke tfjs's wasm threads (they start from the
  // factory's source text), which only a built page shows.
  it('starts threaded wasm, switches to webgl and back, and runs a forward pass', async () => {
    await page.goto(session.origin);
    await waitReady();
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const wasm = await reported('wasm');
    expect(wasm.binary).toBe('wasm-threaded-simd');
    expect(Number(wasm.threads)).toBeGreaterThanOrEqual(2);
    await chooseBackend('webgl');
    expect((await reported('webgl')).webglVersion).toBe('2');
    await chooseBackend('wasm');
    await page.click('#forward');
    await page.waitForSelector('#working-plot svg');
    expect(await page.textContent('#output-shape')).toBe('(32, 1)');
    // The shipped font came from the bundle's assets.
    expect(await page.evaluate(() => [...document.fonts].filter((f) => f.family.includes('IBM Plex Sans') && f.status === 'loaded').length)).toBe(2);
    await shot('08-build');
    expectCleanSession(session);
  });
});
