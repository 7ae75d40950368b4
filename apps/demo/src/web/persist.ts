import { sanitizeSettings, type Settings } from './settings.js';

// What survives a reload of the tab: the settings, kept on every change (per tab, in sessionStorage). The model
// itself never leaves the worker; a new wasm thread count restarts the worker, not the page (app.ts).

const SETTINGS_KEY = 'basicrnn-demo/settings/v1';

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage blocked (privacy settings): the app works, it just forgets
  }
}

/** The tab's saved settings, field by field (anything missing or invalid falls back to the default). */
export function loadSettings(): Settings {
  const text = storage()?.getItem(SETTINGS_KEY) ?? null;
  if (text === null) return sanitizeSettings(null);
  try {
    return sanitizeSettings(JSON.parse(text));
  } catch {
    return sanitizeSettings(null);
  }
}

/** Keeps the settings for this tab (a reload restores them). */
export function saveSettings(settings: Settings): void {
  storage()?.setItem(SETTINGS_KEY, JSON.stringify(settings));
}
