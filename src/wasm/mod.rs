//! The WebAssembly front end: a thin wasm-bindgen layer over the same library calls the CLI
//! makes (open, folder tree, message list, preview, conversion). It runs in a dedicated
//! worker, where `FileReaderSync` can read the dropped file slice by slice.

pub mod blob;
mod sinks;

use crate::convert::{self, Options, Progress};
use crate::pst::Pst;
use crate::pst::messaging::Nid;
use crate::sink::ZipTree;
use crate::sink::patch::PatchBuffer;
use blob::BlobSource;
use serde::Serialize;
use sinks::{JsTree, OpfsFile};
use wasm_bindgen::prelude::*;

/// Each browser file read costs milliseconds (≈ 2–3 ms for 256 KiB, 5–8 ms for 1 MiB in headless
/// Chromium here), and a folder's messages lie scattered over the file (mail arrives over the
/// years into all folders at once), so the cache holds many mid-sized chunks (128 MiB in all,
/// a fixed cap) and reader workers fetch the announced ones ahead (www/reader.js; its slots
/// are this size). Measured on a generated 1 GB file, page to zip: 1 MiB × 48 took 104 s;
/// 256 KiB × 512 49 s, with read-ahead 26.5 s; 128 KiB × 1024 with read-ahead 24–25 s;
/// 64 KiB × 2048 30 s.
const CHUNK: usize = 128 << 10;
/// The most a message may take when held whole (its preview; a frame for the relay, which
/// takes a message in one piece): what every message took before attachments streamed.
const PREVIEW_LIMIT: u64 = 1 << 30;
const CHUNKS: usize = 1024;
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
    last: std::cell::RefCell<Option<(Nid, std::rc::Rc<Vec<u8>>)>>,
    /// The full-text body index, built on demand a few messages at a time.
    bodies: std::cell::RefCell<Option<crate::search::BodyIndex>>,
}

#[wasm_bindgen]
impl Session {
    /// Opens a dropped file; a file that is not a PST gets a clear error. `fetcher`
    /// (optional, `{want, take}`) reads ahead in another worker (see `source::blob`).
    #[wasm_bindgen(constructor)]
    pub fn new(file: web_sys::Blob, name: String, fetcher: JsValue) -> Result<Session, JsError> {
        let src = BlobSource::new(file).map_err(js)?.with_fetcher(fetcher);
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
        let pst = Pst::open_with_cache(src, chunk, chunks).map_err(js)?;
        Ok(Session {
            pst,
            name,
            last: Default::default(),
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
    fn mime(&self, raw: u32) -> Result<std::rc::Rc<Vec<u8>>, JsError> {
        let nid = nid(raw)?;
        if let Some((n, bytes)) = self.last.borrow().as_ref()
            && *n == nid
        {
            return Ok(bytes.clone());
        }
        // A message that crashed the module before is not converted again.
        if let Some(reason) = convert::enter_item(nid) {
            return Err(js(reason));
        }
        let m = self.pst.message(nid).map_err(js)?;
        let m = crate::mime::convert(&self.pst, &m).map_err(js)?;
        let bytes = std::rc::Rc::new(m.bytes.to_vec(&self.pst, PREVIEW_LIMIT).map_err(js)?);
        *self.last.borrow_mut() = Some((nid, bytes.clone()));
        Ok(bytes)
    }

    /// A message's RFC 5322 bytes, or those of the embedded message `path` leads to
    /// (attachment indexes, one per level).
    fn message_bytes(&self, nid: u32, path: &[u32]) -> Result<std::rc::Rc<Vec<u8>>, JsError> {
        let mut bytes = self.mime(nid)?;
        for &i in path {
            bytes = std::rc::Rc::new(crate::preview::attachment(&bytes, i as usize).map_err(js)?);
        }
        Ok(bytes)
    }

    /// Headers, bodies (inline images resolved) and attachment list of a message (or of an
    /// embedded one, see `path`), as it will be exported, plus its card for contacts and
    /// calendar items: one call per message shown. As JSON text: the worker hands it on as it
    /// is (also through shared memory, see www/worker.js).
    pub fn preview(&self, nid: u32, path: Vec<u32>) -> Result<String, JsError> {
        #[derive(Serialize)]
        struct Out {
            #[serde(flatten)]
            preview: crate::preview::Preview,
            card: Option<Card>,
        }
        let card = match path.is_empty() {
            true => self.card_of(nid).ok().flatten(),
            false => None,
        };
        serde_json::to_string(&Out {
            preview: crate::preview::preview(&self.message_bytes(nid, &path)?).map_err(js)?,
            card,
        })
        .map_err(js)
    }

    /// The message (or the embedded message at `path`) as an .eml file.
    pub fn eml(&self, nid: u32, path: Vec<u32>) -> Result<Vec<u8>, JsError> {
        Ok(self.message_bytes(nid, &path)?.as_ref().clone())
    }

    /// One attachment's bytes (numbered as in the preview) of the message at `path`.
    pub fn attachment(&self, nid: u32, path: Vec<u32>, index: u32) -> Result<Vec<u8>, JsError> {
        crate::preview::attachment(&self.message_bytes(nid, &path)?, index as usize).map_err(js)
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
    fn card_of(&self, raw: u32) -> Result<Option<Card>, JsError> {
        use crate::items::{Kind, ical, vcard};
        let m = self.pst.message(nid(raw)?).map_err(js)?;
        let Some(kind) = Kind::of(&m.class(&self.pst)) else {
            return Ok(None);
        };
        let text = match kind {
            Kind::Contact => vcard::contact(&self.pst, &m),
            Kind::DistList => vcard::dist_list(&self.pst, &m),
            Kind::Appointment => ical::event(&self.pst, &m, &mut Default::default()),
            Kind::Task => ical::task(&self.pst, &m),
            Kind::Journal => ical::journal(&self.pst, &m),
        };
        Ok(Some(Card {
            kind: format!("{kind:?}"),
            text,
        }))
    }

    /// The mail folders an IMAP upload takes, in order, with their special kinds.
    pub fn upload_plan(&self) -> Result<JsValue, JsError> {
        to_js(&crate::upload::plan(&self.pst, None).map_err(js)?)
    }

    /// Converts up to `count` items of a folder from row `start` for the relay: each is
    /// `{kind: "mail", id, subject, frame}` (the frame ready to send), or
    /// `{kind: "skipped" | "deferred", id, subject, reason}`.
    pub fn upload_batch(&self, folder: u32, start: u32, count: u32) -> js_sys::Array {
        let out = js_sys::Array::new();
        // A folder id that is no node id reads as a folder that is not there: reported below.
        let folder = Nid::try_from(folder).unwrap_or(Nid::NONE);
        let mut items =
            convert::FolderItems::new(&self.pst, folder).rows(start as usize, count as usize);
        for (row, outcome) in items.by_ref() {
            let o = js_sys::Object::new();
            let set = |k: &str, v: JsValue| {
                let _ = js_sys::Reflect::set(&o, &k.into(), &v);
            };
            set("id", row.nid.get().into());
            set("subject", row.subject.as_str().into());
            match outcome {
                // The relay takes a message as one frame.
                convert::Outcome::Mail(m) => match m.bytes.to_vec(&self.pst, PREVIEW_LIMIT) {
                    Ok(whole) => {
                        set("kind", "mail".into());
                        let meta = crate::sink::imap::ItemMeta::of(row.nid.get(), &m);
                        let frame = crate::sink::imap::encode_frame(&meta, &whole);
                        set("frame", js_sys::Uint8Array::from(frame.as_slice()).into());
                    }
                    Err(e) => {
                        set("kind", "skipped".into());
                        set("reason", e.to_string().into());
                    }
                },
                convert::Outcome::Deferred(class) | convert::Outcome::Kept(class, _) => {
                    set("kind", "deferred".into());
                    set("reason", class.as_str().into());
                }
                convert::Outcome::Skipped(reason) => {
                    set("kind", "skipped".into());
                    set("reason", reason.as_str().into());
                }
            }
            out.push(&o);
        }
        if let Some(e) = items.error() {
            // Rows that could not even be listed: the page reports them, nothing is silent.
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"kind".into(), &"skipped".into());
            let _ = js_sys::Reflect::set(&o, &"subject".into(), &"".into());
            let _ = js_sys::Reflect::set(&o, &"reason".into(), &e.into());
            out.push(&o);
        }
        out
    }

    /// Like [`Session::convert_zip`], but the zip streams into an Origin Private File System
    /// file through its synchronous access handle (workers only): memory stays flat however
    /// large the export. Returns report.json's text; the caller closes the handle.
    pub fn convert_to_opfs(
        &self,
        handle: web_sys::FileSystemSyncAccessHandle,
        what: JsValue,
        progress: &js_sys::Function,
    ) -> Result<String, JsError> {
        handle
            .truncate_with_f64(0.0)
            .map_err(|e| js(format!("{e:?}")))?;
        // No flush() of the handle (an fsync): the file is downloaded at once, and close()
        // by the caller completes it.
        let mut sink = ZipTree::new(PatchBuffer::new(OpfsFile(handle), 8 << 20));
        let report = self.run(&mut sink, None, what, progress)?;
        sink.finish().map_err(js)?.into_inner().map_err(js)?;
        Ok(report.to_json())
    }

    /// Writes the trees file by file through `out` — `{begin(tree, path), write(tree,
    /// bytes), end(tree)}`, synchronous JS functions; `tree` is 0, or 1 for the EML files
    /// when mbox and EML are written in one pass, so two files may be open at once — the same
    /// files `unpst convert -o DIR` writes. The worker backs it with a directory the user
    /// picked. Returns report.json's text (also written as the last file).
    pub fn convert_to_directory(
        &self,
        out: &JsValue,
        what: JsValue,
        progress: &js_sys::Function,
    ) -> Result<String, JsError> {
        let mut sink = JsTree::new(out, 0)?;
        let mut eml_sink = JsTree::new(out, 1)?;
        let report = self.run(&mut sink, Some(&mut eml_sink), what, progress)?;
        Ok(report.to_json())
    }

    fn run(
        &self,
        sink: &mut dyn crate::sink::TreeSink,
        eml_sink: Option<&mut dyn crate::sink::TreeSink>,
        what: JsValue,
        progress: &js_sys::Function,
    ) -> Result<crate::report::Report, JsError> {
        let what: What = serde_wasm_bindgen::from_value(what)
            .map_err(|e| js(format!("conversion options: {e}")))?;
        let opts = Options {
            mbox: what.mbox,
            eml: what.eml,
            vcf: what.cards,
            ics: what.cards,
            signatures: what.cards,
            folders: (!what.folders.is_empty()).then_some(what.folders),
            recover: false,
        };
        let mut report_progress = |p: &Progress| {
            let v = js_sys::Object::new();
            let set = |k: &str, val: JsValue| js_sys::Reflect::set(&v, &k.into(), &val).is_ok();
            set("done", (p.done as f64).into());
            set("total", (p.total as f64).into());
            set("bytes", (p.bytes as f64).into());
            set("folder", p.folder.as_str().into());
            progress
                .call1(&JsValue::NULL, &v)
                .map(|r| r.as_bool() != Some(false))
                .unwrap_or(false)
        };
        let report = convert::convert_into(
            &self.pst,
            sink,
            eml_sink,
            &opts,
            &self.name,
            &mut report_progress,
        )
        .map_err(js)?;
        convert::write_report(sink, &report).map_err(js)?;
        Ok(report)
    }

    /// Converts to a zip of mbox and/or EML trees plus report.json; `what` says which (see
    /// [`What`]). `progress({done, total, bytes, folder})` is called per
    /// item; returning `false` cancels. Returns `{zip: Uint8Array, report: string}`.
    pub fn convert_zip(
        &self,
        what: JsValue,
        progress: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let mut sink = ZipTree::new(std::io::Cursor::new(Vec::new()));
        let report = self.run(&mut sink, None, what, progress)?;
        let zip = sink.finish().map_err(js)?.into_inner();
        let out = js_sys::Object::new();
        let zip = js_sys::Uint8Array::from(zip.as_slice());
        js_sys::Reflect::set(&out, &"zip".into(), &zip).map_err(|_| js("result object"))?;
        js_sys::Reflect::set(&out, &"report".into(), &report.to_json().into())
            .map_err(|_| js("result object"))?;
        Ok(out.into())
    }
}

/// What a conversion writes: `{mbox, eml, cards, folders}` from the page — cards meaning
/// contacts, calendars and signatures; no folders meaning all.
#[derive(serde::Deserialize)]
struct What {
    mbox: bool,
    eml: bool,
    cards: bool,
    #[serde(default)]
    folders: Vec<u32>,
}

#[derive(Serialize)]
struct Card {
    kind: String,
    text: String,
}
