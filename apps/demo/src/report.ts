import type { BackendInfo, History } from '@basicrnn/core';
import type { MainJobOptions } from './main_job.js';

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** One self-contained HTML page: settings, summary, training table and every plot inline. */
export function htmlReport(r: {
  options: MainJobOptions;
  backend: BackendInfo;
  summary: string;
  history: History;
  evaluation: number[];
  metrics: readonly string[];
  views: [string, string][];
}): string {
  const keys = Object.keys(r.history.history);
  const rows = r.history.epoch
    .map((e, i) => `<tr><td>${e + 1}</td>${keys.map((k) => `<td>${r.history.history[k]![i]!.toFixed(4)}</td>`).join('')}</tr>`)
    .join('\n');
  const settings = Object.entries(r.options)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`)
    .join('\n');
  const test = ['loss', ...r.metrics].map((m, i) => `${m} ${r.evaluation[i]!.toFixed(4)}`).join(', ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>basicrnn report — ${escape(r.options.task)}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
  table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
  th { text-align: left; } pre { background: #f5f5f7; padding: 1rem; overflow-x: auto; }
  figure { margin: 1rem 0; } svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>basicrnn — ${escape(r.options.task)}</h1>
<p>Backend <b>${escape(r.backend.name)}</b>${r.backend.simd === undefined ? '' : `, SIMD ${r.backend.simd ? 'on' : 'off'}`}${r.backend.threads === undefined ? '' : `, ${r.backend.threads} thread(s)`}. Test: ${test}.</p>
<h2>Settings</h2>
<table>${settings}</table>
<h2>Model</h2>
<pre>${escape(r.summary)}</pre>
<h2>Training</h2>
<table><tr><th>epoch</th>${keys.map((k) => `<th>${escape(k)}</th>`).join('')}</tr>
${rows}</table>
${r.views.map(([name, svg]) => `<h2>${escape(name)}</h2>\n<figure>${svg.replace(/^<\?xml[^>]*>\s*/, '')}</figure>`).join('\n')}
</body>
</html>
`;
}
