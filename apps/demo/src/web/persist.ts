import { sanitizeSettings, type Settings } from './settings.js';

/*
 * What survives a reload of the tab. Settings are kept on every change. The model (weights, curves, epochs done)
 * is kept only across the reload the app itself makes for a new wasm thread count: tfjs fixes the thread count
 * when the wasm module first starts, so the page must reload, and the user should find the same model after it.
 * The optimizer's state (Adam's moments) is not kept: training after the reload starts a fresh optimizer.
 */

const SETTINGS_KEY = 'basicrnn-demo/settings/v1';
const MODEL_KEY = 'basicrnn-demo/model/v1';

/** One weight tensor as stored: shape and float32 values in base64. */
export interface StoredTensor {
  shape: number[];
  data: string;
}

/** The model and its training progress, as handed over to the next page load. */
export interface ModelSnapshot {
  /** Settings.architectureKey of the model, to check the weights fit the restored settings. */
  architecture: string;
  weights: StoredTensor[];
  history: { epoch: number[]; history: Record<string, number[]> };
  epochsDone: number;
}

export function encodeFloat32(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let binary = '';
  // Chunks keep String.fromCharCode's argument list short.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function decodeFloat32(text: string): Float32Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** Parses a stored snapshot, or returns null when it is missing or malformed (then the app starts fresh). */
export function parseSnapshot(text: string | null): ModelSnapshot | null {
  if (text === null) return null;
  try {
    const raw = JSON.parse(text) as Partial<ModelSnapshot>;
    if (typeof raw.architecture !== 'string' || !Array.isArray(raw.weights) || typeof raw.epochsDone !== 'number') return null;
    const weightsOk = raw.weights.every(
      (w) => Array.isArray(w?.shape) && w.shape.every((d) => Number.isInteger(d) && d > 0) && typeof w.data === 'string',
    );
    if (!weightsOk || typeof raw.history !== 'object' || raw.history === null) return null;
    return raw as ModelSnapshot;
  } catch {
    return null;
  }
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage blocked (privacy settings): the app works, it just forgets
  }
}

export function loadSettings(): Settings {
  const text = storage()?.getItem(SETTINGS_KEY) ?? null;
  if (text === null) return sanitizeSettings(null);
  try {
    return sanitizeSettings(JSON.parse(text));
  } catch {
    return sanitizeSettings(null);
  }
}

export function saveSettings(settings: Settings): void {
  storage()?.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

/** Hands the model over to the next page load (read once by {@link takeModelSnapshot}). */
export function saveModelSnapshot(snapshot: ModelSnapshot): void {
  storage()?.setItem(MODEL_KEY, JSON.stringify(snapshot));
}

/** Reads and forgets the snapshot, so a later manual reload starts with fresh weights. */
export function takeModelSnapshot(): ModelSnapshot | null {
  const store = storage();
  const text = store?.getItem(MODEL_KEY) ?? null;
  store?.removeItem(MODEL_KEY);
  return parseSnapshot(text);
}
