import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared.ts';

// Packs every publishable package and installs the tarballs into a scratch project outside the workspace.
export default defineConfig(nodeConfig({ include: ['src/pack/**/*.test.ts'], testTimeout: 600_000 }));
