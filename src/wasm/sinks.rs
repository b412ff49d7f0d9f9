//! The page's outputs as the core's sinks: a tree of files written by JS callbacks (a picked
//! folder) and an OPFS file written at positions (the zip).

use super::js;
use crate::sink::patch::WriteAt;
use wasm_bindgen::prelude::*;

/// A [`crate::sink::TreeSink`] whose files are written by JS callbacks (see
/// [`super::Session::convert_to_directory`]).
pub(super) struct JsTree {
    tree: JsValue,
    begin: js_sys::Function,
    write: js_sys::Function,
    end: js_sys::Function,
    this: JsValue,
}

impl JsTree {
    pub(super) fn new(out: &JsValue, tree: u32) -> Result<Self, JsError> {
        let f = |name: &str| -> Result<js_sys::Function, JsError> {
            js_sys::Reflect::get(out, &name.into())
                .ok()
                .and_then(|v| v.dyn_into().ok())
                .ok_or_else(|| js(format!("the output object has no {name}()")))
        };
        Ok(Self {
            tree: tree.into(),
            begin: f("begin")?,
            write: f("write")?,
            end: f("end")?,
            this: out.clone(),
        })
    }
}

fn js_io(e: JsValue) -> crate::error::Error {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{e:?}"));
    crate::error::Error::Io(std::io::Error::other(text))
}

impl crate::sink::TreeSink for JsTree {
    fn begin(&mut self, path: &[String]) -> crate::error::Result<()> {
        let parts: js_sys::Array = path.iter().map(|p| JsValue::from_str(p)).collect();
        self.begin
            .call2(&self.this, &self.tree, &parts)
            .map(drop)
            .map_err(js_io)
    }

    fn write(&mut self, bytes: &[u8]) -> crate::error::Result<()> {
        // SAFETY: the view is only used during the call, which allocates nothing in wasm
        // memory (so it cannot move); the callback copies what it keeps.
        let view = unsafe { js_sys::Uint8Array::view(bytes) };
        self.write
            .call2(&self.this, &self.tree, &view)
            .map(drop)
            .map_err(js_io)
    }

    fn end(&mut self) -> crate::error::Result<()> {
        self.end
            .call1(&self.this, &self.tree)
            .map(drop)
            .map_err(js_io)
    }
}

/// An OPFS synchronous access handle as positional output. Each call costs ≈ 1.5 ms in
/// headless Chromium here whatever its size, so it sits behind a [`crate::sink::patch::PatchBuffer`] (an
/// 87-message OST: 80 handle writes had taken 120 ms of a 150 ms conversion; now 1).
pub(super) struct OpfsFile {
    handle: web_sys::FileSystemSyncAccessHandle,
    /// `room(bytes)`, called when a write is refused because the origin's storage is full:
    /// gives back room the file's working copy holds (www/copy.js), and returns whether it
    /// did; the write is then tried again.
    room: Option<js_sys::Function>,
}

impl OpfsFile {
    pub(super) fn new(
        handle: web_sys::FileSystemSyncAccessHandle,
        room: Option<js_sys::Function>,
    ) -> Self {
        Self { handle, room }
    }

    /// Whether room was made for `bytes` more after the refusal `e`.
    fn made_room(&self, e: &JsValue, bytes: usize) -> bool {
        full(e)
            && self.room.as_ref().is_some_and(|room| {
                room.call1(&JsValue::NULL, &JsValue::from_f64(bytes as f64))
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false)
            })
    }
}

/// The refusal a write that wrote nothing, or reported an impossible count, stands for.
fn quota_exceeded() -> JsValue {
    let e = js_sys::Error::new("the write was refused");
    e.set_name("QuotaExceededError");
    e.into()
}

/// Whether `e` is the browser's refusal for want of room.
fn full(e: &JsValue) -> bool {
    js_sys::Reflect::get(e, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .is_some_and(|n| n == "QuotaExceededError")
}

fn io_err(e: JsValue) -> std::io::Error {
    if full(&e) {
        return std::io::Error::other(
            "the browser's storage for this page is full, so the zip does not fit: free some disk space, or convert into a folder instead",
        );
    }
    std::io::Error::other(format!("OPFS: {e:?}"))
}

impl WriteAt for OpfsFile {
    fn write_at(&mut self, mut at: u64, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let opts = web_sys::FileSystemReadWriteOptions::new();
            opts.set_at(at as f64);
            // Chromium refuses a write for want of room by returning an error code as the
            // count (-8 as an unsigned 32-bit number, with part of the data written), where
            // the standard has it throw QuotaExceededError: either is a refusal. Taken for a
            // count, it had cut a zip short without a word.
            let refusal = match self.handle.write_with_u8_array_and_options(data, &opts) {
                Ok(n) if n >= 1.0 && n <= data.len() as f64 => {
                    data = &data[n as usize..];
                    at += n as u64;
                    continue;
                }
                Ok(_) => quota_exceeded(),
                Err(e) => e,
            };
            // Each call gives back room or says it has none left: this ends.
            if !self.made_room(&refusal, data.len()) {
                return Err(io_err(refusal));
            }
        }
        Ok(())
    }

    fn size(&mut self) -> std::io::Result<u64> {
        Ok(self.handle.get_size().map_err(io_err)? as u64)
    }
}
