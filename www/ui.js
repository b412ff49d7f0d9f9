// What every panel of the page shares: element lookup, the status line, the formats of
// sizes, times and progress, and saving a file.

export const $ = (s) => document.querySelector(s);

// The page's one test hook (`window.unpst`), for the browser tests and benchmarks only:
// `crashOn` (an item whose conversion panics), `cancelAfter` (Cancel after that many items),
// `pauseAfter` (Pause after that many items),
// `timings` (ms the user waited: {tree, message}), `frameAnswers` (answers taken in a frame),
// `memory()` (the module's memory), `reads()` (reads of the file), `copied()` (the file's
// working copy, see copy.js), `noCopy` (files opened from now on get none).
export const hooks = { crashOn: 0, cancelAfter: 0, pauseAfter: 0, timings: { tree: [], message: [] }, frameAnswers: 0, memory: null, reads: null, copied: null, noCopy: false };
window.unpst = hooks;

export function setState(s) { document.body.dataset.state = s; }

export function status(text, isError) {
  const el = $('#status');
  el.textContent = text;
  el.classList.toggle('error', !!isError);
}

export function fmtEta(s) {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

export function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

// A progress line: items, bytes, rate and time left (since `t0`, performance.now()), then
// `extra` parts.
export function progressLine(p, t0, ...extra) {
  const secs = (performance.now() - t0) / 1000;
  const rate = p.done / Math.max(secs, 0.001);
  const eta = rate > 0 ? Math.round((p.total - p.done) / rate) : 0;
  return [`${p.done} / ${p.total} items`, ...extra, fmtBytes(p.bytes), `${rate.toFixed(0)}/s`, `ETA ${fmtEta(eta)}`, p.folder].join(' · ');
}
