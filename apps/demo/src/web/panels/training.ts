import { plotHiddenStates, plotTrainingCurves, trainingCurvesCallback, type HiddenStatesData, type TrainingHistory } from '@basicrnn/viz';
import type { Panel } from '../app.js';
import { vizFont } from '../assets.js';
import { $, fromHtml, msText, plural } from '../dom.js';
import type { HiddenProbe, WorkerEvent } from '../protocol.js';
import { trainingProblem } from '../settings.js';
import { FittedPlot, heatmapHeight } from './fitted.js';
import { wordAxis } from './words.js';

/** Redraws of the plots during training are at most this frequent: the page keeps time for the user's clicks. */
const REDRAW_INTERVAL_MS = 1000;
/**
 * While the user is clicking or typing (input within this many ms), redraws during training wait: a redraw of the
 * curves and the heatmap costs 15–350 ms of main thread on a loaded 2-core machine, and a click that lands behind
 * one waits that long. The latest epoch is drawn as soon as the user pauses.
 */
const QUIET_AFTER_INPUT_MS = 300;

/** Train / Stop / Resume, live curves and the hidden state of a held-out example after each epoch. */
export const trainingPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" aria-labelledby="training-title">
      <div class="card-head">
        <h2 id="training-title">Training</h2>
        <div class="actions">
          <button type="button" id="train" class="primary">Train</button>
          <button type="button" id="stop" class="danger" disabled>Stop</button>
        </div>
      </div>
      <p class="hint" id="train-problem" role="status"></p>
      <div class="progress-row">
        <progress id="train-progress" max="1" value="0" aria-label="Progress of the current epoch"></progress>
        <span id="train-status" role="status" aria-live="polite">Not trained yet.</span>
      </div>
      <div id="curves-plot" class="plot"></div>
      <div id="hidden-plot" class="plot"><p class="empty">The hidden state of a held-out example appears here after each epoch.</p></div>
    </section>`);
    const trainButton = $<HTMLButtonElement>(root, '#train');
    const stopButton = $<HTMLButtonElement>(root, '#stop');
    const status = $(root, '#train-status');
    const progress = $<HTMLProgressElement>(root, '#train-progress');
    const curves = new FittedPlot<TrainingHistory>(
      $(root, '#curves-plot'),
      (host, data, width) => plotTrainingCurves(host, data, { font: vizFont, title: 'Loss and metrics per epoch', width }),
      240,
    );
    curves.show({ epoch: [], history: {} });
    let pendingHistory: TrainingHistory | null = null;
    // The callback keeps the history; the curves redraw on the coalesced schedule below.
    const history = trainingCurvesCallback({
      update: (h: TrainingHistory) => {
        pendingHistory = h;
        schedule();
      },
    });
    let probeWords: string[] | undefined;
    const hidden = new FittedPlot<HiddenStatesData>(
      $(root, '#hidden-plot'),
      (host, data, width) =>
        plotHiddenStates(host, data, {
          font: vizFont,
          width,
          height: heatmapHeight(Number((data.hiddenStates as { shape: number[] }).shape[2])),
          title: 'Hidden state of a held-out example, redrawn after every epoch',
          ...wordAxis(probeWords),
        }),
      240,
    );
    const emptyHidden = () => fromHtml('<p class="empty">The hidden state of a held-out example appears here after each epoch.</p>');
    let pendingProbe: HiddenProbe | null = null;
    let pendingEpoch = 0;
    let redrawTimer: ReturnType<typeof setTimeout> | undefined;
    let lastRedraw = 0;
    const setStatus = (text: string) => (status.textContent = text);

    // During training one plot per redraw, curves and heatmap in turn (each is a task of its own, so a click waits
    // behind one at most); at the end, both.
    let curvesNext = true;
    const redraw = (both = false) => {
      redrawTimer = undefined;
      lastRedraw = performance.now();
      const drawCurves = pendingHistory !== null && (both || curvesNext || pendingProbe === null);
      if (drawCurves) {
        curves.show(pendingHistory!);
        pendingHistory = null;
        curvesNext = false;
      }
      const probe = pendingProbe;
      if (probe !== null && (both || !drawCurves)) {
        pendingProbe = null;
        probeWords = probe.words;
        hidden.show({ hiddenStates: probe.hiddenStates, example: 0 }, true);
        $(root, '#hidden-plot').dataset.epoch = String(pendingEpoch);
        curvesNext = true;
      }
      if (pendingHistory !== null || pendingProbe !== null) schedule();
    };
    let lastInput = -Infinity;
    for (const type of ['pointerdown', 'keydown'] as const) document.addEventListener(type, () => (lastInput = performance.now()), { capture: true, passive: true });
    // Curves and heatmap are coalesced: at most one redraw per interval, the latest epoch wins, and none while the
    // user is interacting.
    function schedule(): void {
      if (redrawTimer !== undefined) return;
      const now = performance.now();
      const wait = Math.max(REDRAW_INTERVAL_MS - (now - lastRedraw), QUIET_AFTER_INPUT_MS - (now - lastInput), 0);
      redrawTimer = setTimeout(() => {
        redrawTimer = undefined;
        if (state.get().activity === 'training' && performance.now() - lastInput < QUIET_AFTER_INPUT_MS) schedule();
        else redraw();
      }, wait);
    }
    const scheduleProbe = (probe: HiddenProbe, epoch: number) => {
      pendingProbe = probe;
      pendingEpoch = epoch;
      schedule();
    };

    engine.on((e: WorkerEvent) => {
      if (e.event === 'epochBegin') {
        progress.max = e.batches;
        progress.value = 0;
        setStatus(`Epoch ${e.epoch + 1}/${e.target} on ${e.backend}…`);
      } else if (e.event === 'batchEnd') {
        progress.value = e.batch + 1;
      } else if (e.event === 'epochEnd') {
        history.onEpochEnd(e.epochsDone - 1, e.logs);
        state.set({ epochsDone: e.epochsDone });
        const text = Object.entries(e.logs).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' · ');
        setStatus(`Epoch ${e.epochsDone}/${e.target}: ${text}`);
        status.dataset.epochs = String(e.epochsDone);
        scheduleProbe(e.probe, e.epochsDone);
      }
    });

    state.subscribe(['modelVersion'], () => {
      history.reset();
      curves.show({ epoch: [], history: {} });
      pendingHistory = null;
      hidden.clear(emptyHidden());
      status.dataset.epochs = '0';
      if (state.get().activity !== 'starting') setStatus('New model: weights drawn from the seed; not trained yet.');
    });
    state.subscribe(['activity', 'settings', 'epochsDone', 'resumeTarget'], (s) => {
      const training = s.activity === 'training';
      const problem = trainingProblem(s.settings);
      trainButton.disabled = s.activity !== 'idle' || problem !== null;
      stopButton.disabled = !training;
      $(root, '#train-problem').textContent = problem ?? '';
      const epochs = s.settings.epochs;
      const left = s.resumeTarget === null ? 0 : s.resumeTarget - s.epochsDone;
      trainButton.textContent =
        s.resumeTarget !== null && !training
          ? `Resume (${plural(left, 'epoch')} left)`
          : `Train ${s.epochsDone > 0 && !training ? `${plural(epochs, 'more epoch')}` : plural(epochs, 'epoch')}`;
      status.dataset.state = training ? 'training' : 'idle';
    });

    const train = async () => {
      const s = state.get();
      const resumeTarget = s.resumeTarget;
      state.set({ activity: 'training', resumeTarget: resumeTarget ?? s.epochsDone + s.settings.epochs });
      // Train is disabled while training runs: keep the keyboard user's place on the button that acts now.
      if (document.activeElement === trainButton || document.activeElement === document.body) stopButton.focus();
      try {
        const r = await engine.call('train', { settings: s.settings, resumeTarget });
        if (r.nonFinite !== undefined) {
          state.set({ resumeTarget: null });
          setStatus(r.nonFinite);
        } else if (r.stopped) {
          status.dataset.stopLatencyMs = (r.stopLatencyMs ?? 0).toFixed(1);
          setStatus(`Stopped after ${r.epochsDone} of ${r.target} epochs (the stop took ${msText(r.stopLatencyMs ?? 0)}). Resume continues with the same model and optimizer.`);
        } else {
          state.set({ resumeTarget: null });
          const last = history.history;
          const i = last.epoch.length - 1;
          const text = Object.entries(last.history).map(([k, v]) => `${k} ${(v[i] ?? NaN).toFixed(4)}`).join(' · ');
          setStatus(`Epoch ${r.epochsDone}: ${text} · done in ${r.seconds.toFixed(1)} s on ${r.backend}`);
        }
        state.set({ epochsDone: r.epochsDone });
      } catch (e) {
        state.set({ resumeTarget: null });
        throw e;
      } finally {
        progress.value = 0;
        clearTimeout(redrawTimer);
        redraw(true);
        const refocus = document.activeElement === stopButton || document.activeElement === document.body;
        state.set({ activity: 'idle', weightsVersion: state.get().weightsVersion + 1 });
        if (refocus) trainButton.focus();
      }
    };

    trainButton.addEventListener('click', () => void app.guard(train));
    stopButton.addEventListener('click', () => {
      status.dataset.stopRequestedAt = String(performance.now());
      setStatus('Stopping after the current batch…');
      void app.guard(async () => {
        await engine.call('stop', {});
      });
    });
    return root;
  },
};
