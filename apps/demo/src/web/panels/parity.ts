import { plotBackendChart, type BackendResult } from '@basicrnn/viz';
import { FittedPlot } from './fitted.js';
import type { Panel } from '../app.js';
import { vizFont } from '../assets.js';
import { $, diffText, el, fromHtml, shapeText } from '../dom.js';
import type { ParityRow, WorkerEvent } from '../protocol.js';

/** Parity passes when every backend is this close to cpu (float32 everywhere; webgl's GLSL tanh is the loosest). */
const PARITY_TOLERANCE = 1e-4;

function parityRow(row: ParityRow): HTMLTableRowElement {
  const tr = el('tr', undefined, { 'data-backend': row.name });
  tr.append(el('th', row.backend, { scope: 'row' }));
  if (row.error !== undefined) {
    const td = el('td', row.error, { class: 'error-cell' });
    td.colSpan = 3;
    tr.append(td);
    return tr;
  }
  const diff = el('td', row.maxAbsDiff === undefined ? 'no cpu reference' : diffText(row.maxAbsDiff), {
    'data-field': 'maxAbsDiff',
    'data-value': String(row.maxAbsDiff),
  });
  if (row.maxAbsDiff !== undefined) {
    const ok = row.maxAbsDiff <= PARITY_TOLERANCE;
    diff.append(el('span', ok ? 'within 1e-4' : 'over 1e-4', { class: `tag ${ok ? 'ok' : 'bad'}` }));
  }
  tr.append(diff, el('td', (row.forwardMs ?? NaN).toFixed(2)), el('td', (row.trainMs ?? NaN).toFixed(2)));
  return tr;
}

/** The same input and weights on every backend: the largest difference from cpu and the timings; with progress and Cancel. */
export const parityPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" aria-labelledby="parity-title">
      <div class="card-head">
        <h2 id="parity-title">Parity and speed across backends</h2>
        <div class="actions">
          <button type="button" id="parity" class="primary">Run on every backend</button>
        </div>
      </div>
      <p class="hint" id="parity-what">The same input (the forward pass's) and the same weights on each backend; cpu is the reference.</p>
      <div class="progress-row">
        <progress id="parity-progress" max="1" value="0" aria-label="Progress of the parity run"></progress>
        <span id="parity-status" role="status" aria-live="polite">Not run yet.</span>
      </div>
      <div class="table-wrap" role="region" aria-label="Table of parity and speed per backend (scrolls sideways)" tabindex="0">
        <table id="parity-table" class="data">
          <thead>
            <tr><th scope="col">backend</th><th scope="col">max |Δ| vs cpu</th><th scope="col">forward (ms)</th><th scope="col">training step (ms)</th></tr>
          </thead>
          <tbody><tr><td colspan="4" class="muted">Not run yet.</td></tr></tbody>
        </table>
      </div>
      <div id="parity-plot" class="plot"></div>
    </section>`);
    const button = $<HTMLButtonElement>(root, '#parity');
    const progress = $<HTMLProgressElement>(root, '#parity-progress');
    const status = $(root, '#parity-status');
    const tbody = $(root, '#parity-table tbody');
    let subtitle = '';
    const chart = new FittedPlot<readonly BackendResult[]>(
      $(root, '#parity-plot'),
      (host, data, width) => plotBackendChart(host, data, { font: vizFont, tolerance: PARITY_TOLERANCE, reference: 'cpu', subtitle, width }),
      360,
    );
    let running = false;

    engine.on((e: WorkerEvent) => {
      if (!running) return;
      if (e.event === 'parityProgress') {
        progress.max = e.steps;
        progress.value = e.step;
        status.textContent = `${e.what}… (${e.step + 1}/${e.steps})`;
      } else if (e.event === 'parityRow') {
        tbody.append(parityRow(e.row));
        if (e.info !== undefined) state.set({ infoByBackend: { ...state.get().infoByBackend, [e.info.name]: e.info } });
      }
    });

    const run = async () => {
      running = true;
      tbody.replaceChildren();
      root.querySelector('#parity-plot')!.removeAttribute('data-done');
      state.set({ activity: 'parity' });
      // The same button cancels, so focus stays where the user is.
      button.textContent = 'Cancel';
      button.classList.replace('primary', 'danger');
      try {
        const r = await engine.call('parity', { settings: state.get().settings });
        const done = r.rows.filter((row) => row.error === undefined);
        const results = done.map(({ backend, forwardMs, trainMs, maxAbsDiff }) => ({ backend, forwardMs, trainMs, maxAbsDiff }) as BackendResult);
        status.textContent = r.cancelled
          ? `Cancelled after ${done.length} of ${state.get().backends.length} backends.`
          : `Done: ${r.rows.length} backends, input ${shapeText(r.inputShape)}.`;
        status.dataset.cancelled = String(r.cancelled);
        if (results.length > 0) {
          subtitle = `input ${shapeText(r.inputShape)}, median of several runs; a training step here is forward + gradients of every weight`;
          chart.show(results, true);
        }
        $(root, '#parity-plot').dataset.done = 'true';
      } finally {
        running = false;
        progress.value = 0;
        button.textContent = 'Run on every backend';
        button.classList.replace('danger', 'primary');
        state.set({ activity: 'idle' });
        button.focus({ preventScroll: true });
      }
    };

    button.addEventListener('click', () => {
      if (running) {
        status.textContent = 'Cancelling after the current measurement…';
        void app.guard(async () => {
          await engine.call('stop', {});
        });
      } else {
        void app.guard(run);
      }
    });
    state.subscribe(['modelKind'], (s) => {
      const k = s.modelKind;
      if (k === null) return;
      const input = k.input === 'tokenIds' ? 'token ids' : 'input';
      $(root, '#parity-what').textContent = `The same model (${k.kind === 'sequential' ? 'sequential' : 'BasicRNN'}: ${k.layers.join(' → ')}), the same ${input} (the forward pass's) and the same weights on each backend; cpu is the reference.`;
    });
    state.subscribe(['activity'], (s) => (button.disabled = s.activity !== 'idle' && s.activity !== 'parity'));
    return root;
  },
};
