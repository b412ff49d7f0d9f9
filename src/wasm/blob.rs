//! A browser `Blob` (the dropped `File`) read slice by slice with `FileReaderSync`, which only
//! exists in workers: the file is never loaded whole. Wrap it in the chunk cache — each read
//! costs milliseconds whatever its size.
//!
//! Optionally a *fetcher* (a JS object) reads ahead in another worker: `want(starts, len)` is
//! told which aligned ranges will be read next ([`ByteSource::prefetch`]), and `take(offset,
//! len)` returns one it has read (a `Uint8Array`) or `undefined`, in which case this source
//! reads it itself. The conversion then overlaps its work with the reads.
//!
//! Optionally a *working copy*: `{handle, state}`, filled in by the worker once a copy of the
//! file into the page's private file system has begun (www/copy.js). `state[0]` counts the
//! KiB copied from the front; what lies there is read through `handle` (an OPFS
//! `FileSystemSyncAccessHandle`), which costs microseconds where a `Blob` read costs
//! milliseconds of several threads' time.

use crate::source::ByteSource;
use std::io;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, FileReaderSync};

pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
    fetcher: Option<Fetcher>,
    /// The object the worker fills in with the working copy (see the module comment).
    copy_slot: Option<JsValue>,
    copy: Option<WorkingCopy>,
}

struct WorkingCopy {
    handle: web_sys::FileSystemSyncAccessHandle,
    state: js_sys::Int32Array,
}

/// Reads served by working copies, for the tests (wasm32 has one thread).
static COPY_READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many reads working copies have served so far.
pub fn copy_reads() -> u64 {
    COPY_READS.load(std::sync::atomic::Ordering::Relaxed)
}

impl WorkingCopy {
    /// Bytes from the front of the file that are copied (and stay so).
    fn copied(&self, size: u64) -> u64 {
        let kib = js_sys::Atomics::load(&self.state, 0).unwrap_or(0).max(0) as u64;
        (kib * 1024).min(size)
    }

    fn read(&self, mut at: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let opts = web_sys::FileSystemReadWriteOptions::new();
            opts.set_at(at as f64);
            let n = self
                .handle
                .read_with_u8_array_and_options(buf, &opts)
                .map_err(js_err)? as usize;
            if n == 0 || n > buf.len() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
            }
            buf = &mut buf[n..];
            at += n as u64;
        }
        Ok(())
    }
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
            copy_slot: None,
            copy: None,
        })
    }

    /// Reads through the working copy the worker puts into `slot` (see the module comment);
    /// until it does, and for what is not copied yet, from the `Blob`.
    pub fn with_copy(mut self, slot: JsValue) -> Self {
        self.copy_slot = slot.is_object().then_some(slot);
        self
    }

    /// The working copy, once the worker has filled in its slot.
    fn copy(&mut self) -> Option<&WorkingCopy> {
        if self.copy.is_none()
            && let Some(slot) = &self.copy_slot
        {
            let get = |k: &str| js_sys::Reflect::get(slot, &k.into()).ok();
            if let (Some(handle), Some(state)) = (
                get("handle").and_then(|h| h.dyn_into().ok()),
                get("state").and_then(|s| s.dyn_into().ok()),
            ) {
                self.copy = Some(WorkingCopy { handle, state });
            }
        }
        self.copy.as_ref()
    }

    /// Whether the working copy holds `[offset, end)`.
    fn copied(&mut self, end: u64) -> bool {
        let size = self.size;
        self.copy().is_some_and(|c| end <= c.copied(size))
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
        // A failed read of the copy (its storage went away) falls back to the file itself.
        if self.copied(end)
            && let Some(c) = &self.copy
            && c.read(offset, buf).is_ok()
        {
            COPY_READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
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
        // Once all is copied, nothing is read ahead (nor worked out to be).
        let size = self.size;
        self.fetcher.is_some() && self.copy.as_ref().is_none_or(|c| c.copied(size) < size)
    }

    fn prefetch(&mut self, starts: &[u64], len: usize) {
        // What the copy holds is read from there, quickly: not ahead.
        let starts: Vec<f64> = starts
            .iter()
            .filter(|&&s| !self.copied(s.saturating_add(len as u64).min(self.size)))
            .map(|&s| s as f64)
            .collect();
        if let Some(f) = &self.fetcher
            && !starts.is_empty()
        {
            let starts = js_sys::Float64Array::from(starts.as_slice());
            // Only a hint: a failing fetcher changes nothing.
            let _ = f
                .want
                .call2(&f.this, &starts, &JsValue::from_f64(len as f64));
        }
    }
}
