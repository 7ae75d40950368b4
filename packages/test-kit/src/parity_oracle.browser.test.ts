import { oracleParityTests } from './oracle_entry.js';

// Loads @tensorflow/tfjs (tfjs-layers): its own file, so its own page.
oracleParityTests({ backend: 'cpu', label: 'cpu (Chromium)' });
