import type { Panel } from '../app.js';
import { $, el, fromHtml, plural } from '../dom.js';

/** What each backend reported (SIMD, threads, WebGL, precision), with the page's isolation and core count. */
export const reportPanel: Panel = {
  area: 'main',
  mount({ state }) {
    const root = fromHtml(`<section class="card" aria-labelledby="backend-title">
      <h2 id="backend-title">What each backend reported</h2>
      <p class="lede" id="page-facts"></p>
      <div class="table-wrap" role="region" aria-label="Table of what each backend reported (scrolls sideways)" tabindex="0">
        <table id="backend-table" class="data">
          <thead>
            <tr>
              <th scope="col">backend</th><th scope="col">SIMD</th><th scope="col">threads</th><th scope="col">wasm build</th>
              <th scope="col">WebGL</th><th scope="col">float precision</th><th scope="col">float32 textures</th><th scope="col">fused kernels</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      <p class="hint">
        All of this runs in a Web Worker (webgl through an OffscreenCanvas), so the page answers while it computes.
        Float precision is what tfjs's <code>floatPrecision()</code> says: 16 even where tensors live in float32 textures
        (the column after it tells). Fused kernels: the recurrence runs as one registered kernel instead of composed ops.
      </p>
    </section>`);
    const pill = document.getElementById('backend-pill')!;
    state.subscribe(['active', 'infoByBackend', 'backends', 'threads', 'activity'], (s) => {
      const t = s.threads;
      if (t !== null) {
        $(root, '#page-facts').textContent =
          `This page is ${t.crossOriginIsolated ? 'cross-origin isolated (COOP + COEP), so wasm can run threads' : 'not cross-origin isolated, so wasm runs one thread'}; ` +
          `the browser reports ${plural(t.cores, 'logical core')}.`;
      }
      const active = s.active;
      const info = active === null ? undefined : s.infoByBackend[active];
      if (s.activity === 'restarting' || active === null) {
        pill.textContent = 'starting…';
      } else {
        const parts = [active];
        if (info?.simd !== undefined) parts.push(info.simd ? 'SIMD' : 'no SIMD');
        if (info?.threads !== undefined) parts.push(plural(info.threads, 'thread'));
        if (info?.webglVersion !== undefined) parts.push(`WebGL ${info.webglVersion}`);
        if (info?.float32Textures !== undefined) parts.push(info.float32Textures ? 'float32 textures' : 'float16 textures');
        pill.textContent = parts.join(' · ');
        pill.dataset.backend = active;
      }
      const yesNo = (v: boolean | undefined) => (v === undefined ? '–' : v ? 'yes' : 'no');
      const fields = ['simd', 'threads', 'binary', 'webglVersion', 'floatPrecision', 'float32Textures', 'fusedKernels'];
      $(root, '#backend-table tbody').replaceChildren(
        ...s.backends.map((name) => {
          const i = s.infoByBackend[name];
          const row = el('tr', undefined, { 'data-backend': name });
          const head = el('th', name, { scope: 'row' });
          if (name === active) {
            row.classList.add('active');
            head.append(el('span', 'active', { class: 'tag' }));
          }
          row.append(head);
          if (i === undefined) {
            const td = el('td', 'not started yet', { class: 'muted' });
            td.colSpan = 7;
            row.append(td);
            return row;
          }
          const cells = [
            yesNo(i.simd),
            i.threads === undefined ? '–' : String(i.threads),
            i.binary?.replace(/^tfjs-backend-|\.wasm$/g, '') ?? '–',
            i.webglVersion === undefined ? '–' : String(i.webglVersion),
            i.floatPrecision === undefined ? '–' : `${i.floatPrecision} bit`,
            yesNo(i.float32Textures),
            yesNo(i.fusedKernels),
          ];
          row.append(...cells.map((c, k) => el('td', c, { 'data-field': fields[k]! })));
          return row;
        }),
      );
    });
    return root;
  },
};
