import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** Copies a tensor into a fresh packed texture laid out for its logical shape. */
export class PackedCopyProgram implements GPGPUProgram {
  variableNames = ['source'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode = `
    void main() {
      setOutput(getSourceAtOutCoords());
    }
  `;

  constructor(shape: number[]) {
    this.outputShape = shape;
  }
}
