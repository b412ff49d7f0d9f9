// Offline after the first visit: the app's own files are cached; nothing else is fetched.
const CACHE = 'unpst-v15';
const FILES = ['./', 'index.html', 'app.js', 'worker.js', 'writer.js', 'reader.js', 'readahead.js', 'copy.js', 'copynote.js', 'copier.js', 'protocol.js', 'client.js', 'ui.js', 'convert.js', 'signatures.js', 'upload.js', 'recovered.js', 'steps.js', 'report.js', 'files.js', 'card.js', 'style.css', 'pkg/unpst.js', 'pkg/unpst_bg.wasm'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Network first (a rebuilt page is picked up at once), the cache when offline.
self.addEventListener('fetch', (e) => {
  if (e.request.method !== 'GET' || new URL(e.request.url).origin !== location.origin) return;
  e.respondWith(fetch(e.request)
    .then((r) => {
      const copy = r.clone();
      caches.open(CACHE).then((c) => c.put(e.request, copy));
      return r;
    })
    .catch(() => caches.match(e.request, { ignoreSearch: true })));
});
