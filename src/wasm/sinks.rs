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
pub(super) struct OpfsFile(pub(super) web_sys::FileSystemSyncAccessHandle);

fn io_err(e: JsValue) -> std::io::Error {
    std::io::Error::other(format!("OPFS: {e:?}"))
}

impl WriteAt for OpfsFile {
    fn write_at(&mut self, mut at: u64, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let opts = web_sys::FileSystemReadWriteOptions::new();
            opts.set_at(at as f64);
            let n = self
                .0
                .write_with_u8_array_and_options(data, &opts)
                .map_err(io_err)? as usize;
            if n == 0 {
                return Err(std::io::Error::other("OPFS: the write made no progress"));
            }
            data = &data[n.min(data.len())..];
            at += n as u64;
        }
        Ok(())
    }

    fn size(&mut self) -> std::io::Result<u64> {
        Ok(self.0.get_size().map_err(io_err)? as u64)
    }
}
