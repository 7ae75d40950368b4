import { describe, expect, it } from 'vitest';
import { threadSentence } from './panels/controls.js';
import { DEFAULT_SETTINGS } from './settings.js';
import { AppState, type AppData, type AppKey } from './state.js';

// The page's state object and the words it shows about threads, in Node (the page itself: app.e2e.test.ts).

function initial(): AppData {
  return {
    settings: { ...DEFAULT_SETTINGS },
    activity: 'starting',
    backends: [],
    active: null,
    infoByBackend: {},
    threads: null,
    architecture: '',
    summary: '',
    modelKind: null,
    epochsDone: 0,
    resumeTarget: null,
    modelVersion: 0,
    weightsVersion: 0,
    error: null,
  };
}

describe('AppState', () => {
  it('tells subscribers once per set, with the keys that changed, and only those who listen to them', () => {
    const state = new AppState(initial());
    const heard: { who: string; changed: AppKey[] }[] = [];
    state.subscribe(['epochsDone'], (_, changed) => heard.push({ who: 'epochs', changed: [...changed] }));
    state.subscribe(['activity', 'error'], (_, changed) => heard.push({ who: 'activity', changed: [...changed] }));
    state.subscribe(null, (_, changed) => heard.push({ who: 'all', changed: [...changed] }));
    heard.length = 0; // each subscriber is called once on subscribing

    state.set({ epochsDone: 3, summary: 'x' });
    expect(heard).toEqual([
      { who: 'epochs', changed: ['epochsDone', 'summary'] },
      { who: 'all', changed: ['epochsDone', 'summary'] },
    ]);
    heard.length = 0;
    state.set({ epochsDone: 3 }); // no change, no call
    expect(heard).toEqual([]);
    state.set({ activity: 'idle' });
    expect(heard.map((h) => h.who)).toEqual(['activity', 'all']);
    expect(state.get().epochsDone).toBe(3);
    expect(state.busy()).toBe(false);
  });

  it('calls a new subscriber at once with the current state, and stops after unsubscribing', () => {
    const state = new AppState(initial());
    const seen: number[] = [];
    const stop = state.subscribe(['epochsDone'], (s) => seen.push(s.epochsDone));
    state.set({ epochsDone: 1 });
    stop();
    state.set({ epochsDone: 2 });
    expect(seen).toEqual([0, 1]);
  });

  it('replaces the settings object on a settings patch, so settings subscribers hear it', () => {
    const state = new AppState(initial());
    const before = state.get().settings;
    let calls = 0;
    state.subscribe(['settings'], () => calls++);
    state.setSettings({ epochs: 3 });
    expect(state.get().settings).not.toBe(before);
    expect(state.get().settings.epochs).toBe(3);
    expect(before.epochs).toBe(DEFAULT_SETTINGS.epochs);
    expect(calls).toBe(2);
  });
});

describe('thread report', () => {
  it('says what was asked, what runs and why, in words', () => {
    expect(threadSentence({ asked: 4, got: 1, cores: 2, crossOriginIsolated: true })).toBe(
      'Asked 4, got 1 — the pool never exceeds the cores: the browser reports 2 cores. Changing it restarts the model worker; the model is kept.',
    );
    expect(threadSentence({ asked: 4, got: 4, cores: 8, crossOriginIsolated: true })).toBe(
      'Asked 4, got 4; the browser reports 8 cores. Changing it restarts the model worker; the model is kept.',
    );
    expect(threadSentence({ asked: 'auto', got: 4, cores: 1, crossOriginIsolated: true })).toMatch(/^Asked auto \(tfjs chooses\), got 4; the browser reports 1 core\./);
    expect(threadSentence({ asked: 2, cores: 8, crossOriginIsolated: true })).toBe('Asked 2; wasm has not started yet (the browser reports 8 cores).');
    expect(threadSentence({ asked: 8, got: 1, cores: 8, crossOriginIsolated: false })).toMatch(/cross-origin isolated/);
    expect(threadSentence(null)).toBe('');
  });
});
