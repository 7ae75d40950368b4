import { defineConfig } from 'vitest/config';
import { browserConfig } from '../../vitest.shared.ts';

export default defineConfig(browserConfig({ include: ['src/**/*.browser.test.ts'] }));
