import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared.ts';

// Packs every publishable package and installs the tarballs into a scratch project outside the workspace, once
// (src/pack/packed_project.ts): pack.test.ts checks the packages there, readme.test.ts runs the READMEs' code.
const config = nodeConfig({ include: ['src/pack/**/*.test.ts'], testTimeout: 600_000 });
config.test!.globalSetup = ['src/pack/packed_project.ts'];
export default defineConfig(config);
