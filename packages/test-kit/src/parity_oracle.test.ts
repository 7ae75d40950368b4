import { oracleParityTests } from './oracle_entry.js';

// Loads @tensorflow/tfjs (tfjs-layers): its own file, so its own process.
oracleParityTests({ backend: 'cpu', label: 'cpu (Node)' });
