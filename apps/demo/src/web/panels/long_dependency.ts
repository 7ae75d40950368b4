import { plotGradientFlow, type GradientFlowData } from '@basicrnn/viz';
import type { Panel } from '../app.js';
import { vizFont } from '../assets.js';
import { $, el, fromHtml } from '../dom.js';
import type { LongDependencyRow, WorkerEvent } from '../protocol.js';
import { FittedPlot } from './fitted.js';

const CELL_LABELS: Record<LongDependencyRow['cell'], string> = { simpleRNN: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' };

/**
 * The seed's limitation, live: a SimpleRNN, an LSTM and a GRU trained alike on the adding problem (sum the two
 * marked values of a long sequence), their test errors side by side, and how far back the loss's gradient reaches.
 */
export const longDependencyPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" aria-labelledby="long-title">
      <div class="card-head">
        <h2 id="long-title">Long dependencies: SimpleRNN, LSTM, GRU</h2>
        <div class="actions">
          <label for="long-steps">Sequence length</label>
          <select id="long-steps"><option value="50">50</option><option value="100" selected>100</option></select>
          <label for="long-budget">Steps per cell</label>
          <select id="long-budget"><option value="300">300</option><option value="1000" selected>1000</option><option value="1500">1500</option></select>
          <button type="button" id="long-run" class="primary">Compare cells</button>
        </div>
      </div>
      <p class="hint">The adding problem: each step carries a value in [0, 1] and a marker; the answer is the sum of the two marked
        values, one in each half of the sequence. Predicting the mean scores an error (MSE) of about 0.167. The simple RNN's
        gradient fades on its way back to the first marker, so it stays there; the gated cells learn it (about 1,000 steps).</p>
      <div class="progress-row">
        <progress id="long-progress" max="1" value="0" aria-label="Progress of the cell comparison"></progress>
        <span id="long-status" role="status" aria-live="polite">Not run yet.</span>
      </div>
      <div class="table-wrap" role="region" aria-label="Test error per cell" tabindex="0">
        <table id="long-table" class="data">
          <thead><tr><th scope="col">cell</th><th scope="col">test MSE</th><th scope="col">steps</th><th scope="col">seconds</th></tr></thead>
          <tbody><tr><td colspan="4" class="muted">Not run yet.</td></tr></tbody>
        </table>
      </div>
      <div id="long-plot" class="plot"></div>
    </section>`);
    const button = $<HTMLButtonElement>(root, '#long-run');
    const progress = $<HTMLProgressElement>(root, '#long-progress');
    const status = $(root, '#long-status');
    const tbody = $(root, '#long-table tbody');
    const chart = new FittedPlot<GradientFlowData>(
      $(root, '#long-plot'),
      (host, data, width) => plotGradientFlow(host, data, { font: vizFont, width, subtitle: 'after training, 32 test sequences' }),
      360,
    );
    let running = false;
    const cells = Object.keys(CELL_LABELS) as LongDependencyRow['cell'][];

    engine.on((e: WorkerEvent) => {
      if (!running || e.event !== 'longDependencyProgress') return;
      progress.max = cells.length * e.maxSteps;
      progress.value = cells.indexOf(e.cell) * e.maxSteps + e.step;
      status.textContent = `${CELL_LABELS[e.cell]}: step ${e.step} of at most ${e.maxSteps}, test MSE ${e.testMse.toFixed(3)}`;
    });

    const run = async () => {
      running = true;
      state.set({ activity: 'comparing' });
      tbody.replaceChildren();
      try {
        const seqLength = Number($<HTMLSelectElement>(root, '#long-steps').value);
        const maxSteps = Number($<HTMLSelectElement>(root, '#long-budget').value);
        const r = await engine.call('longDependency', { seqLength, maxSteps });
        for (const row of r.rows) {
          const tr = el('tr', undefined, { 'data-cell': row.cell });
          tr.append(el('th', CELL_LABELS[row.cell], { scope: 'row' }), el('td', row.testMse.toFixed(4), { 'data-field': 'testMse' }), el('td', String(row.steps)), el('td', row.seconds.toFixed(1)));
          tbody.append(tr);
        }
        status.textContent = `Done: T = ${seqLength}, at most ${maxSteps} steps per cell.`;
        chart.show({ gradients: r.gradients }, true);
        $(root, '#long-plot').dataset.done = 'true';
      } finally {
        running = false;
        progress.value = 0;
        state.set({ activity: 'idle' });
        button.focus({ preventScroll: true });
      }
    };
    button.addEventListener('click', () => void app.guard(run));
    state.subscribe(['activity'], (s) => (button.disabled = s.activity !== 'idle'));
    return root;
  },
};
