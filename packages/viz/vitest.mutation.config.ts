// The node suite as Stryker's vitest runner sees it: Stryker starts vitest from the repository root, so the root
// is pinned to this package.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared.ts';

const config = nodeConfig();
export default defineConfig({ ...config, root: fileURLToPath(new URL('.', import.meta.url)) });
