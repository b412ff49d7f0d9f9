//! The browser byte source in a real dedicated worker (headless Chromium via chromedriver and
//! wasm-bindgen-test-runner): a `Blob` read slice by slice through the chunk cache, and a
//! whole PST opened from a `Blob`. Run by `cargo xtask test`.
#![cfg(target_arch = "wasm32")]

use unpst::source::{ByteSource, ChunkCache};
use unpst::wasm::blob::BlobSource;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob(bytes: &[u8]) -> web_sys::Blob {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes).into());
    web_sys::Blob::new_with_u8_array_sequence(&JsValue::from(parts)).unwrap()
}

#[wasm_bindgen_test]
fn blob_reads_through_the_chunk_cache() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let src = BlobSource::new(blob(&data)).unwrap();
    assert_eq!(src.size(), 300_000);
    let mut cache = ChunkCache::new(src, 64 * 1024, 2);
    for &(off, len) in &[
        (0u64, 10usize),
        (65_530, 20),
        (131_000, 70_000),
        (299_990, 10),
        (5, 1),
    ] {
        let mut buf = vec![0; len];
        cache.read_at(off, &mut buf).unwrap();
        assert_eq!(buf, data[off as usize..off as usize + len]);
        assert!(cache.resident_bytes() <= 2 * 64 * 1024);
    }
    let mut buf = [0u8; 11];
    assert!(cache.read_at(299_990, &mut buf).is_err());
    // Many small reads in one chunk cost one browser read.
    let reads = cache.source_reads;
    for i in 0..100 {
        cache.read_at(200_000 + i * 10, &mut buf[..10]).unwrap();
    }
    assert_eq!(cache.source_reads, reads + 1);
}

#[wasm_bindgen_test]
fn a_pst_opens_from_a_blob_and_converts_whole() {
    // A file made here by the generator (the worker has no file system), read back through
    // the Blob: every folder and message the generator wrote comes out.
    let spec = pstgen::Spec {
        seed: 7,
        target_bytes: 3 << 20,
        folders: 4,
        per_folder: 12,
        ..pstgen::Spec::default()
    };
    let mut file = std::io::Cursor::new(Vec::new());
    let written = pstgen::generate(&mut file, &spec, |_, _| {}).unwrap();
    let src = BlobSource::new(blob(file.get_ref())).unwrap();
    let pst = unpst::pst::Pst::open(Box::new(src)).unwrap();
    let tree = pst.folder_tree().unwrap();
    for (path, items) in &written.folders {
        let f = tree
            .flatten()
            .into_iter()
            .find(|f| f.path.ends_with(path) && f.path.len() == path.len() + 1)
            .unwrap_or_else(|| panic!("folder {path:?} not read"));
        assert_eq!(f.items, *items, "{path:?}");
    }
    let opts = unpst::convert::Options {
        eml: true,
        ..unpst::convert::Options::default()
    };
    let mut sink = unpst::sink::MemTree::default();
    let rep = unpst::convert::convert(&pst, &mut sink, &opts, "blob", &mut |_| true).unwrap();
    // Sticky notes are mail to a converter.
    assert_eq!(
        u64::from(rep.totals.converted),
        written.messages + written.notes
    );
    assert_eq!(rep.totals.skipped, 0);
    // And bytes that are no PST are refused as such.
    let err = unpst::pst::Pst::open(Box::new(
        BlobSource::new(blob(b"not a pst at all")).unwrap(),
    ))
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("not a PST/OST file"), "{err}");
}

#[wasm_bindgen_test]
fn a_fetcher_is_told_what_comes_and_serves_what_it_has() {
    // The fetcher holds chunk 65536 (filled with 7s, unlike the blob) and nothing else.
    let fetcher: JsValue = js_sys::Function::new_no_args(
        "const told = []; return { told,
           want(starts, len) { told.push([...starts].join(',') + '/' + len); },
           take(offset, len) { return offset === 65536 ? new Uint8Array(len).fill(7) : undefined; } };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let src = BlobSource::new(blob(&data))
        .unwrap()
        .with_fetcher(fetcher.clone());
    let mut cache = ChunkCache::new(src, 64 * 1024, 4);
    cache.hint(&[70_000, 200_000]);
    let told = js_sys::Reflect::get(&fetcher, &"told".into()).unwrap();
    assert_eq!(
        js_sys::JSON::stringify(&told).unwrap().as_string().unwrap(),
        r#"["65536,196608/65536"]"#
    );
    // What the fetcher has comes from it; the rest from the blob.
    let mut buf = [0u8; 4];
    cache.read_at(65_536, &mut buf).unwrap();
    assert_eq!(buf, [7; 4]);
    cache.read_at(200_000, &mut buf).unwrap();
    assert_eq!(buf, data[200_000..200_004]);
}

/// A working copy made here: an OPFS file holding `copy` (unlike the blob's bytes, so that
/// where a read was served from shows), a handle to it and its state with `kib` KiB copied.
async fn working_copy(copy: &[u8], kib: i32) -> JsValue {
    let make = js_sys::Function::new_with_args(
        "bytes, kib",
        "return (async () => {
           const root = await navigator.storage.getDirectory();
           const f = await root.getFileHandle('wasm-blob-copy.bin', { create: true });
           const handle = await f.createSyncAccessHandle({ mode: 'readwrite-unsafe' });
           handle.truncate(0);
           handle.write(bytes, { at: 0 });
           const state = new Int32Array(new SharedArrayBuffer(8));
           state[0] = kib;
           return { handle, state };
         })();",
    );
    let promise = make
        .call2(
            &JsValue::NULL,
            &js_sys::Uint8Array::from(copy).into(),
            &kib.into(),
        )
        .unwrap();
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .unwrap()
}

#[wasm_bindgen_test]
async fn what_the_working_copy_holds_is_read_from_it_and_not_read_ahead() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let copy = vec![9u8; data.len()];
    // 128 KiB copied: chunks 0 and 65536 are, 131072 on are not.
    let slot = working_copy(&copy, 128).await;
    let fetcher: JsValue = js_sys::Function::new_no_args(
        "const told = []; return { told, want(starts, len) { told.push([...starts].join(',')); },
           take() { return undefined; } };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let src = BlobSource::new(blob(&data))
        .unwrap()
        .with_fetcher(fetcher.clone())
        .with_copy(slot.clone());
    let before = unpst::wasm::blob::copy_reads();
    let mut cache = ChunkCache::new(src, 64 * 1024, 8);
    let mut buf = [0u8; 4];
    cache.read_at(65_540, &mut buf).unwrap();
    assert_eq!(buf, [9; 4], "a copied chunk comes from the copy");
    cache.read_at(131_072, &mut buf).unwrap();
    assert_eq!(buf, data[131_072..131_076], "the rest from the file");
    assert_eq!(unpst::wasm::blob::copy_reads() - before, 1);
    // Only what is not copied is read ahead.
    cache.hint(&[0, 140_000, 200_000]);
    let told = js_sys::Reflect::get(&fetcher, &"told".into()).unwrap();
    assert_eq!(
        js_sys::JSON::stringify(&told).unwrap().as_string().unwrap(),
        r#"["196608"]"#
    );
    // All copied: nothing is worked out to be read ahead any more.
    assert!(cache.wants_hints());
    let state: js_sys::Int32Array = js_sys::Reflect::get(&slot, &"state".into()).unwrap().into();
    state.set_index(0, 300);
    cache.read_at(250_000, &mut buf).unwrap();
    assert_eq!(buf, [9; 4]);
    assert!(!cache.wants_hints());
    // A copy whose storage went away (closed here) is passed over: the file is read (a chunk
    // not read before).
    let handle: web_sys::FileSystemSyncAccessHandle = js_sys::Reflect::get(&slot, &"handle".into())
        .unwrap()
        .into();
    handle.close();
    cache.read_at(290_000, &mut buf).unwrap();
    assert_eq!(buf, data[290_000..290_004]);
}
