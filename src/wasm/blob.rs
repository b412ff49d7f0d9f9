//! A browser `Blob` (the dropped `File`) read slice by slice with `FileReaderSync`, which only
//! exists in workers: the file is never loaded whole. Wrap it in the chunk cache — each read
//! costs milliseconds whatever its size.
//!
//! Optionally a *fetcher* (a JS object) reads ahead in another worker: `want(starts, len)` is
//! told which aligned ranges will be read next ([`ByteSource::prefetch`]), and `take(offset,
//! len)` returns one it has read (a `Uint8Array`) or `undefined`, in which case this source
//! reads it itself. The conversion then overlaps its work with the reads.

use crate::source::ByteSource;
use std::io;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, FileReaderSync};

pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
    fetcher: Option<Fetcher>,
}

struct Fetcher {
    this: JsValue,
    want: js_sys::Function,
    take: js_sys::Function,
}

/// The browser's refusal as the user needs it: most often the file changed, moved or went
/// away after it was opened (Chromium's `NotReadableError`).
fn js_err(e: JsValue) -> io::Error {
    let field = |k: &str| {
        js_sys::Reflect::get(&e, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let (name, message) = (field("name"), field("message"));
    let why = if name.is_empty() && message.is_empty() {
        format!("{e:?}")
    } else {
        format!("{name}: {message}")
    };
    io::Error::other(format!(
        "the browser could not read the file — was it changed, moved or deleted since it was opened? Open it again. ({why})"
    ))
}

impl BlobSource {
    pub fn new(blob: Blob) -> io::Result<Self> {
        let reader = FileReaderSync::new().map_err(js_err)?;
        Ok(Self {
            size: blob.size() as u64,
            blob,
            reader,
            fetcher: None,
        })
    }

    /// Reads ahead through `fetcher` (`{want, take}`, see the module comment); an object
    /// without those functions is ignored.
    pub fn with_fetcher(mut self, fetcher: JsValue) -> Self {
        let f = |name: &str| {
            js_sys::Reflect::get(&fetcher, &name.into())
                .ok()
                .and_then(|v| v.dyn_into::<js_sys::Function>().ok())
        };
        if let (Some(want), Some(take)) = (f("want"), f("take")) {
            self.fetcher = Some(Fetcher {
                this: fetcher,
                want,
                take,
            });
        }
        self
    }
}

impl ByteSource for BlobSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.size)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        if let Some(f) = &self.fetcher
            && let Ok(got) = f.take.call2(
                &f.this,
                &JsValue::from_f64(offset as f64),
                &JsValue::from_f64(buf.len() as f64),
            )
            && let Some(bytes) = got.dyn_ref::<js_sys::Uint8Array>()
            && bytes.length() as usize == buf.len()
        {
            bytes.copy_to(buf);
            return Ok(());
        }
        let slice = self
            .blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(js_err)?;
        let data = self.reader.read_as_array_buffer(&slice).map_err(js_err)?;
        let bytes = js_sys::Uint8Array::new(&data);
        if bytes.length() as usize != buf.len() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
        }
        bytes.copy_to(buf);
        Ok(())
    }

    fn wants_prefetch(&self) -> bool {
        self.fetcher.is_some()
    }

    fn prefetch(&mut self, starts: &[u64], len: usize) {
        if let Some(f) = &self.fetcher {
            let starts: Vec<f64> = starts.iter().map(|&s| s as f64).collect();
            let starts = js_sys::Float64Array::from(starts.as_slice());
            // Only a hint: a failing fetcher changes nothing.
            let _ = f
                .want
                .call2(&f.this, &starts, &JsValue::from_f64(len as f64));
        }
    }
}
