import * as tf from '@tensorflow/tfjs-core';

/** tfjs environment flag that turns fused recurrence kernels on (default) or off. */
export const FUSED_KERNELS_FLAG = 'BASICRNN_FUSED_KERNELS';

/** Registers the flag once; tfjs keeps flags in one global environment shared by every copy of core. */
export function registerFusedFlag(): void {
  const env = tf.env();
  if (!(FUSED_KERNELS_FLAG in (env as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry)) {
    env.registerFlag(FUSED_KERNELS_FLAG, () => true);
  }
}

/**
 * Turns fused recurrence kernels on or off for every backend. Off, the recurrence runs as composed tfjs ops
 * (the reference path); the parity suite runs both.
 */
export function setFusedKernelsEnabled(enabled: boolean): void {
  registerFusedFlag();
  tf.env().set(FUSED_KERNELS_FLAG, enabled);
}

/** Whether fused recurrence kernels are used where a backend registers them. */
export function fusedKernelsEnabled(): boolean {
  registerFusedFlag();
  return tf.env().getBool(FUSED_KERNELS_FLAG);
}

/** Whether the active backend will run `kernelName` as a fused kernel. */
export function useFusedKernel(kernelName: string): boolean {
  return fusedKernelsEnabled() && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
