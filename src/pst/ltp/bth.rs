//! BTree-on-heap (MS-PST §2.3.2): BTHHEADER, intermediate and leaf records.

use super::heap::Heap;
use crate::error::{Result, corrupt};
use crate::pst::bytes::{slice, u8_at, u32_at};
use crate::pst::ndb::Ndb;

/// All leaf records `(key, data)` of the BTH whose header is at `hid`, with the declared
/// key and data sizes.
/// A BTH's key size, data size and leaf records.
pub type Records = (usize, usize, Vec<(Vec<u8>, Vec<u8>)>);

pub fn records(ndb: &Ndb, heap: &Heap, hid: u32) -> Result<Records> {
    let at = "BTree-on-heap header";
    let h = &*heap.get(ndb, hid)?;
    let btype = u8_at(h, 0, at)?;
    if btype != 0xB5 {
        return Err(corrupt(at, format!("type {btype:#x}, expected 0xB5")));
    }
    let key = u8_at(h, 1, at)? as usize;
    let ent = u8_at(h, 2, at)? as usize;
    let levels = u8_at(h, 3, at)?;
    let root = u32_at(h, 4, at)?;
    if key == 0 || key > 16 {
        return Err(corrupt(at, format!("key size {key}")));
    }
    let mut out = Vec::new();
    if root == 0 {
        return Ok((key, ent, out));
    }
    if levels > 8 {
        return Err(corrupt(at, format!("{levels} index levels")));
    }
    let mut stack = vec![(root, levels)];
    while let Some((hid, level)) = stack.pop() {
        let data = &*heap.get(ndb, hid)?;
        if level == 0 {
            let size = key + ent;
            for rec in data.chunks_exact(size) {
                out.push((rec[..key].to_vec(), rec[key..].to_vec()));
            }
        } else {
            let size = key + 4;
            let mut children = Vec::new();
            for i in 0..data.len() / size {
                let child = u32_at(
                    slice(data, i * size + key, 4, "BTH index record")?,
                    0,
                    "BTH",
                )?;
                children.push(child);
            }
            for c in children.into_iter().rev() {
                stack.push((c, level - 1));
            }
        }
        if out.len() > 1 << 22 {
            return Err(corrupt(at, "too many records"));
        }
    }
    Ok((key, ent, out))
}
