//! The WebAssembly front end: a thin wasm-bindgen layer over the same library calls the CLI
//! makes (open, folder tree, message list, preview, conversion). It runs in a dedicated
//! worker, where `FileReaderSync` can read the dropped file slice by slice.

pub mod blob;
mod export;
mod sinks;

use crate::convert;
use crate::pst::Pst;
use crate::pst::messaging::Nid;
use blob::BlobSource;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Each browser file read costs milliseconds (≈ 2–3 ms for 256 KiB, 5–8 ms for 1 MiB in headless
/// Chromium here), and a folder's messages lie scattered over the file (mail arrives over the
/// years into all folders at once), so the cache holds many mid-sized chunks ([`CHUNKS`]) and
/// reader workers fetch the announced ones ahead (www/reader.js; its slots are this size).
/// Measured on a generated 1 GB file, page to zip: 1 MiB × 48 took 104 s; 256 KiB × 512 49 s,
/// with read-ahead 26.5 s; 128 KiB × 1024 with read-ahead 24–25 s; 64 KiB × 2048 30 s.
const CHUNK: usize = 128 << 10;
/// The most a message may take when held whole (its preview; a frame for the relay, which
/// takes a message in one piece): what every message took before attachments streamed.
const PREVIEW_LIMIT: u64 = 1 << 30;
/// 96 MiB of chunks, a fixed cap: the module's whole memory stays under 128 MiB whatever the
/// file (`cargo xtask bench-scale`: 119 MiB after a 5.4 GB file, 114 MiB after one 2 GiB
/// attachment). 1024 chunks (128 MiB) made 154 MiB for 3 % less time on the 1 GB file
/// (31.4–31.8 s against 31.9–33.2 s, same machine and hour).
const CHUNKS: usize = 768;
/// Body text the search index may hold (wasm32 has 4 GiB in all; conversions need room).
const BODY_INDEX_BUDGET: usize = 96 << 20;

fn js<E: std::fmt::Display>(e: E) -> JsError {
    JsError::new(&e.to_string())
}

/// A node id from the page: one of a type the spec does not define is refused here.
fn nid(raw: u32) -> Result<Nid, JsError> {
    Nid::try_from(raw).map_err(js)
}

/// Results cross to JS as one JSON text parsed there: for trees and row lists of thousands of
/// small objects that is several times faster than building each object through the boundary.
fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(v).map_err(js)?;
    js_sys::JSON::parse(&text).map_err(|_| js("result JSON"))
}

/// The module's cache chunk: the worker's read-ahead slots are this big.
#[wasm_bindgen]
pub fn chunk_size() -> u32 {
    CHUNK as u32
}

/// What the page offers the relay as its WebSocket sub-protocol, before the token.
#[wasm_bindgen]
pub fn relay_protocol_prefix() -> String {
    crate::sink::imap::RELAY_PROTOCOL_PREFIX.to_string()
}

/// Reads the working copies of files have served (see `wasm::blob`): for the tests.
#[wasm_bindgen]
pub fn copy_reads() -> f64 {
    blob::copy_reads() as f64
}

/// Steps of [`Session::read_ahead`].
#[wasm_bindgen]
pub fn read_ahead_steps() -> u32 {
    crate::pst::ndb::READ_AHEAD_STEPS
}

/// Where `address`'s mail most likely is (a known provider's server, or the hosting
/// default as a guess): `sink::imap::providers::Suggestion`, or null for no address.
#[wasm_bindgen]
pub fn provider_for(address: &str) -> Result<JsValue, JsError> {
    to_js(&crate::sink::imap::providers::suggest(address))
}

/// Signatures from the files of an Outlook signatures folder the user picked: an array of
/// `{path, bytes}` with paths relative to the folder (`Work.htm`, `Work_files/image001.png`).
#[wasm_bindgen]
pub fn signatures_from_files(files: js_sys::Array) -> Result<JsValue, JsError> {
    let mut map = std::collections::BTreeMap::new();
    for f in files.iter() {
        let path = js_sys::Reflect::get(&f, &"path".into())
            .ok()
            .and_then(|p| p.as_string())
            .unwrap_or_default();
        let bytes = js_sys::Reflect::get(&f, &"bytes".into())
            .ok()
            .map(|b| js_sys::Uint8Array::new(&b).to_vec())
            .unwrap_or_default();
        map.insert(path, bytes);
    }
    to_js(&crate::signatures::from_files(&map))
}

/// The item the converter was on when the module trapped (read by the worker after a trap:
/// it only loads a number, which works in a trapped instance).
#[wasm_bindgen]
pub fn current_item() -> u32 {
    convert::current_item().map_or(0, |n| n.get())
}

/// One open PST/OST file.
#[wasm_bindgen]
pub struct Session {
    pst: Pst,
    name: String,
    /// The last message converted: a preview, its inline images and its attachments are
    /// asked for one after another, and each would otherwise convert the message again.
    last: std::cell::RefCell<Option<(Item, std::rc::Rc<Vec<u8>>)>>,
    /// What [`Session::recover`] found: the recovered items shown and previewed.
    found: std::cell::RefCell<Option<std::rc::Rc<convert::deleted::Found>>>,
    /// The full-text body index, built on demand a few messages at a time.
    bodies: std::cell::RefCell<Option<crate::search::BodyIndex>>,
}

#[wasm_bindgen]
impl Session {
    /// Opens a dropped file; a file that is not a PST gets a clear error. `fetcher`
    /// (optional, `{want, take}`) reads ahead in another worker; `copy` (optional, an object
    /// the worker fills in later with `{handle, state}`) is the file's working copy (see
    /// `wasm::blob`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        file: web_sys::Blob,
        name: String,
        fetcher: JsValue,
        copy: JsValue,
    ) -> Result<Session, JsError> {
        let src = BlobSource::new(file)
            .map_err(js)?
            .with_fetcher(fetcher)
            .with_copy(copy);
        Self::open(Box::new(src), CHUNK, CHUNKS, name)
    }

    /// Opens a small file the worker has read whole (one read instead of one per chunk:
    /// each browser file read costs milliseconds). The worker decides what "small" is.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: Vec<u8>, name: String) -> Result<Session, JsError> {
        let src = crate::source::ReadSeekSource::new(std::io::Cursor::new(bytes)).map_err(js)?;
        // The bytes are in memory already: a small cache only saves re-copying hot pages.
        Self::open(Box::new(src), 64 << 10, 16, name)
    }

    fn open(
        src: Box<dyn crate::source::ByteSource>,
        chunk: usize,
        chunks: usize,
        name: String,
    ) -> Result<Session, JsError> {
        // A panic traps the module ("unreachable"); its message goes to the console first,
        // where the worker picks it up for the page.
        std::panic::set_hook(Box::new(|info| {
            web_sys::console::error_1(&format!("unpst panicked: {info}").into());
        }));
        // What was set aside is the last file's; the worker sets aside this one's after.
        convert::forget_set_aside();
        let pst = Pst::open_with_cache(src, chunk, chunks).map_err(js)?;
        Ok(Session {
            pst,
            name,
            last: Default::default(),
            found: Default::default(),
            bodies: Default::default(),
        })
    }

    /// Format, encryption, store name, file-level problems and the folder tree with counts.
    pub fn info(&self) -> Result<JsValue, JsError> {
        to_js(&crate::report::FileInfo::of(&self.pst, &self.name).map_err(js)?)
    }

    /// `count` rows of a folder's message list from row `start`, as JSON text (handed on as
    /// it is, like [`Session::preview`]).
    pub fn messages(&self, folder: u32, start: u32, count: u32) -> Result<String, JsError> {
        let f = self.pst.folder(nid(folder)?).map_err(js)?;
        let rows = self
            .pst
            .summaries(&f, start as usize, count as usize)
            .map_err(js)?;
        serde_json::to_string(&rows).map_err(js)
    }

    /// The message as exported (RFC 5322 bytes), converted once per selection.
    fn mime(&self, item: Item) -> Result<std::rc::Rc<Vec<u8>>, JsError> {
        if let Some((n, bytes)) = self.last.borrow().as_ref()
            && *n == item
        {
            return Ok(bytes.clone());
        }
        let bytes = match item {
            Item::Live(raw) => {
                let nid = nid(raw)?;
                // A message that crashed the module before is not converted again.
                if let Some(reason) = convert::enter_item(nid) {
                    return Err(js(reason));
                }
                let m = self.pst.message(nid).map_err(js)?;
                let m = crate::mime::convert(&self.pst, &m).map_err(js)?;
                m.bytes.to_vec(&self.pst, PREVIEW_LIMIT).map_err(js)?
            }
            Item::Recovered(i) => self
                .found()?
                .message_bytes(&self.pst, i as usize, PREVIEW_LIMIT)
                .map_err(js)?,
        };
        let bytes = std::rc::Rc::new(bytes);
        *self.last.borrow_mut() = Some((item, bytes.clone()));
        Ok(bytes)
    }

    /// A message's RFC 5322 bytes, or those of the embedded message `path` leads to
    /// (attachment indexes, one per level).
    fn message_bytes(&self, item: Item, path: &[u32]) -> Result<std::rc::Rc<Vec<u8>>, JsError> {
        let mut bytes = self.mime(item)?;
        for &i in path {
            bytes = std::rc::Rc::new(crate::preview::attachment(&bytes, i as usize).map_err(js)?);
        }
        Ok(bytes)
    }

    /// Headers, bodies (inline images resolved) and attachment list of a message (or of an
    /// embedded one, see `path`), as it will be exported, plus its card for contacts and
    /// calendar items: one call per message shown. As JSON text: the worker hands it on as it
    /// is (also through shared memory, see www/worker.js). `recovered` ≥ 0: the recovered
    /// item of that index (see [`Session::recover`]) instead of the message `nid`.
    pub fn preview(&self, nid: u32, path: Vec<u32>, recovered: i32) -> Result<String, JsError> {
        #[derive(Serialize)]
        struct Out {
            #[serde(flatten)]
            preview: crate::preview::Preview,
            card: Option<Card>,
        }
        let item = Item::of(nid, recovered);
        let card = match path.is_empty() {
            true => self.card_of(item).ok().flatten(),
            false => None,
        };
        serde_json::to_string(&Out {
            preview: crate::preview::preview(&self.message_bytes(item, &path)?).map_err(js)?,
            card,
        })
        .map_err(js)
    }

    /// The message (or the embedded message at `path`) as an .eml file.
    pub fn eml(&self, nid: u32, path: Vec<u32>, recovered: i32) -> Result<Vec<u8>, JsError> {
        Ok(self
            .message_bytes(Item::of(nid, recovered), &path)?
            .as_ref()
            .clone())
    }

    /// One attachment's bytes (numbered as in the preview) of the message at `path`.
    pub fn attachment(
        &self,
        nid: u32,
        path: Vec<u32>,
        index: u32,
        recovered: i32,
    ) -> Result<Vec<u8>, JsError> {
        let bytes = self.message_bytes(Item::of(nid, recovered), &path)?;
        crate::preview::attachment(&bytes, index as usize).map_err(js)
    }

    /// Reads ahead what opening the messages `nids` (the rows on screen) will read: call with
    /// `step` 0 to [`read_ahead_steps`] − 1 a little apart (see
    /// [`crate::pst::ndb::Ndb::read_ahead`]); a click on one of them then reads from memory.
    /// Does nothing for a file held whole.
    pub fn read_ahead(&self, nids: Vec<u32>, step: u32) {
        let nids: Vec<Nid> = nids.into_iter().filter_map(|n| nid(n).ok()).collect();
        self.pst.ndb.read_ahead(&nids, step);
    }

    /// Reads of the file so far (chunks loaded into the cache): for the tests.
    pub fn source_reads(&self) -> f64 {
        self.pst.ndb.source_reads() as f64
    }

    /// Indexes up to `n` more message bodies for [`Session::search_bodies`]; returns
    /// `{indexed, total, complete, limited}`.
    pub fn index_bodies(&self, n: u32) -> Result<JsValue, JsError> {
        let mut slot = self.bodies.borrow_mut();
        if slot.is_none() {
            let tree = self.pst.folder_tree().map_err(js)?;
            *slot = Some(crate::search::BodyIndex::new(&tree, BODY_INDEX_BUDGET));
        }
        let index = slot.as_mut().ok_or_else(|| js("no index"))?;
        to_js(&index.step(&self.pst, n as usize))
    }

    /// Messages (nids) whose body contains `query`, among those indexed so far.
    pub fn search_bodies(&self, query: &str, limit: u32) -> Vec<u32> {
        self.bodies
            .borrow()
            .as_ref()
            .map(|i| i.find(query, limit as usize))
            .unwrap_or_default()
            .into_iter()
            .map(Nid::get)
            .collect()
    }

    /// Skips `nid` in conversions from now on (it crashed the module before), reporting
    /// `reason`.
    pub fn set_aside(&self, raw: u32, reason: String) {
        if let Ok(n) = nid(raw) {
            convert::set_aside(n, reason);
        }
    }

    /// For tests of the crash recovery: converting `nid` panics.
    #[wasm_bindgen(js_name = simulateCrashOn)]
    pub fn simulate_crash_on(&self, raw: u32) {
        if let Ok(n) = nid(raw) {
            convert::simulate_crash_on(n);
        }
    }

    /// The signatures found in the sent mail and the accounts it went out from.
    pub fn signatures(&self) -> Result<JsValue, JsError> {
        let (signatures, accounts) = crate::signatures::from_pst(&self.pst).map_err(js)?;
        #[derive(Serialize)]
        struct Out {
            signatures: Vec<crate::signatures::Signature>,
            accounts: Vec<crate::report::Account>,
            store: String,
        }
        to_js(&Out {
            signatures,
            accounts,
            store: self.pst.display_name.clone(),
        })
    }

    /// A contact, list, appointment, task or journal entry as the vCard / iCalendar text it
    /// exports to, with its kind; `None` for mail.
    fn card_of(&self, item: Item) -> Result<Option<Card>, JsError> {
        let card = match item {
            Item::Live(raw) => {
                let m = self.pst.message(nid(raw)?).map_err(js)?;
                crate::items::Kind::of(&m.class(&self.pst))
                    .map(|kind| (kind, kind.render(&self.pst, &m, &mut Default::default())))
            }
            Item::Recovered(i) => self.found()?.card(&self.pst, i as usize).map_err(js)?,
        };
        Ok(card.map(|(kind, text)| Card {
            kind: format!("{kind:?}"),
            text,
        }))
    }

    /// Looks for deleted and older items (reads the whole file once); keeps what it found for
    /// previews of them. Returns `{candidates, recovered, duplicates, failed, rows}`, each row
    /// a message row whose `nid` is its index among the recovered items, with the folder it
    /// was in when the file says so.
    pub fn recover(&self) -> Result<String, JsError> {
        let found = convert::deleted::find(&self.pst).map_err(js)?;
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            report: &'a crate::report::RecoveryReport,
            rows: Vec<serde_json::Value>,
        }
        let rows = found
            .rows(&self.pst)
            .into_iter()
            .enumerate()
            .map(|(i, (row, folder))| {
                let mut v = serde_json::to_value(&row).unwrap_or_default();
                v["nid"] = i.into();
                v["folder"] = folder.into();
                v
            })
            .collect();
        let text = serde_json::to_string(&Out {
            report: &found.report,
            rows,
        })
        .map_err(js)?;
        *self.found.borrow_mut() = Some(std::rc::Rc::new(found));
        Ok(text)
    }

    fn found(&self) -> Result<std::rc::Rc<convert::deleted::Found>, JsError> {
        self.found
            .borrow()
            .clone()
            .ok_or_else(|| js("no recovered items: look for them first"))
    }
}

/// A message the page shows: one of the folders', or a recovered one by its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Live(u32),
    Recovered(u32),
}

impl Item {
    /// From the page's arguments: `recovered` < 0 for a folder's message `nid`.
    fn of(nid: u32, recovered: i32) -> Item {
        match u32::try_from(recovered) {
            Ok(i) => Item::Recovered(i),
            Err(_) => Item::Live(nid),
        }
    }
}

#[derive(Serialize)]
struct Card {
    kind: String,
    text: String,
}
