import { layersParityTests } from './layers_parity.js';

layersParityTests({ backend: 'cpu', label: 'cpu (Chromium)' });
