import type { BackendInfo, History } from '@basicrnn/core';
import { VIEW_CAPTIONS } from './tasks/index.js';
import { backendText, type MainJobOptions, type WrittenView } from './main_job.js';

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** One self-contained HTML page: settings, summary, training table and every plot inline, each with its caption. */
export function htmlReport(r: {
  options: MainJobOptions;
  backend: BackendInfo;
  summary: string;
  history: History | null;
  evaluation: number[] | null;
  metrics: readonly string[];
  views: readonly WrittenView[];
}): string {
  const what = r.options.task ?? "the seed's main()";
  const settings = Object.entries(r.options)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`)
    .join('\n');
  const test = r.evaluation === null ? '' : ` Test: ${['loss', ...r.metrics].map((m, i) => `${m} ${r.evaluation![i]!.toFixed(4)}`).join(', ')}.`;
  let training = '<p>No training (epochs 0).</p>';
  if (r.history !== null) {
    const keys = Object.keys(r.history.history);
    const rows = r.history.epoch
      .map((e, i) => `<tr><td>${e + 1}</td>${keys.map((k) => `<td>${r.history!.history[k]![i]!.toFixed(4)}</td>`).join('')}</tr>`)
      .join('\n');
    training = `<table><tr><th>epoch</th>${keys.map((k) => `<th>${escape(k)}</th>`).join('')}</tr>\n${rows}</table>`;
  }
  const figures = r.views.map(({ name, svg }) => {
    const { heading, caption } = VIEW_CAPTIONS[name];
    return `<h2>${escape(heading)}</h2>\n<figure>${svg.replace(/^<\?xml[^>]*>\s*/, '')}\n<figcaption>${escape(caption)} (${escape(name)}.svg, .png)</figcaption></figure>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>basicrnn report — ${escape(what)}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
  table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
  th { text-align: left; } pre { background: #f5f5f7; padding: 1rem; overflow-x: auto; }
  figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; } figcaption { color: #555; }
</style>
</head>
<body>
<h1>basicrnn — ${escape(what)}</h1>
<p>Backend <b>${escape(backendText(r.backend))}</b>.${escape(test)}</p>
<h2>Settings</h2>
<table>${settings}</table>
<h2>Model</h2>
<pre>${escape(r.summary)}</pre>
<h2>Training</h2>
${training}
${figures.join('\n')}
</body>
</html>
`;
}
