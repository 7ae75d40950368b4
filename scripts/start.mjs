#!/usr/bin/env node
// `pnpm start`: builds the demo and the packages it uses (quietly: turbo's log is shown only if the build fails),
// then runs the CLI with the arguments given, in the directory the user ran pnpm from (INIT_CWD).
import { spawnSync } from 'node:child_process';
import { envWithPnpm } from './pnpm-on-path.mjs';

const root = new URL('..', import.meta.url).pathname;
const env = { ...envWithPnpm(), TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };
const build = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@basicrnn/demo...', '--output-logs=errors-only'], {
  cwd: root,
  env,
  encoding: 'utf8',
});
if (build.status !== 0) {
  process.stderr.write(build.stdout + build.stderr);
  process.stderr.write('\nbuild failed (see above)\n');
  process.exit(build.status ?? 1);
}
const args = process.argv.slice(2);
const run = spawnSync(process.execPath, [`${root}apps/demo/dist/bin.js`, ...(args[0] === '--' ? args.slice(1) : args)], {
  stdio: 'inherit',
  env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
});
process.exit(run.status ?? 1);
