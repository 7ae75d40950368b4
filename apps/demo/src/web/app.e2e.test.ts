import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The web app end to end: the Vite dev server `pnpm demo` runs (COOP + COEP), Debian Chromium through Playwright.
// The tests share one page and run in order, like a user session.

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

async function openSession(origin: string): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  // The threaded wasm build sizes its pool from hardwareConcurrency, 2 on this machine (one thread): pretend 8,
  // so that asking for 4 threads gives 4 (DESIGN.md, environment facts).
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { configurable: true, get: () => 8 });
  });
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

async function shot(name: string): Promise<void> {
  // From the top, once the shipped font has loaded and the last frame has painted.
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    return document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  });
  await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
}

function debugState(): Promise<DebugState> {
  return page.evaluate(() => (window as unknown as { basicrnnDemo: { debugState(): DebugState } }).basicrnnDemo.debugState());
}

async function waitReady(): Promise<void> {
  // The first load of a cold dev server pre-bundles tfjs first.
  await waitForApp('body[data-ready="true"]', 150_000);
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
    await page?.context().close();
    await server?.close();
  });

  it('loads cross-origin isolated and starts on wasm', async () => {
    await page.goto(session.origin);
    await waitReady();
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await page.getAttribute('#backend-pill', 'data-backend')).toBe('wasm');
    expect(await page.textContent('#summary')).toContain('simple_rnn (SimpleRNN)');
    expect(await page.textContent('#summary')).toContain('4,800'); // 64·(10+64+1): the seed's model
    await shot('01-loaded');
  });

  it('switches live between cpu, wasm and webgl, keeping the weights and showing what each reported', async () => {
    const before = await debugState();
    await chooseBackend('cpu');
    expect((await debugState()).backend).toBe('cpu');
    await chooseBackend('webgl');
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
    await shot('02-backends');
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
    // Repeated passes free what they allocate.
    const tensors = () => page.textContent('#memory');
    const held = await tensors();
    for (let i = 0; i < 3; i++) await page.click('#forward');
    expect(await tensors()).toBe(held);

    await setNumber('hiddenSize', 24);
    await page.check('#returnSequences');
    expect(await page.textContent('#summary')).toContain('(None, 20, 24)');
    await page.click('#forward');
    await page.waitForSelector('#working-plot svg');
    expect(await page.textContent('#output-shape')).toBe('(32, 20, 1)');
    expect(await page.textContent('#state-shape')).toBe('(32, 24)');
    expect(await page.textContent('#train-problem')).toContain('Return sequences does not fit the marker task');
    expect(await page.isDisabled('#train')).toBe(true);
    await page.uncheck('#returnSequences');
    await setNumber('hiddenSize', 32);
    expect(await page.textContent('#summary')).toContain('(None, 32)');
    // A shown forward pass stays live: another input redraws it at once.
    const runs = Number(await page.getAttribute('#working-plot', 'data-runs'));
    await page.selectOption('#exampleInput', 'task');
    expect(Number(await page.getAttribute('#working-plot', 'data-runs'))).toBe(runs + 1);
    await page.selectOption('#exampleInput', 'random');
  });

  it('trains with live curves and hidden states, stops within a second, and resumes the same model', async () => {
    await setNumber('epochs', 40);
    await page.click('#train');
    await page.waitForFunction(() => Number(document.querySelector('#train-status')?.getAttribute('data-epochs') ?? 0) >= 2, null, { timeout: 60_000 });
    expect(await page.$$eval('#curves-plot svg path', (paths) => paths.length)).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('#hidden-plot', 'data-epoch'))).toBeGreaterThanOrEqual(2);
    // Controls that would switch the backend or reshape the model are locked while training runs.
    expect(await page.isDisabled('input[name="backend"][value="cpu"]')).toBe(true);

    const t0 = Date.now();
    await page.click('#stop');
    await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 5_000 });
    const observed = Date.now() - t0;
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
    const lastEpochNote = await page.$eval('#curves-plot svg', (s) => s.textContent ?? '');
    expect(lastEpochNote).toContain(`epoch ${resumed.epochsDone}:`);
    if (process.env.BASICRNN_DOCS_SCREENSHOT === '1') {
      // The README's picture (apps/demo/docs/web-app.png): the seed's experiment, run forward and trained.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${appDir}docs/web-app.png`, fullPage: true, clip: { x: 0, y: 0, width: 1360, height: 1700 } });
    }
  });

  it('trains the sentiment task and scores a sentence typed by the user', async () => {
    await page.selectOption('#task', 'sentiment');
    expect(await page.inputValue('#seqLength')).toBe('8');
    await setNumber('epochs', 6);
    await page.click('#train');
    await page.waitForSelector('#train-status[data-state="training"]');
    await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 90_000 });
    expect(await epochsDone()).toBe(6);
    await page.fill('#sentence', 'i loved the film');
    await page.click('#predict');
    const positive = Number(await page.getAttribute('#sentiment-probability', 'data-p'));
    await page.fill('#sentence', 'the movie was not good at all');
    await page.click('#predict');
    const negative = Number(await page.getAttribute('#sentiment-probability', 'data-p'));
    expect(positive).toBeGreaterThan(0.5);
    expect(negative).toBeLessThan(0.5);
    await shot('05-sentiment');
  });

  it('runs the same input on every backend: parity with cpu and a timing chart', async () => {
    await page.click('#parity');
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
    await shot('06-parity');
  }, 180_000);

  it('changing the wasm thread count reloads the page and restores the model and settings', async () => {
    const before = await debugState();
    const probability = await page.getAttribute('#sentiment-probability', 'data-p');
    const navigationsBefore = session.navigations;
    await chooseBackend('cpu');
    for (const threads of [2, 4]) {
      await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), page.selectOption('#threads', String(threads))]);
      await waitReady();
      // Back on wasm, with the new pool: exactly the count asked for (the page pretends to have 8 cores).
      expect(await page.getAttribute('#backend-pill', 'data-backend')).toBe('wasm');
      expect(Number((await reported('wasm')).threads)).toBe(threads);
      expect(await page.textContent('#backend-pill')).toContain(`${threads} threads`);
    }
    expect(session.navigations).toBe(navigationsBefore + 2);
    // Settings: the task, its sequence length, the hidden size and the epochs chosen before the reload.
    expect(await page.inputValue('#threads')).toBe('4');
    expect(await page.inputValue('#task')).toBe('sentiment');
    expect(await page.inputValue('#hiddenSize')).toBe('32');
    expect(await page.inputValue('#epochs')).toBe('6');
    // The model: the same weights, curves and epoch count, so the same answer for the same sentence.
    const after = await debugState();
    expect(after.weightsChecksum).toBeCloseTo(before.weightsChecksum, 3);
    expect(after.epochsDone).toBe(before.epochsDone);
    expect(Number(await page.getAttribute('#sentiment-probability', 'data-p'))).toBeCloseTo(Number(probability), 4);
    expect(await page.$eval('#curves-plot svg', (s) => s.textContent ?? '')).toContain(`epoch ${before.epochsDone}:`);
    await page.click('#forward');
    await page.waitForSelector('#working-plot svg');
    expect(Number(await page.getAttribute('#hidden-plot', 'data-epoch'))).toBe(before.epochsDone);
    await shot('07-threads');
  });

  it('logged no console errors and fetched nothing outside its own server', () => {
    expectCleanSession(session);
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
