import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared.ts';

export default defineConfig(nodeConfig({ testTimeout: 300_000, exclude: ['**/*.e2e.test.ts', 'bench/**', 'src/pack/**'] }));
