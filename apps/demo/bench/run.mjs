#!/usr/bin/env node
// `pnpm bench [-- options]`: builds the packages the bench imports (turbo, cached), builds the bench itself with
// Vite (the Node runner and worker into bench/dist/node, the browser page into bench/dist/web), then runs it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const USAGE = `usage: pnpm bench [-- options]
  --quick                  few runs per cell, configs S and M unless --configs says otherwise (a smoke test in a
                           few minutes; numbers are not meaningful)
  --only node|browser      run only the Node part or only the browser part
  --cells simpleRNN,lstm,gru  cells to run (default: all; gru = both GRU forms, gruResetAfter alone for one)
  --configs S,M,L,Long     configs to run (default: all four)
  --variants a,b           some of node-cpu, node-wasm, browser-wasm, browser-wasm-threads, browser-webgl, browser-wasm-2threads
                           (the last only when named; BENCH_KERNEL_THREADS=n sets the fused kernels' threads)
  --minutes N              time budget of the workers in minutes (default: 12 for SimpleRNN + 6 per further cell
                           kind, 5 with --quick); past it, every remaining variant gets one cold run
  --no-build               reuse the last builds (packages and bench/dist)
Prints one markdown table and writes bench-results/latest.json and latest.md at the repository root.`;

const benchDir = dirname(fileURLToPath(import.meta.url));
const demoDir = resolve(benchDir, '..');
const repoRoot = resolve(benchDir, '../../..');

function parseArgs(argv) {
  const options = { quick: false, build: true, repoRoot, benchDir };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v.startsWith('--')) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--only': {
        const v = value();
        if (v !== 'node' && v !== 'browser') fail(`--only: expected node or browser, received ${JSON.stringify(v)}`);
        options.only = v;
        break;
      }
      case '--configs':
        options.configs = value();
        break;
      case '--cells':
        options.cells = value();
        break;
      case '--variants':
        options.variants = value();
        break;
      case '--minutes': {
        const v = Number(value());
        if (!(v > 0)) fail(`--minutes: expected a positive number`);
        options.minutes = v;
        break;
      }
      case '--no-build':
        options.build = false;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        fail(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return options;
}

function fail(message) {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function build(options) {
  const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };
  // The packages the demo depends on (not the demo itself: the bench needs only their dist/).
  const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@basicrnn/demo^...', '--output-logs=errors-only'], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
  });
  if (turbo.status !== 0) {
    process.stderr.write(`${turbo.stdout}${turbo.stderr}\nbench: building the packages failed (see above)\n`);
    process.exit(turbo.status ?? 1);
  }
  const { build: viteBuild } = await import('vite');
  const common = { configFile: false, root: join(benchDir, 'src'), logLevel: 'warn', clearScreen: false };
  await viteBuild({
    ...common,
    build: {
      ssr: true,
      target: 'node20',
      outDir: join(benchDir, 'dist', 'node'),
      emptyOutDir: true,
      minify: false,
      sourcemap: true,
      rolldownOptions: {
        input: { runner: join(benchDir, 'src', 'runner.ts'), node_worker: join(benchDir, 'src', 'node_worker.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
    // Every package stays an import resolved by Node at run time (one tfjs engine; @basicrnn/* from dist/).
    ssr: { external: true },
  });
  const browserWanted = options.only !== 'node' && (options.variants === undefined || options.variants.includes('browser'));
  if (browserWanted) {
    await viteBuild({
      ...common,
      base: './',
      build: {
        target: 'es2022',
        // Not minified: tfjs-backend-wasm starts its pthread workers from the text of its module factory
        // (Function.prototype.toString), which breaks once a minifier renames what the factory refers to.
        minify: false,
        outDir: join(benchDir, 'dist', 'web'),
        emptyOutDir: true,
        chunkSizeWarningLimit: 20_000,
        rolldownOptions: { input: { page: join(benchDir, 'src', 'page.html') } },
      },
    });
  }
}

const options = parseArgs(process.argv.slice(2));
process.chdir(demoDir);
if (options.build) {
  const t0 = Date.now();
  await build(options);
  process.stderr.write(`bench: built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}
const { runBench } = await import(join(benchDir, 'dist', 'node', 'runner.js'));
try {
  process.exit(await runBench(options));
} catch (e) {
  // Option errors (they name the option) get the usage; anything else its stack trace.
  if (e instanceof Error && e.message.startsWith('--')) fail(e.message);
  console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
}
