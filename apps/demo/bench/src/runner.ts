// Drives the benchmark: one Node process per Node backend, one headless Chromium page per browser variant (served
// here, with COOP/COEP for the threaded one), then prints the table and writes bench-results/latest.{json,md}.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { arch, cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { extname, join, normalize, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright';
import {
  BENCH_CELLS,
  CELL_LABELS,
  CONFIG_NAMES,
  DEFAULT_VARIANTS,
  THREADED_VARIANTS,
  VARIANTS,
  describeConfig,
  CONFIGS,
  parseCellNames,
  parseConfigNames,
  type BenchCell,
  type ConfigName,
  type Variant,
  type WorkerRequest,
} from './configs.js';
import { buildRows, legend, markdownTable, type FailedWorker } from './report.js';
import type { BackendReport } from './suite.js';

/** Options parsed by run.mjs. */
export interface BenchOptions {
  quick: boolean;
  only?: 'node' | 'browser';
  configs?: string;
  /** `simpleRNN,lstm,gru` (gru = both GRU forms); all when absent. */
  cells?: string;
  variants?: string;
  /** Overrides the workers' time budget (minutes). */
  minutes?: number;
  repoRoot: string;
  benchDir: string;
}

/** Debian's Chromium; Playwright's own browser download does not work here. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags of vitest.shared.ts's chromiumArgs (a quiet Chromium with no network and no GPU). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

const log = (line: string) => process.stderr.write(`${line}\n`);

/** BENCH_KERNEL_THREADS=n: the fused kernels' thread count on the threaded variants (default: the variant's). */
const KERNEL_THREADS = parseKernelThreads(process.env.BENCH_KERNEL_THREADS);

function parseKernelThreads(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_KERNEL_THREADS: expected a positive integer, received ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Seconds the workers may take in all (the builds come before): each worker gets a share by weight, as a
 * deadline after which it takes one cold run per variant, so the whole bench ends in bounded time even on a
 * loaded machine. Unused time passes on to the workers after it. A full run gets 12 minutes for SimpleRNN (as
 * before LSTM and GRU) and 6 more per further cell kind (LSTM, GRU, GRU resetAfter); --quick 5 minutes.
 */
const TIME_BUDGET_S = { full: 12 * 60, fullPerExtraCell: 6 * 60, quick: 5 * 60 };
/** --quick without --configs runs these (L and Long of tfjs-layers' LSTM / GRU alone take minutes cold). */
const QUICK_CONFIGS: ConfigName[] = ['S', 'M'];
const WORKER_WEIGHT: Record<Variant, number> = {
  'node-cpu': 1,
  'node-wasm': 1,
  'browser-wasm': 1,
  'browser-wasm-threads': 1,
  'browser-webgl': 1.5,
  'browser-wasm-2threads': 1,
};
/** Past its deadline a worker still finishes its remaining configs with single runs; past this, it is stopped. */
const WORKER_GRACE_S = 180;

export async function runBench(options: BenchOptions): Promise<number> {
  const started = Date.now();
  const configs: ConfigName[] = options.configs ? parseConfigNames(options.configs) : options.quick ? [...QUICK_CONFIGS] : [...CONFIG_NAMES];
  const cells: BenchCell[] = options.cells ? parseCellNames(options.cells) : [...BENCH_CELLS];
  if (cells.length === 0) throw new Error('--cells: no cell named; expected some of simpleRNN, lstm, gru');
  let variants: Variant[] = [...DEFAULT_VARIANTS];
  if (options.variants) {
    const asked = options.variants.split(',').map((s) => s.trim());
    const unknown = asked.filter((v) => !(VARIANTS as readonly string[]).includes(v));
    if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')}; expected some of ${VARIANTS.join(', ')}`);
    variants = VARIANTS.filter((v) => asked.includes(v));
  }
  if (options.only) variants = variants.filter((v) => v.startsWith(options.only!));
  const nodeVariants = variants.filter((v) => v.startsWith('node'));
  const browserVariants = variants.filter((v) => v.startsWith('browser'));
  // ORT runs once per environment, in the plain wasm worker when there is one.
  const ortNode = nodeVariants.includes('node-wasm') ? 'node-wasm' : nodeVariants[0];
  const ortBrowser = browserVariants.includes('browser-wasm') ? 'browser-wasm' : browserVariants[0];
  const loadStart = loadavg();
  log(
    `basicrnn bench: ${variants.join(', ')} × ${cells.map((c) => CELL_LABELS[c]).join(', ')} × ${configs.map((c) => `${c} (${describeConfig(CONFIGS[c])})`).join(', ')}${options.quick ? ' (quick)' : ''}`,
  );
  const cpu = cpuDescription();
  log(`CPU: ${cpu.text}`);
  if (loadStart[0]! > cpus().length * 0.5) {
    log(`note: load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores: other work is running, numbers will be noisy`);
  }

  const reports: BackendReport[] = [];
  const failed: FailedWorker[] = [];
  const budgetS = options.minutes !== undefined ? options.minutes * 60 : options.quick ? TIME_BUDGET_S.quick : TIME_BUDGET_S.full + TIME_BUDGET_S.fullPerExtraCell * (cells.length - 1);
  const budgetEnd = started + budgetS * 1000;
  const pending = new Set<Variant>(variants);
  // This worker's deadline: its weighted share of the time left; the hard stop comes WORKER_GRACE_S later.
  const slot = (variant: Variant) => {
    const weights = [...pending].reduce((sum, v) => sum + WORKER_WEIGHT[v], 0);
    const share = Math.max(0, budgetEnd - Date.now()) * (WORKER_WEIGHT[variant] / weights);
    pending.delete(variant);
    const deadline = Date.now() + share;
    return { deadline, timeoutMs: share + WORKER_GRACE_S * 1000 };
  };
  for (const variant of nodeVariants) {
    const { deadline, timeoutMs } = slot(variant);
    const request: WorkerRequest = { variant, configs, cells, quick: options.quick, ort: variant === ortNode, ortNative: variant === ortNode, deadline };
    const progress: { report?: BackendReport } = {};
    try {
      reports.push(await runNodeWorker(options.benchDir, request, timeoutMs, progress));
    } catch (e) {
      keepPartial(variant, e, progress.report, reports, failed);
    }
  }

  let chromiumVersion: string | undefined;
  if (browserVariants.length > 0) {
    const webDir = join(options.benchDir, 'dist', 'web');
    const plain = await serve(webDir, false);
    const isolated = await serve(webDir, true);
    let browser: Browser | undefined;
    try {
      const { chromium } = await import('playwright');
      if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
      chromiumVersion = browser.version();
      for (const variant of browserVariants) {
        const { deadline, timeoutMs } = slot(variant);
        const request: WorkerRequest = { variant, configs, cells, quick: options.quick, ort: variant === ortBrowser, deadline };
        const threads = THREADED_VARIANTS[variant];
        if (threads !== undefined && KERNEL_THREADS !== undefined) request.kernelThreads = KERNEL_THREADS;
        const origin = threads !== undefined ? isolated.origin : plain.origin;
        const progress: { report?: BackendReport } = {};
        try {
          reports.push(await runPage(browser, origin, request, timeoutMs, progress));
        } catch (e) {
          keepPartial(variant, e, progress.report, reports, failed);
        }
      }
    } catch (e) {
      for (const variant of browserVariants.filter((v) => !reports.some((r) => r.variant === v) && !failed.some((f) => f.variant === v))) {
        failed.push({ variant, error: errorText(e) });
      }
      log(`browser part failed: ${errorText(e)}`);
    } finally {
      await browser?.close();
      plain.server.close();
      isolated.server.close();
    }
  }

  const rows = buildRows(reports, chromiumVersion);
  const durationS = (Date.now() - started) / 1000;
  const machine = {
    os: `${osType()} ${release()} ${arch()}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCaches: cpu.caches,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    chromium: chromiumVersion ?? null,
    loadAverageStart: loadStart,
    loadAverageEnd: loadavg(),
  };
  const versions = {
    tfjs: packageVersion(options.benchDir, '@tensorflow/tfjs'),
    'tfjs-core': packageVersion(options.benchDir, '@tensorflow/tfjs-core'),
    'onnxruntime-web': packageVersion(options.benchDir, 'onnxruntime-web'),
    'onnxruntime-node': packageVersion(options.benchDir, 'onnxruntime-node'),
  };
  const date = new Date().toISOString();
  const table = markdownTable(rows, failed);
  const notes = legend(rows);
  const header = [
    `# basicrnn benchmark${options.quick ? ' (quick: few runs, smoke test only)' : ''}`,
    '',
    `- date: ${date}; total runtime ${durationS.toFixed(0)} s`,
    `- machine: ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; load average at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}, at end ${machine.loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}${loadStart[0]! > cpus().length * 0.5 ? ' (the machine was shared with other work: numbers are noisy)' : ''}`,
    `- CPU: ${cpu.text}`,
    `- Node ${process.version}${chromiumVersion ? `, Chromium ${chromiumVersion} (headless)` : ''}; tfjs ${versions.tfjs}, onnxruntime-web ${versions['onnxruntime-web']}, onnxruntime-node ${versions['onnxruntime-node']}${gitCommit(options.repoRoot) ? `; commit ${gitCommit(options.repoRoot)}` : ''}`,
    ...backendLines(reports),
  ];
  const markdown = [...header, '', table, '', ...notes.map((n) => `- ${n}`), ''].join('\n');
  process.stdout.write(`\n${markdown}\n`);

  const outDir = join(options.repoRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const json = {
    date,
    durationS,
    options: { quick: options.quick, only: options.only ?? null, configs, cells, variants },
    machine,
    versions,
    commit: gitCommit(options.repoRoot),
    rows,
    failed,
    reports,
    notes,
  };
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), markdown);
  log(`wrote ${relative(process.cwd(), join(outDir, 'latest.json'))} and latest.md (${durationS.toFixed(0)} s)`);
  return failed.length === 0 ? 0 : 1;
}

/** One cache level as the kernel reports it (sysfs), e.g. { level: 'L1d', size: '32K', sharedBy: '0' }. */
interface CacheInfo {
  level: string;
  size: string;
  /** Logical CPUs sharing this cache (shared_cpu_list), when known. */
  sharedBy?: string;
}

/**
 * The CPU model and its data caches (L1d, L2, L3): from /sys/devices/system/cpu/cpu0/cache (Linux), else from
 * `lscpu`, else the model alone. Kernels' speed at L depends on them (panel sizes, the L2 working set).
 */
function cpuDescription(): { text: string; caches: CacheInfo[] } {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  const caches: CacheInfo[] = [];
  const base = '/sys/devices/system/cpu/cpu0/cache';
  try {
    for (let i = 0; existsSync(join(base, `index${i}`)); i++) {
      const read = (f: string) => {
        const file = join(base, `index${i}`, f);
        return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
      };
      const type = read('type');
      if (type === 'Instruction') continue;
      const level = read('level');
      const size = read('size');
      if (level === undefined || size === undefined) continue;
      const sharedBy = read('shared_cpu_list');
      caches.push({ level: `L${level}${type === 'Data' ? 'd' : ''}`, size, ...(sharedBy === undefined ? {} : { sharedBy }) });
    }
  } catch {
    caches.length = 0;
  }
  if (caches.length === 0) {
    const r = spawnSync('lscpu', [], { encoding: 'utf8' });
    if (r.status === 0) {
      for (const m of r.stdout.matchAll(/^(L1d|L2|L3) cache:\s*(.+)$/gm)) caches.push({ level: m[1]!, size: m[2]!.trim() });
    }
  }
  const cacheText = caches.map((c) => `${c.level} ${c.size}${c.sharedBy !== undefined ? ` (CPUs ${c.sharedBy})` : ''}`).join(', ');
  return { text: `${model}; ${cacheText || 'cache sizes unknown'} (per core unless shared)`, caches };
}

function backendLines(reports: readonly BackendReport[]): string[] {
  return reports.map((r) => {
    const env = r.environment;
    const byCell = r.fusedByCell ?? { simpleRNN: r.fused };
    const fusedText = Object.entries(byCell)
      .filter(([cell]) => cell !== 'gruResetAfter' && r.results.some((c) => (c.cell ?? 'simpleRNN') === cell || (cell === 'gru' && c.cell === 'gruResetAfter')))
      .map(([cell, f]) => `${CELL_LABELS[cell as BenchCell]} ${f.forward ? 'forward' : ''}${f.forward && f.backward ? ' + ' : ''}${f.backward ? 'backward' : ''}${!f.forward && !f.backward ? 'none (core composite)' : ''}`)
      .join(', ');
    const details = [
      `fused kernels: ${fusedText}`,
      `${r.matmul.size}×${r.matmul.size} matMul ${r.matmul.gflops.toFixed(2)} GFLOP/s`,
    ];
    if (env.webglRenderer && r.backend === 'webgl') details.push(`renderer ${String(env.webglRenderer)}`);
    if (r.backend === 'wasm') details.push(`threads ${r.info.threads ?? 1}${env.requestedThreads ? ` (asked ${String(env.requestedThreads)}, hardwareConcurrency ${String(env.hardwareConcurrency)})` : ''}`);
    return `- ${r.variant}: ${details.join('; ')}`;
  });
}

/**
 * A worker that failed or was stopped for time: its rows finished so far still go into the table (with a row
 * saying where it stopped).
 */
function keepPartial(variant: Variant, e: unknown, partial: BackendReport | undefined, reports: BackendReport[], failed: FailedWorker[]): void {
  const done = partial?.results.length ?? 0;
  const error = `${errorText(e)}${done > 0 ? ` (its ${done} finished cell × config results are in the table; the rest are missing)` : ''}`;
  if (partial !== undefined && done > 0) reports.push(partial);
  failed.push({ variant, error });
  log(`[${variant}] failed: ${error}`);
}

async function runNodeWorker(benchDir: string, request: WorkerRequest, timeoutMs: number, progress: { report?: BackendReport }): Promise<BackendReport> {
  const tmp = mkdtempSync(join(tmpdir(), 'basicrnn-bench-'));
  const outFile = join(tmp, `${request.variant}.json`);
  try {
    const child = spawn(process.execPath, [join(benchDir, 'dist', 'node', 'node_worker.js'), JSON.stringify(request), outFile], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    const tail: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      // tfjs-core greets Node users with an advert for tfjs-node; it says nothing about this run.
      if (/tfjs-node|Hi there|To speed things up dramatically|npm i @tensorflow|^={10,}|^\s*$/.test(line)) return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(`[${request.variant}] ${line}`);
    });
    const code = await new Promise<number | null>((resolveExit, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s`));
      }, timeoutMs);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolveExit(c);
      });
    });
    if (code !== 0 || !existsSync(outFile)) throw new Error(`worker exited with ${code}: ${tail.slice(-5).join(' / ')}`);
    return JSON.parse(readFileSync(outFile, 'utf8')) as BackendReport;
  } catch (e) {
    const partialFile = `${outFile}.progress`;
    if (existsSync(partialFile)) progress.report = JSON.parse(readFileSync(partialFile, 'utf8')) as BackendReport;
    throw e;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function runPage(browser: Browser, origin: string, request: WorkerRequest, timeoutMs: number, progress: { report?: BackendReport }): Promise<BackendReport> {
  const context = await browser.newContext();
  try {
    if (THREADED_VARIANTS[request.variant] !== undefined) {
      // The threaded build sizes its pool from hardwareConcurrency (2 here, which gave one thread): pretend 8.
      await context.addInitScript(() => {
        Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 8 });
      });
    }
    const page = await context.newPage();
    const result = new Promise<BackendReport>((resolveReport, reject) => {
      void page.exposeFunction('__benchDone', (json: string) => resolveReport(JSON.parse(json) as BackendReport));
      void page.exposeFunction('__benchFail', (message: string) => reject(new Error(message)));
      void page.exposeFunction('__benchProgress', (json: string) => {
        progress.report = JSON.parse(json) as BackendReport;
      });
      page.on('crash', () => reject(new Error('the page crashed')));
      page.on('pageerror', (e) => log(`[${request.variant}] page error: ${e.message}`));
    });
    page.on('console', (msg) => {
      // SwiftShader reports every synchronous read-back as a "GPU stall"; the bench reads back on purpose.
      if (!msg.text().includes('GL Driver Message')) log(`[${request.variant}] ${msg.text()}`);
    });
    await page.goto(`${origin}/page.html?request=${encodeURIComponent(JSON.stringify(request))}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
    });
    try {
      return await Promise.race([result, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await context.close();
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.css': 'text/css',
};

/** A static server for the built page on 127.0.0.1; `isolated` adds COOP/COEP to every response. */
async function serve(root: string, isolated: boolean): Promise<{ server: Server; origin: string }> {
  if (!existsSync(join(root, 'page.html'))) throw new Error(`${root}/page.html is missing: the browser page was not built`);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path));
    if (!file.startsWith(resolve(root)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

function packageVersion(fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = resolve(dir, '..')) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dir === resolve(dir, '..')) return null;
  }
}

let commit: string | null | undefined;
function gitCommit(repoRoot: string): string | null {
  if (commit === undefined) {
    const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
    commit = r.status === 0 ? r.stdout.trim() : null;
  }
  return commit;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
