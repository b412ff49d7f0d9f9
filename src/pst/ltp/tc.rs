//! Table context (MS-PST §2.3.4): TCINFO, column descriptors, the row matrix (in the heap
//! or in a sub-node's data tree) and the cell existence bitmap.
//!
//! Rows are read block by block on demand, so a 100k-row contents table is never held whole.

use super::heap::{CLIENT_TC, Heap};
use super::pc::resolve_hnid;
use super::prop::{PropData, PropType, fixed_size};
use crate::error::{Result, corrupt};
use crate::pst::bytes::{slice, u8_at, u16_at, u32_at};
use crate::pst::ndb::subnode::Subnodes;
use crate::pst::ndb::{Bid, Ndb};

/// A column: property tag and where its cell sits in a row.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub id: u16,
    pub ptype: PropType,
    pub offset: usize,
    pub size: usize,
    pub bit: usize,
}

enum Rows {
    None,
    Heap(Vec<u8>),
    /// Data blocks of the row matrix, with the row count of each.
    Blocks(Vec<(Bid, usize)>),
}

pub struct TableContext {
    pub heap: Heap,
    pub columns: Vec<Column>,
    row_size: usize,
    ceb_offset: usize,
    rows: Rows,
    row_count: usize,
}

/// PidTagLtpRowId: the first column of every table.
pub const ROW_ID: u16 = 0x67F2;

/// One row's raw bytes.
pub struct Row(pub Vec<u8>);

impl TableContext {
    pub fn parse(ndb: &Ndb, heap: Heap, subnodes: &Subnodes) -> Result<Self> {
        let at = "table context";
        if heap.client_sig != CLIENT_TC {
            return Err(corrupt(
                at,
                format!(
                    "heap client signature {:#x}, expected 0x7C",
                    heap.client_sig
                ),
            ));
        }
        let info = heap.get(ndb, heap.user_root)?.into_owned();
        if u8_at(&info, 0, at)? != CLIENT_TC {
            return Err(corrupt(at, "TCINFO type is not 0x7C"));
        }
        let ncols = u8_at(&info, 1, at)? as usize;
        let ceb_offset = u16_at(&info, 6, at)? as usize;
        let row_size = u16_at(&info, 8, at)? as usize;
        let hnid_rows = u32_at(&info, 14, at)?;
        let mut columns = Vec::with_capacity(ncols);
        for i in 0..ncols {
            let d = slice(&info, 22 + 8 * i, 8, at)?;
            let tag = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
            let col = Column {
                id: (tag >> 16) as u16,
                ptype: tag as u16,
                offset: u16::from_le_bytes([d[4], d[5]]) as usize,
                size: d[6] as usize,
                bit: d[7] as usize,
            };
            if col.offset + col.size > row_size || ceb_offset + col.bit / 8 >= row_size.max(1) {
                return Err(corrupt(
                    at,
                    format!("column {:#06x} lies outside the row", col.id),
                ));
            }
            columns.push(col);
        }
        if ceb_offset + ncols.div_ceil(8) > row_size {
            return Err(corrupt(at, "cell existence bitmap lies outside the row"));
        }
        let (rows, row_count) = if hnid_rows == 0 || row_size == 0 {
            (Rows::None, 0)
        } else {
            match resolve_hnid(ndb, &heap, hnid_rows)? {
                PropData::Bytes(b) => {
                    let n = b.len() / row_size;
                    (Rows::Heap(b), n)
                }
                PropData::Subnode(nid) => {
                    let sn = subnodes
                        .get(nid)
                        .ok_or_else(|| corrupt(at, format!("row matrix sub-node {nid} missing")))?;
                    let mut blocks = Vec::new();
                    let mut total = 0usize;
                    for bid in ndb.data_leaves(sn.bid_data)? {
                        let e = ndb.find_block(bid)?;
                        let n = e.cb_inflated as usize / row_size;
                        total += n;
                        blocks.push((bid, n));
                    }
                    (Rows::Blocks(blocks), total)
                }
            }
        };
        Ok(Self {
            heap,
            columns,
            row_size,
            ceb_offset,
            rows,
            row_count,
        })
    }

    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// Calls `f` for each row in order; stops at the first error `f` or a read returns.
    pub fn for_each_row(&self, ndb: &Ndb, mut f: impl FnMut(&Row) -> Result<()>) -> Result<()> {
        match &self.rows {
            Rows::None => Ok(()),
            Rows::Heap(b) => {
                for r in b.chunks_exact(self.row_size) {
                    f(&Row(r.to_vec()))?;
                }
                Ok(())
            }
            Rows::Blocks(blocks) => {
                for &(bid, n) in blocks {
                    let data = ndb.read_block(bid)?;
                    for r in data.chunks_exact(self.row_size).take(n) {
                        f(&Row(r.to_vec()))?;
                    }
                }
                Ok(())
            }
        }
    }

    /// The rows in `range` (clamped to the table).
    pub fn rows_in(&self, ndb: &Ndb, start: usize, count: usize) -> Result<Vec<Row>> {
        let end = start.saturating_add(count).min(self.row_count);
        let mut out = Vec::new();
        if start >= end {
            return Ok(out);
        }
        match &self.rows {
            Rows::None => {}
            Rows::Heap(b) => {
                for r in b.chunks_exact(self.row_size).skip(start).take(end - start) {
                    out.push(Row(r.to_vec()));
                }
            }
            Rows::Blocks(blocks) => {
                let mut first = 0usize;
                for &(bid, n) in blocks {
                    if first + n > start && first < end {
                        let data = ndb.read_block(bid)?;
                        for (i, r) in data.chunks_exact(self.row_size).take(n).enumerate() {
                            let idx = first + i;
                            if idx >= start && idx < end {
                                out.push(Row(r.to_vec()));
                            }
                        }
                    }
                    first += n;
                    if first >= end {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every row's id (`PidTagLtpRowId`): the NIDs of sub-folders, messages or attachments.
    pub fn row_ids(&self, ndb: &Ndb) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(self.row_count);
        self.for_each_row(ndb, |row| {
            if let Some((_, PropData::Bytes(b))) = self.cell_by_id(ndb, row, ROW_ID)?
                && b.len() >= 4
            {
                out.push(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            }
            Ok(())
        })?;
        Ok(out)
    }

    pub fn column(&self, id: u16) -> Option<&Column> {
        self.columns.iter().find(|c| c.id == id)
    }

    /// A cell's value: `None` when the cell is absent.
    pub fn cell(&self, ndb: &Ndb, row: &Row, col: &Column) -> Result<Option<PropData>> {
        let r = &row.0;
        let ceb = u8_at(r, self.ceb_offset + col.bit / 8, "table row")?;
        if ceb & (0x80 >> (col.bit % 8)) == 0 {
            return Ok(None);
        }
        let raw = slice(r, col.offset, col.size, "table cell")?;
        match fixed_size(col.ptype) {
            Some(n) if n <= 8 => Ok(Some(PropData::Bytes(raw[..n.min(raw.len())].to_vec()))),
            _ => {
                if raw.len() < 4 {
                    return Ok(None);
                }
                let hnid = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
                Ok(Some(resolve_hnid(ndb, &self.heap, hnid)?))
            }
        }
    }

    /// A cell by property id.
    pub fn cell_by_id(
        &self,
        ndb: &Ndb,
        row: &Row,
        id: u16,
    ) -> Result<Option<(PropType, PropData)>> {
        match self.column(id) {
            Some(c) => Ok(self.cell(ndb, row, c)?.map(|d| (c.ptype, d))),
            None => Ok(None),
        }
    }
}
