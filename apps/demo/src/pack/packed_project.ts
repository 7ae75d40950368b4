// Shared by every test in src/pack (vitest globalSetup, once per suite run): packs each publishable package on its
// own, and installs the tarballs into a scratch project outside the workspace (Node scripts run there; a Vite
// build there makes the pages). The tests read the paths with `inject('packed')`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** The publishable packages, by folder under packages/. */
export const PACKAGES = ['core', 'backend-wasm', 'backend-webgl', 'viz', 'onnx'] as const;

/** What the setup made: the tarball of each package and the consumer project they are installed in. */
export interface PackedProject {
  root: string;
  scratch: string;
  project: string;
  tarball: Record<(typeof PACKAGES)[number], string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: PackedProject;
  }
}

const root = new URL('../../../../', import.meta.url).pathname;

/** Runs a command; throws with its output when it fails. */
export function run(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, timeout });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export default function setup(project: TestProject): () => void {
  const scratch = mkdtempSync(join(tmpdir(), 'basicrnn-pack-'));
  const tarballs = join(scratch, 'tarballs');
  const consumer = join(scratch, 'project');
  mkdirSync(tarballs, { recursive: true });
  const tarball = {} as PackedProject['tarball'];
  for (const name of PACKAGES) {
    const dir = join(root, 'packages', name);
    // Each package builds on its own before it is packed.
    run('pnpm', ['run', 'build'], dir);
    const before = new Set(readdirSync(tarballs));
    run('pnpm', ['pack', '--pack-destination', tarballs], dir);
    const file = readdirSync(tarballs).find((f) => !before.has(f));
    if (!file) throw new Error(`pnpm pack wrote no tarball for ${name}`);
    tarball[name] = join(tarballs, file);
  }
  mkdirSync(join(consumer, 'src'), { recursive: true });
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify(
      {
        name: 'scratch-app',
        private: true,
        type: 'module',
        dependencies: {
          '@tensorflow/tfjs-core': '4.22.0',
          // Only for the page's `?url` imports of the .wasm files (see the backend-wasm README).
          '@tensorflow/tfjs-backend-wasm': '4.22.0',
          '@basicrnn/core': `file:${tarball.core}`,
          '@basicrnn/backend-wasm': `file:${tarball['backend-wasm']}`,
          '@basicrnn/backend-webgl': `file:${tarball['backend-webgl']}`,
          '@basicrnn/viz': `file:${tarball.viz}`,
          '@basicrnn/onnx': `file:${tarball.onnx}`,
          vite: '8.3.8',
        },
      },
      null,
      2,
    ),
  );
  // Its own pnpm project (not the workspace): pnpm-workspace.yaml marks the root, and resolves sibling
  // tarballs for @basicrnn/core instead of the registry.
  writeFileSync(join(consumer, 'pnpm-workspace.yaml'), `packages: []\noverrides:\n  '@basicrnn/core': 'file:${tarball.core}'\n`);
  run('pnpm', ['install', '--prefer-offline', '--no-frozen-lockfile'], consumer, 600_000);
  project.provide('packed', { root, scratch, project: consumer, tarball });
  return () => {
    if (!process.env.KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
  };
}
