//! The WebAssembly front end: a thin wasm-bindgen layer over the same library calls the CLI
//! makes (open, folder tree, message list, preview, conversion). It runs in a dedicated
//! worker, where `FileReaderSync` can read the dropped file slice by slice.

use crate::convert::{self, Options, Progress};
use crate::pst::Pst;
use crate::sink::ZipTree;
use crate::source::BlobSource;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Browser reads cost ≈0.6 ms each whatever their size: 1 MiB chunks, 48 of them (48 MiB).
const CHUNK: usize = 1 << 20;
const CHUNKS: usize = 48;

fn js<E: std::fmt::Display>(e: E) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js)
}

/// One open PST/OST file.
#[wasm_bindgen]
pub struct Session {
    pst: Pst,
    name: String,
}

#[wasm_bindgen]
impl Session {
    /// Opens a dropped file; a file that is not a PST gets a clear error.
    #[wasm_bindgen(constructor)]
    pub fn new(file: web_sys::Blob, name: String) -> Result<Session, JsError> {
        let src = BlobSource::new(file).map_err(js)?;
        let pst = Pst::open_with_cache(Box::new(src), CHUNK, CHUNKS).map_err(js)?;
        Ok(Session { pst, name })
    }

    /// Format, encryption, store name, file-level problems and the folder tree with counts.
    pub fn info(&self) -> Result<JsValue, JsError> {
        let tree = self.pst.folder_tree().map_err(js)?;
        let h = self.pst.header();
        #[derive(Serialize)]
        struct Info<'a> {
            file: &'a str,
            size: u64,
            format: crate::pst::Format,
            ost: bool,
            version: u16,
            encryption: crate::pst::Encryption,
            display_name: &'a str,
            codepage: u32,
            ipm_subtree: Option<u32>,
            problems: Vec<String>,
            tree: crate::pst::FolderInfo,
        }
        to_js(&Info {
            file: &self.name,
            size: self.pst.ndb.file_size(),
            format: h.format,
            ost: h.ost,
            version: h.version,
            encryption: h.encryption,
            display_name: &self.pst.display_name,
            codepage: self.pst.codepage,
            ipm_subtree: self.pst.ipm_subtree,
            problems: self
                .pst
                .problems
                .iter()
                .chain(self.pst.ndb.problems.borrow().iter())
                .cloned()
                .collect(),
            tree,
        })
    }

    /// `count` rows of a folder's message list from row `start`.
    pub fn messages(&self, folder: u32, start: u32, count: u32) -> Result<JsValue, JsError> {
        let f = self.pst.folder(folder).map_err(js)?;
        let rows = self
            .pst
            .summaries(&f, start as usize, count as usize)
            .map_err(js)?;
        to_js(&rows)
    }

    fn mime(&self, nid: u32) -> Result<crate::mime::MimeMessage, JsError> {
        let m = self.pst.message(nid).map_err(js)?;
        crate::mime::convert(&self.pst, &m).map_err(js)
    }

    /// Headers, bodies and attachment list of a message, as it will be exported.
    pub fn preview(&self, nid: u32) -> Result<JsValue, JsError> {
        to_js(&crate::preview::of(&self.mime(nid)?).map_err(js)?)
    }

    /// The message as an .eml file.
    pub fn eml(&self, nid: u32) -> Result<Vec<u8>, JsError> {
        Ok(self.mime(nid)?.bytes)
    }

    /// One attachment's bytes (numbered as in the preview).
    pub fn attachment(&self, nid: u32, index: u32) -> Result<Vec<u8>, JsError> {
        crate::preview::attachment(&self.mime(nid)?.bytes, index as usize).map_err(js)
    }

    /// Converts the selected folders (all when `folders` is empty) to a zip of mbox and/or
    /// EML trees plus report.json. `progress({done, total, bytes, folder})` is called per
    /// item; returning `false` cancels. Returns `{zip: Uint8Array, report: string}`.
    pub fn convert_zip(
        &self,
        mbox: bool,
        eml: bool,
        folders: Vec<u32>,
        progress: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        let opts = Options {
            mbox,
            eml,
            folders: (!folders.is_empty()).then_some(folders),
        };
        let mut sink = ZipTree::new(std::io::Cursor::new(Vec::new()));
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
        let report = convert::convert(
            &self.pst,
            &mut sink,
            &opts,
            &self.name,
            &mut report_progress,
        )
        .map_err(js)?;
        convert::write_report(&mut sink, &report).map_err(js)?;
        let zip = sink.finish().map_err(js)?.into_inner();
        let out = js_sys::Object::new();
        let zip = js_sys::Uint8Array::from(zip.as_slice());
        js_sys::Reflect::set(&out, &"zip".into(), &zip).map_err(|_| js("result object"))?;
        js_sys::Reflect::set(&out, &"report".into(), &report.to_json().into())
            .map_err(|_| js("result object"))?;
        Ok(out.into())
    }
}
