import { layersParityTests } from '@basicrnn/test-kit';
import './index.js';

layersParityTests({ backend: 'webgl', label: 'webgl (Chromium, WebGL2)' });
