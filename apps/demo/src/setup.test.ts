// What `pnpm test` sets up on a fresh machine (scripts/ensure-chromium.mjs, scripts/pnpm-on-path.mjs), and that
// .ci/run runs the README's own commands.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
type EnsureChromium = (o: Record<string, unknown>) => string | null;
const scriptPath = (name: string) => join(root, 'scripts', name);
const { ensureChromium, INSTALL_LINE } = (await import(scriptPath('ensure-chromium.mjs'))) as { ensureChromium: EnsureChromium; INSTALL_LINE: string };
const scratch = mkdtempSync(join(tmpdir(), 'basicrnn-setup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ensure-chromium (runs first in `pnpm test`)', () => {
  const quiet = { log: () => {} };
  it('does nothing when Chromium is there', () => {
    let installs = 0;
    expect(ensureChromium({ ...quiet, exists: () => true, install: () => ++installs > 0 })).toBeNull();
    expect(installs).toBe(0);
  });

  it('installs it with apt-get as root, and is satisfied once the binary exists', () => {
    let installed = false;
    const result = ensureChromium({ ...quiet, exists: () => installed, isRoot: true, hasAptGet: true, install: () => (installed = true) });
    expect(result).toBeNull();
    expect(installed).toBe(true);
  });

  it('without root or apt-get: one line saying what to run, and no install attempt', () => {
    for (const [isRoot, hasAptGet] of [[false, true], [true, false]]) {
      let installs = 0;
      const line = ensureChromium({ ...quiet, exists: () => false, isRoot, hasAptGet, install: () => ++installs > 0 });
      expect(line).toContain(INSTALL_LINE);
      expect(line).not.toContain('\n');
      expect(installs).toBe(0);
    }
  });

  it('a failed apt-get install is reported with the line to run', () => {
    expect(ensureChromium({ ...quiet, exists: () => false, isRoot: true, hasAptGet: true, install: () => false })).toMatch(/apt-get could not install chromium.*apt-get install -y chromium/);
  });

  it('run-tests.mjs stops before any suite with "0 passed, 1 failed" when Chromium cannot be had', () => {
    // The filter matches no package: were the check broken, turbo would run nothing rather than every suite.
    const r = spawnSync(process.execPath, [scriptPath('run-tests.mjs'), '--filter=no-package-matches-this'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CHROMIUM_PATH: join(scratch, 'no-chromium-here') },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Chromium not found at CHROMIUM_PATH=.*apt-get install -y chromium/);
    expect(r.stdout.trim()).toBe('0 passed, 1 failed');
  });
});

describe('pnpm through npx (no global pnpm)', () => {
  it('children still find `pnpm` by name: a shim runs the pnpm in npm_execpath', () => {
    // A PATH with node and the usual tools but no pnpm, as after `npx -y pnpm@…` on a fresh machine.
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    const nodeDir = process.execPath.slice(0, process.execPath.lastIndexOf('/'));
    for (const name of readdirSync(nodeDir)) if (!/^pnp[mx]/.test(name)) symlinkSync(join(nodeDir, name), join(bin, name));
    // The pnpm running this test (pnpm sets npm_execpath for scripts), else the one on PATH.
    const execpath = /pnpm/.test(process.env.npm_execpath ?? '')
      ? process.env.npm_execpath!
      : spawnSync('sh', ['-c', 'readlink -f "$(command -v pnpm)"'], { encoding: 'utf8' }).stdout.trim();
    expect(execpath).toMatch(/pnpm/);
    const probe = `import { envWithPnpm, pnpmRuns } from ${JSON.stringify(scriptPath('pnpm-on-path.mjs'))};
import { spawnSync } from 'node:child_process';
const before = pnpmRuns();
const env = envWithPnpm();
const r = spawnSync('pnpm', ['--version'], { env, encoding: 'utf8' });
console.log(JSON.stringify({ before, version: r.stdout.trim() }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      encoding: 'utf8',
      env: { ...process.env, PATH: bin, npm_execpath: execpath },
    });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout.trim());
    expect(result.before).toBe(false);
    expect(result.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('the README Quick start and .ci/run agree', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 5));
  const commands = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager as string;

  it('two commands, each getting pnpm through npx at the pinned version', () => {
    expect(commands).toHaveLength(2);
    for (const command of commands) {
      for (const use of command.split('&&')) expect(use.trim()).toMatch(new RegExp(`^npx -y ${pinned.replace(/\./g, '\\.')} `));
    }
  });

  it('.ci/run runs exactly the README test command and prints the closing line', () => {
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    const testCommand = commands.find((c) => / test$/.test(c))!;
    expect(testCommand).toBeDefined();
    expect(ci).toContain(`\n${testCommand} 2>&1 | tee`);
    expect(ci).toContain('echo "${summary:-0 passed, 1 failed}"');
  });
});
