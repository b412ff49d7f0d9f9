//! The page's exports through the module: conversions to a zip (in memory or in the Origin
//! Private File System) or into a picked folder, and the IMAP upload's batches for the relay.

use super::sinks::{JsTree, OpfsFile};
use super::{PREVIEW_LIMIT, Session, js, to_js};
use crate::convert::{self, Options, Progress};
use crate::pst::messaging::Nid;
use crate::sink::ZipTree;
use crate::sink::patch::PatchBuffer;
use crate::sink::thunderbird::{LocalFolders, top_name};
use wasm_bindgen::prelude::*;

/// The top folder's name in Local Folders for the PST `file`: one `taken` (the names there
/// now) has neither as a file nor as a `.sbd` directory.
#[wasm_bindgen]
pub fn thunderbird_top(file: &str, taken: Vec<String>) -> String {
    top_name(file, &|n| taken.iter().any(|t| t == n))
}

#[wasm_bindgen]
impl Session {
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
    /// large the export. Returns report.json's text; the caller closes the handle. `room`
    /// (optional) is called when the storage is full: see `OpfsFile`.
    pub fn convert_to_opfs(
        &self,
        handle: web_sys::FileSystemSyncAccessHandle,
        what: JsValue,
        progress: &js_sys::Function,
        room: Option<js_sys::Function>,
    ) -> Result<String, JsError> {
        handle
            .truncate_with_f64(0.0)
            .map_err(|e| js(format!("{e:?}")))?;
        // No flush() of the handle (an fsync): the file is downloaded at once, and close()
        // by the caller completes it.
        let mut sink = ZipTree::new(PatchBuffer::new(OpfsFile::new(handle, room), 8 << 20));
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

    /// Like [`Session::convert_to_directory`], into Thunderbird's Local Folders (the picked
    /// directory): the mail only, under the new top folder `top` ([`thunderbird_top`]).
    /// Returns report.json's text (not written there: Thunderbird would take it for a folder).
    pub fn convert_to_thunderbird(
        &self,
        out: &JsValue,
        top: &str,
        what: JsValue,
        progress: &js_sys::Function,
    ) -> Result<String, JsError> {
        let mut dir = JsTree::new(out, 0)?;
        let mut sink = LocalFolders::new(&mut dir, top).map_err(js)?;
        let report = self.run(&mut sink, None, what, progress)?;
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
            recover: what.recover,
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

/// What a conversion writes: `{mbox, eml, cards, folders, recover}` from the page — cards
/// meaning contacts, calendars and signatures; no folders meaning all; `recover` adding the
/// "Recovered items" folder.
#[derive(serde::Deserialize)]
struct What {
    mbox: bool,
    eml: bool,
    cards: bool,
    #[serde(default)]
    folders: Vec<u32>,
    /// The "Recovered items" folder too.
    #[serde(default)]
    recover: bool,
}
