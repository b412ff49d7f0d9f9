//! Attachments (MS-PST §2.4.6): by value (read in blocks), embedded messages, OLE objects.

use super::message::Message;
use super::object::{Object, ValueBlocks};
use super::props;
use super::store::Pst;
use crate::error::{Result, corrupt};
use crate::pst::ltp::prop::{PT_BINARY, PT_OBJECT, PropData};
use crate::pst::ndb::Nid;

/// Attachment methods (PidTagAttachMethod).
pub const METHOD_BY_VALUE: i32 = 1;
pub const METHOD_EMBEDDED: i32 = 5;
pub const METHOD_OLE: i32 = 6;

pub struct Attachment {
    /// Sub-node NID within the parent message.
    pub id: Nid,
    pub obj: Object,
    pub method: i32,
    /// Long file name, else short file name, else display name.
    pub filename: String,
    pub display_name: String,
    pub mime_type: String,
    pub content_id: String,
    pub content_location: String,
    pub flags: u32,
    pub hidden: bool,
    pub rendering_position: i32,
    codepage: u32,
}

/// What an attachment holds.
pub enum AttachmentContent {
    /// Bytes, as data blocks (read with [`Pst::read_blocks`]) or inline.
    Data(ValueBlocks),
    Embedded(Box<Message>),
    None,
}

impl Attachment {
    pub fn new(pst: &Pst, id: Nid, obj: Object, codepage: u32) -> Self {
        let s = |p: u16| obj.string(&pst.ndb, p, codepage).unwrap_or_default();
        let filename = [
            props::ATTACH_LONG_FILENAME,
            props::ATTACH_FILENAME,
            props::DISPLAY_NAME,
        ]
        .into_iter()
        .map(s)
        .find(|n| !n.is_empty())
        .unwrap_or_default();
        Self {
            id,
            method: obj.i32(props::ATTACH_METHOD).unwrap_or(METHOD_BY_VALUE),
            display_name: s(props::DISPLAY_NAME),
            mime_type: s(props::ATTACH_MIME_TAG),
            content_id: s(props::ATTACH_CONTENT_ID),
            content_location: s(props::ATTACH_CONTENT_LOCATION),
            flags: obj.i32(props::ATTACH_FLAGS).unwrap_or(0) as u32,
            hidden: obj.bool(props::ATTACHMENT_HIDDEN).unwrap_or(false),
            rendering_position: obj.i32(props::ATTACH_RENDERING_POSITION).unwrap_or(-1),
            filename,
            obj,
            codepage,
        }
    }

    /// Opens the attachment's content: an embedded message or the data's blocks.
    pub fn content(&self, pst: &Pst) -> Result<AttachmentContent> {
        let Some(p) = self.obj.pc.get(props::ATTACH_DATA) else {
            return Ok(AttachmentContent::None);
        };
        if p.ptype == PT_OBJECT {
            // The value names a sub-node of this attachment: for an embedded message it is
            // the message object, whose own sub-node tree holds its recipients and attachments.
            let target = match &p.data {
                PropData::Bytes(b) if b.len() >= 4 => {
                    Nid::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .map_err(|e| corrupt(format!("attachment {:#x}", self.id), e.to_string()))?
                }
                PropData::Subnode(n) => *n,
                _ => {
                    return Err(corrupt(
                        format!("attachment {:#x}", self.id),
                        "object value too short",
                    ));
                }
            };
            let sn = self.obj.subnodes.get(target).ok_or_else(|| {
                corrupt(
                    format!("attachment {:#x}", self.id),
                    format!("object sub-node {target} is missing"),
                )
            })?;
            if self.method == METHOD_EMBEDDED {
                let obj = Object::read(&pst.ndb, sn.bid_data, sn.bid_sub)?;
                return Ok(AttachmentContent::Embedded(Box::new(Message::new(
                    target,
                    obj,
                    self.codepage,
                ))));
            }
            // OLE and other storage objects: hand out the raw storage bytes.
            return Ok(AttachmentContent::Data(ValueBlocks::Blocks(
                pst.ndb.data_leaves(sn.bid_data)?,
            )));
        }
        if p.ptype == PT_BINARY {
            return Ok(AttachmentContent::Data(
                self.obj.value_blocks(&pst.ndb, props::ATTACH_DATA)?,
            ));
        }
        Ok(AttachmentContent::None)
    }

    /// Declared size (PidTagAttachSize; includes properties, so only approximate).
    pub fn declared_size(&self) -> u32 {
        self.obj.i32(props::ATTACH_SIZE).unwrap_or(0).max(0) as u32
    }
}

impl Pst {
    /// Streams a value's bytes to `f`, one block at a time.
    pub fn read_blocks(
        &self,
        v: &ValueBlocks,
        mut f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        match v {
            ValueBlocks::Inline(b) => f(b),
            ValueBlocks::Blocks(ids) => {
                for &b in ids {
                    f(&self.ndb.read_block(b)?)?;
                }
                Ok(())
            }
        }
    }
}
