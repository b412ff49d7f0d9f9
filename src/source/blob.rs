//! A browser `Blob` (the dropped `File`) read slice by slice with `FileReaderSync`, which only
//! exists in workers: the file is never loaded whole. Wrap it in the chunk cache — each read
//! costs ≈0.6 ms whatever its size.

use super::ByteSource;
use std::io;
use web_sys::{Blob, FileReaderSync};

pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
}

fn js_err(e: wasm_bindgen::JsValue) -> io::Error {
    io::Error::other(format!("browser file read failed: {e:?}"))
}

impl BlobSource {
    pub fn new(blob: Blob) -> io::Result<Self> {
        let reader = FileReaderSync::new().map_err(js_err)?;
        Ok(Self {
            size: blob.size() as u64,
            blob,
            reader,
        })
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
}
