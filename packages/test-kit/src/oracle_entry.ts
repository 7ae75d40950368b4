// `@basicrnn/test-kit/oracle`: tfjs-layers as an oracle. Importing it loads @tensorflow/tfjs, which registers
// tfjs's gradients over core's, so only test files of their own import it (vitest runs each file in its own
// process or page).
export { oracleParityTests, ORACLE_CASES } from './oracle_parity.js';
export { layersModel, layersSequential, tfl, type LayersModel } from './oracle.js';
