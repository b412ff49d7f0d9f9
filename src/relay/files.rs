//! The page's files: a fixed list, read once when the relay starts. A request only ever
//! picks one of these by exact name — no path a request names is ever opened.

use std::collections::HashMap;
use std::path::Path;

/// Every file the page loads (`www/`, with the module wasm-bindgen builds into `pkg/`).
pub const PAGE_FILES: &[&str] = &[
    "index.html",
    "app.js",
    "worker.js",
    "reader.js",
    "readahead.js",
    "copy.js",
    "copynote.js",
    "copier.js",
    "writer.js",
    "protocol.js",
    "client.js",
    "ui.js",
    "convert.js",
    "signatures.js",
    "upload.js",
    "recovered.js",
    "steps.js",
    "report.js",
    "files.js",
    "card.js",
    "style.css",
    "sw.js",
    "pkg/unpst.js",
    "pkg/unpst_bg.wasm",
];

/// No page file is near this; a `www` that holds something bigger is not the page.
const MAX_FILE: u64 = 64 << 20;

/// The page's files in memory, by URL path (`/`, `/app.js`, …).
#[derive(Default)]
pub struct Files {
    by_path: HashMap<String, (&'static str, Vec<u8>)>,
}

impl Files {
    /// Reads [`PAGE_FILES`] from `dir`. `index.html` must be there; a missing `pkg/` is
    /// reported (the page cannot run without it) but the rest is still served.
    pub fn load(dir: &Path) -> Result<(Self, Vec<String>), String> {
        let mut files = Files::default();
        let mut missing = Vec::new();
        for name in PAGE_FILES {
            let path = dir.join(name);
            // Regular files only, of a sane size (never a device or a FIFO).
            let bytes = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() && m.len() <= MAX_FILE => {
                    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?
                }
                Ok(_) => return Err(format!("{}: not a regular page file", path.display())),
                Err(_) => {
                    missing.push((*name).to_string());
                    continue;
                }
            };
            let ctype = content_type(name);
            if *name == "index.html" {
                files.by_path.insert("/".into(), (ctype, bytes.clone()));
            }
            files.by_path.insert(format!("/{name}"), (ctype, bytes));
        }
        if missing.iter().any(|m| m == "index.html") {
            return Err(format!("{}: no index.html in it", dir.display()));
        }
        Ok((files, missing))
    }

    /// The content type and bytes for a request path, if it is one of the page's files.
    pub fn get(&self, path: &str) -> Option<(&'static str, &[u8])> {
        self.by_path.get(path).map(|(t, b)| (*t, b.as_slice()))
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::PAGE_FILES;
    use std::collections::BTreeSet;

    /// A page file left out of [`PAGE_FILES`] is a 404 in the relay; one left out of the
    /// service worker's list is missing offline. Both lists must name every file of `www/`.
    #[test]
    fn page_files_and_the_service_worker_name_every_file_of_www() {
        let www = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
        let on_disk: BTreeSet<String> = std::fs::read_dir(&www)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .chain(["pkg/unpst.js".into(), "pkg/unpst_bg.wasm".into()])
            .collect();
        let listed: BTreeSet<String> = PAGE_FILES.iter().map(|s| s.to_string()).collect();
        assert_eq!(listed, on_disk, "relay::files::PAGE_FILES against www/");
        let sw = std::fs::read_to_string(www.join("sw.js")).unwrap();
        let line = sw.lines().find(|l| l.starts_with("const FILES")).unwrap();
        let cached: BTreeSet<String> = line
            .split('\'')
            .skip(1)
            .step_by(2)
            .filter(|f| *f != "./")
            .map(str::to_string)
            .collect();
        let mut want = on_disk.clone();
        want.remove("sw.js");
        assert_eq!(cached, want, "www/sw.js FILES against www/");
    }
}
