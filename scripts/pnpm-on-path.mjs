// The scripts and every package's test script start `pnpm` by name. When pnpm itself came through
// `npx -y pnpm@…` (no global install), a child may not find it on PATH; then a small `pnpm` shim that runs the
// pnpm this process was started by (npm_execpath) goes first on PATH for every child.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Whether `pnpm --version` runs with this environment's PATH. */
export function pnpmRuns(env = process.env) {
  const r = spawnSync('pnpm', ['--version'], { env, encoding: 'utf8', shell: process.platform === 'win32' });
  return r.status === 0;
}

/**
 * The environment for children: unchanged when `pnpm` runs by name, else PATH with a shim directory first whose
 * `pnpm` runs $npm_execpath (the pnpm that started this script). Returns the environment unchanged when
 * neither works; the child's "pnpm: not found" then says what is missing.
 */
export function envWithPnpm(env = process.env) {
  if (pnpmRuns(env)) return env;
  const execpath = env.npm_execpath;
  if (!execpath || !/pnpm/i.test(execpath)) return env;
  const dir = join(tmpdir(), `basicrnn-pnpm-shim-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const shim = join(dir, 'pnpm');
  const quoted = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  // pnpm 12 ships a native binary; older pnpm (and pnpm.cjs from npm) is a script for node.
  const command = /\.[cm]?js$/.test(execpath) ? `${quoted(process.execPath)} ${quoted(execpath)}` : quoted(execpath);
  writeFileSync(shim, `#!/bin/sh\nexec ${command} "$@"\n`);
  chmodSync(shim, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { ...env, PATH: `${dir}${delimiter}${env.PATH ?? ''}` };
}
