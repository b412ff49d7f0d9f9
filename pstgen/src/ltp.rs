//! The lists-tables-properties layer, written (MS-PST §2.3): heaps on nodes (one or more
//! blocks, each with its page map), BTrees on heaps, property contexts and table contexts.
//! Values too large for the heap go to sub-nodes of the owning node.

use crate::ndb::{Ndb, Sub};
use std::io::{Seek, Write};
use unpst::pst::Format;

/// Largest heap block (fits every format's data block).
const HEAP_BLOCK: usize = 8176;

/// Largest heap allocation (§2.3.1.1).
pub const MAX_ALLOC: usize = 3580;

/// A property value.
#[derive(Clone, Debug)]
pub enum Value {
    I32(i32),
    Bool(bool),
    /// FILETIME.
    Time(i64),
    /// PtypFloating64.
    F64(f64),
    Str(String),
    Bin(Vec<u8>),
    MvStr(Vec<String>),
    /// An object (embedded message): its sub-node NID and size.
    Object(u32, u32),
}

/// A string as an ANSI file stores it: Windows-1252, a character it lacks as `&#N;` (so
/// distinct names stay distinct).
pub fn ansi(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

/// What a reader decodes from [`ansi`]`(s)`: the text an ANSI file holds.
pub fn ansi_text(s: &str) -> String {
    encoding_rs::WINDOWS_1252.decode(&ansi(s)).0.into_owned()
}

/// The type a column or property of type `ptype` has in a file of `format`: strings are
/// 8-bit (PtypString8, PtypMultipleString8) in an ANSI file.
pub fn stored_type(ptype: u16, format: Format) -> u16 {
    match (ptype, format) {
        (0x001F, Format::Ansi) => 0x001E,
        (0x101F, Format::Ansi) => 0x101E,
        (t, _) => t,
    }
}

impl Value {
    pub fn ptype(&self) -> u16 {
        match self {
            Value::I32(_) => 0x0003,
            Value::Bool(_) => 0x000B,
            Value::Time(_) => 0x0040,
            Value::F64(_) => 0x0005,
            Value::Str(_) => 0x001F,
            Value::Bin(_) => 0x0102,
            Value::MvStr(_) => 0x101F,
            Value::Object(..) => 0x000D,
        }
    }

    /// The value's bytes as stored in a file of `format`.
    fn bytes(&self, format: Format) -> Vec<u8> {
        let text = |s: &str| -> Vec<u8> {
            if format == Format::Ansi {
                ansi(s)
            } else {
                s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
            }
        };
        match self {
            Value::I32(v) => v.to_le_bytes().to_vec(),
            Value::Bool(v) => vec![*v as u8, 0, 0, 0],
            Value::Time(t) => t.to_le_bytes().to_vec(),
            Value::F64(f) => f.to_le_bytes().to_vec(),
            Value::Str(s) => text(s),
            Value::Bin(b) => b.clone(),
            Value::MvStr(v) => {
                // ulCount, rgulDataOffsets, then the strings.
                let parts: Vec<Vec<u8>> = v.iter().map(|s| text(s)).collect();
                let mut out = (v.len() as u32).to_le_bytes().to_vec();
                let mut off = 4 + 4 * v.len();
                for p in &parts {
                    out.extend_from_slice(&(off as u32).to_le_bytes());
                    off += p.len();
                }
                for p in parts {
                    out.extend(p);
                }
                out
            }
            Value::Object(nid, size) => {
                let mut out = nid.to_le_bytes().to_vec();
                out.extend_from_slice(&size.to_le_bytes());
                out
            }
        }
    }
}

/// Allocates sub-node NIDs for values that leave the heap.
pub struct SubAlloc {
    next: u32,
    pub subs: Vec<Sub>,
}

impl SubAlloc {
    pub fn new() -> Self {
        Self {
            next: 0x100,
            subs: Vec::new(),
        }
    }

    /// A fresh NID of type NID_TYPE_LTP (0x1F).
    pub fn nid(&mut self) -> u32 {
        self.next += 1;
        (self.next << 5) | 0x1F
    }
}

impl Default for SubAlloc {
    fn default() -> Self {
        Self::new()
    }
}

struct HBlock {
    data: Vec<u8>,
    allocs: Vec<u16>,
}

/// A heap being filled.
pub struct Heap {
    client: u8,
    /// Bit where a HID's block index starts: 16, or 19 in a 4K-page file (its hidIndex
    /// has 14 bits, as libpff and libpst read those files).
    block_shift: u32,
    blocks: Vec<HBlock>,
    pub user_root: u32,
}

fn header_len(block: usize) -> usize {
    match block {
        0 => 12,
        b if b >= 8 && (b - 8) % 128 == 0 => 66,
        _ => 2,
    }
}

impl Heap {
    pub fn new(client: u8, format: Format) -> Self {
        Self {
            client,
            block_shift: if format == Format::Unicode4k { 19 } else { 16 },
            blocks: vec![HBlock {
                data: vec![0; 12],
                allocs: Vec::new(),
            }],
            user_root: 0,
        }
    }

    /// Adds an allocation; returns its HID.
    pub fn alloc(&mut self, bytes: &[u8]) -> u32 {
        assert!(bytes.len() <= MAX_ALLOC);
        let fits = |b: &HBlock| {
            let data = b.data.len().div_ceil(2) * 2 + bytes.len();
            let map = 4 + 2 * (b.allocs.len() + 2);
            data + map <= HEAP_BLOCK && b.allocs.len() < 2047
        };
        if !fits(self.blocks.last().expect("a block")) {
            let n = self.blocks.len();
            self.blocks.push(HBlock {
                data: vec![0; header_len(n)],
                allocs: Vec::new(),
            });
        }
        let index = self.blocks.len() - 1;
        let b = self.blocks.last_mut().expect("a block");
        if b.data.len() % 2 == 1 {
            b.data.push(0);
        }
        b.allocs.push(b.data.len() as u16);
        b.data.extend_from_slice(bytes);
        ((index as u32) << self.block_shift) | ((b.allocs.len() as u32) << 5)
    }

    /// The heap's blocks, page maps in place.
    pub fn finish(self) -> Vec<Vec<u8>> {
        let client = self.client;
        let root = self.user_root;
        self.blocks
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| {
                if b.data.len() % 2 == 1 {
                    b.data.push(0);
                }
                let map = b.data.len() as u16;
                let mut out = b.data;
                out[0..2].copy_from_slice(&map.to_le_bytes());
                if i == 0 {
                    out[2] = 0xEC;
                    out[3] = client;
                    out[4..8].copy_from_slice(&root.to_le_bytes());
                }
                out.extend_from_slice(&(b.allocs.len() as u16).to_le_bytes());
                out.extend_from_slice(&0u16.to_le_bytes());
                for a in &b.allocs {
                    out.extend_from_slice(&a.to_le_bytes());
                }
                out.extend_from_slice(&map.to_le_bytes());
                out
            })
            .collect()
    }
}

/// A BTree-on-heap over sorted records; returns the HID of its header.
pub fn bth(heap: &mut Heap, key: usize, ent: usize, records: &[(Vec<u8>, Vec<u8>)]) -> u32 {
    let mut level = 0u8;
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = records.to_vec();
    let mut size = key + ent;
    let root = loop {
        if items.is_empty() {
            break 0;
        }
        let per = MAX_ALLOC / size;
        let mut next = Vec::new();
        for chunk in items.chunks(per) {
            let mut data = Vec::with_capacity(chunk.len() * size);
            for (k, v) in chunk {
                data.extend_from_slice(k);
                data.extend_from_slice(v);
            }
            let hid = heap.alloc(&data);
            next.push((chunk[0].0.clone(), hid.to_le_bytes().to_vec()));
        }
        if next.len() == 1 {
            break u32::from_le_bytes(next[0].1[..4].try_into().expect("4 bytes"));
        }
        items = next;
        size = key + 4;
        level += 1;
    };
    let mut h = vec![0xB5, key as u8, ent as u8, level];
    h.extend_from_slice(&root.to_le_bytes());
    heap.alloc(&h)
}

/// Stores a variable-size value: in the heap when it fits an allocation, else in a new
/// sub-node of the owner. Returns its HNID.
fn variable<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    heap: &mut Heap,
    subs: &mut SubAlloc,
    bytes: &[u8],
) -> std::io::Result<u32> {
    if bytes.len() <= MAX_ALLOC {
        return Ok(heap.alloc(bytes));
    }
    let nid = subs.nid();
    let bid = ndb.data(bytes)?;
    subs.subs.push(Sub {
        nid,
        bid_data: bid,
        bid_sub: 0,
    });
    Ok(nid)
}

/// Stores a heap as a node's data tree.
fn heap_data<W: Write + Seek>(ndb: &mut Ndb<W>, heap: Heap) -> std::io::Result<u64> {
    let blocks = heap.finish();
    let mut leaves = Vec::new();
    let mut total = 0;
    for b in &blocks {
        total += b.len() as u64;
        leaves.push(ndb.block(b, false)?);
    }
    ndb.tree(leaves, total)
}

/// A property context: sorted properties; big values become sub-nodes in `subs`. Returns
/// the data tree's BID.
pub fn pc<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    props: &mut [(u16, Value)],
    subs: &mut SubAlloc,
) -> std::io::Result<u64> {
    pc_with_raw(ndb, props, subs, &[])
}

/// Like [`pc`], plus records given as (id, type, HNID) — a value already in a sub-node.
pub fn pc_with_raw<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    props: &mut [(u16, Value)],
    subs: &mut SubAlloc,
    raw: &[(u16, u16, u32)],
) -> std::io::Result<u64> {
    props.sort_by_key(|p| p.0);
    let format = ndb.format();
    let mut heap = Heap::new(0xBC, format);
    let mut records = Vec::new();
    for (id, ptype, hnid) in raw {
        let mut ent = ptype.to_le_bytes().to_vec();
        ent.extend_from_slice(&hnid.to_le_bytes());
        records.push((id.to_le_bytes().to_vec(), ent));
    }
    for (id, v) in props.iter() {
        let hnid = match v {
            Value::I32(x) => *x as u32,
            Value::Bool(b) => *b as u32,
            Value::Object(..) | Value::Time(_) | Value::F64(_) => heap.alloc(&v.bytes(format)),
            _ => variable(ndb, &mut heap, subs, &v.bytes(format))?,
        };
        let mut ent = stored_type(v.ptype(), format).to_le_bytes().to_vec();
        ent.extend_from_slice(&hnid.to_le_bytes());
        records.push((id.to_le_bytes().to_vec(), ent));
    }
    records.sort_by_key(|r| u16::from_le_bytes([r.0[0], r.0[1]]));
    heap.user_root = bth(&mut heap, 2, 6, &records);
    heap_data(ndb, heap)
}

/// A column of a table context.
#[derive(Clone, Copy)]
pub struct Column {
    pub id: u16,
    pub ptype: u16,
}

fn col_size(ptype: u16) -> usize {
    match ptype {
        0x0040 | 0x0014 | 0x0005 => 8,
        0x000B => 1,
        0x0002 => 2,
        _ => 4,
    }
}

/// A table context with `rows` (each the values of `columns`, `None` for a missing cell;
/// the first value is the row id). Returns the data tree's BID; the row matrix is a
/// sub-node in `subs` when it is large.
pub fn tc<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    columns: &[Column],
    rows: &[Vec<Option<Value>>],
    subs: &mut SubAlloc,
) -> std::io::Result<u64> {
    let format = ndb.format();
    let mut heap = Heap::new(0x7C, format);
    // Layout: 8- and 4-byte columns (row id and version first), then 2-, then 1-byte, then
    // the cell existence bitmap.
    let mut all: Vec<Column> = vec![
        Column {
            id: 0x67F2,
            ptype: 0x0003,
        },
        Column {
            id: 0x67F3,
            ptype: 0x0003,
        },
    ];
    all.extend(columns.iter().copied().filter(|c| c.id != 0x67F2));
    let mut offsets = vec![0usize; all.len()];
    // Row id at 0, version at 4, then the other columns by size.
    let mut at = 8;
    offsets[0] = 0;
    offsets[1] = 4;
    let mut ends = [0usize; 4];
    for (g, size) in [8usize, 4, 2, 1].into_iter().enumerate() {
        for (i, c) in all.iter().enumerate().skip(2) {
            if col_size(c.ptype) == size {
                offsets[i] = at;
                at += size;
            }
        }
        ends[g] = at;
    }
    let ceb = at;
    let row_size = ceb + all.len().div_ceil(8);
    // TCINFO rgib: end of the 8/4-byte group, of the 2-byte group, of the 1-byte group, of
    // the bitmap.
    let rgib = [ends[1], ends[2], ends[3], row_size];

    let mut matrix = Vec::with_capacity(rows.len() * row_size);
    let mut index = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        let mut bytes = vec![0u8; row_size];
        let mut values: Vec<Option<Value>> =
            vec![row.first().cloned().flatten(), Some(Value::I32(0))];
        values.extend(
            columns
                .iter()
                .zip(row.iter())
                .filter(|(c, _)| c.id != 0x67F2)
                .map(|(_, v)| v.clone()),
        );
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let c = all[i];
            let raw: Vec<u8> = match v {
                Value::I32(x) => x.to_le_bytes().to_vec(),
                Value::Bool(b) => vec![*b as u8],
                Value::Time(t) => t.to_le_bytes().to_vec(),
                other => variable(ndb, &mut heap, subs, &other.bytes(format))?
                    .to_le_bytes()
                    .to_vec(),
            };
            let size = if i < 2 { 4 } else { col_size(c.ptype) };
            bytes[offsets[i]..offsets[i] + size].copy_from_slice(&raw[..size]);
            bytes[ceb + i / 8] |= 0x80 >> (i % 8);
        }
        let row_id = match row.first() {
            Some(Some(Value::I32(x))) => *x as u32,
            _ => r as u32,
        };
        // TCROWID: dwRowIndex is 2 bytes in an ANSI file (§2.3.4.3).
        let mut row_index = (r as u32).to_le_bytes().to_vec();
        if format == Format::Ansi {
            row_index.truncate(2);
        }
        index.push((row_id.to_le_bytes().to_vec(), row_index));
        matrix.extend(bytes);
    }
    index.sort_by(|a, b| a.0.cmp(&b.0));
    let hid_index = bth(
        &mut heap,
        4,
        if format == Format::Ansi { 2 } else { 4 },
        &index,
    );
    let hnid_rows = if rows.is_empty() {
        0
    } else if matrix.len() <= MAX_ALLOC {
        heap.alloc(&matrix)
    } else {
        // Rows never straddle blocks: each block holds whole rows.
        let per = ndb.max_block() / row_size;
        let mut leaves = Vec::new();
        for chunk in matrix.chunks(per * row_size) {
            leaves.push(ndb.block(chunk, false)?);
        }
        let bid = ndb.tree(leaves, matrix.len() as u64)?;
        let nid = subs.nid();
        subs.subs.push(Sub {
            nid,
            bid_data: bid,
            bid_sub: 0,
        });
        nid
    };
    let mut info = vec![0x7C, all.len() as u8];
    for v in rgib {
        info.extend_from_slice(&(v as u16).to_le_bytes());
    }
    info.extend_from_slice(&hid_index.to_le_bytes());
    info.extend_from_slice(&hnid_rows.to_le_bytes());
    info.extend_from_slice(&0u32.to_le_bytes());
    for (i, c) in all.iter().enumerate() {
        let tag = ((c.id as u32) << 16) | stored_type(c.ptype, format) as u32;
        info.extend_from_slice(&tag.to_le_bytes());
        info.extend_from_slice(&(offsets[i] as u16).to_le_bytes());
        info.push(if i < 2 { 4 } else { col_size(c.ptype) as u8 });
        info.push(i as u8);
    }
    heap.user_root = heap.alloc(&info);
    heap_data(ndb, heap)
}
