//! Messages (MS-PST §2.4.5): the message object, its recipient table and attachment table.

use super::attachment::Attachment;
use super::object::{Object, string_value};
use super::props;
use super::store::Pst;
use crate::error::{Result, corrupt};
use crate::pst::ltp::prop::PropData;
use crate::pst::ltp::{Heap, TableContext};
use crate::pst::ndb::Nid;
use crate::pst::ndb::subnode::Subnodes;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecipientKind {
    From,
    To,
    Cc,
    Bcc,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    pub kind: RecipientKind,
    pub name: String,
    /// The best e-mail address known: SMTP address, else the address if its type is SMTP.
    pub email: String,
    pub addr_type: String,
    /// The address as stored (an Exchange DN for type EX), for [`super::AddressBook`].
    #[serde(skip)]
    pub address: String,
    /// PidTagRecipientTrackStatus: a meeting attendee's response (0 none, 2 tentative,
    /// 3 accepted, 4 declined, 5 not responded).
    pub track_status: u32,
}

/// An open message (top-level or embedded).
pub struct Message {
    /// The message's NID (for an embedded message, the attachment's sub-node NID).
    pub nid: Nid,
    pub obj: Object,
    /// Code page of its 8-bit strings.
    pub codepage: u32,
}

/// Drops the MS-OXCMAIL subject prefix marker (0x01, prefix length) that ANSI and some
/// Unicode subjects start with.
pub fn strip_subject_prefix(s: &str) -> String {
    let mut chars = s.chars();
    if chars.next() == Some('\u{1}') {
        chars.next();
        return chars.as_str().to_string();
    }
    s.to_string()
}

impl Pst {
    /// Opens a top-level message by NID.
    pub fn message(&self, msg_nid: Nid) -> Result<Message> {
        let e = self.ndb.find_node(msg_nid)?;
        let obj = Object::read(&self.ndb, e.bid_data, e.bid_sub)?;
        Ok(Message::new(msg_nid, obj, self.codepage))
    }

    fn sub_table(&self, subnodes: &Subnodes, table_nid: Nid) -> Result<Option<TableContext>> {
        let Some(sn) = subnodes.get(table_nid) else {
            return Ok(None);
        };
        let heap = Heap::read(&self.ndb, sn.bid_data)?;
        let subs = self.ndb.read_subnodes(sn.bid_sub)?;
        Ok(Some(TableContext::parse(&self.ndb, heap, &subs)?))
    }

    /// The message's recipients, in table order.
    pub fn recipients(&self, m: &Message) -> Result<Vec<Recipient>> {
        let Some(t) = self.sub_table(&m.obj.subnodes, Nid::RECIPIENT_TABLE)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        t.for_each_row(&self.ndb, |row| {
            let text = |id: u16| -> String {
                match t.cell_by_id(&self.ndb, row, id) {
                    Ok(Some((ty, PropData::Bytes(b)))) => {
                        string_value(ty, &b, m.codepage).unwrap_or_default()
                    }
                    Ok(Some((ty, PropData::Subnode(n)))) => m
                        .obj
                        .subnodes
                        .get(n)
                        .and_then(|s| self.ndb.read_data_concat(s.bid_data).ok())
                        .and_then(|b| string_value(ty, &b, m.codepage))
                        .unwrap_or_default(),
                    _ => String::new(),
                }
            };
            let kind = match t.cell_by_id(&self.ndb, row, props::RECIPIENT_TYPE)? {
                Some((_, PropData::Bytes(b))) if b.len() >= 4 => {
                    match u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0xF {
                        2 => RecipientKind::Cc,
                        3 => RecipientKind::Bcc,
                        0 => RecipientKind::From,
                        _ => RecipientKind::To,
                    }
                }
                _ => RecipientKind::To,
            };
            let addr_type = text(props::ADDRTYPE);
            let smtp = text(props::SMTP_ADDRESS);
            let addr = text(props::EMAIL_ADDRESS);
            let email = best_address(&smtp, &addr_type, &addr);
            let track_status = match t.cell_by_id(&self.ndb, row, 0x5FFF)? {
                Some((_, PropData::Bytes(b))) if b.len() >= 4 => {
                    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
                }
                _ => 0,
            };
            out.push(Recipient {
                kind,
                name: text(props::DISPLAY_NAME),
                email,
                addr_type,
                address: addr,
                track_status,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// The message's attachments, in table order. An attachment that cannot be read is
    /// returned as an error entry so the caller can report it and go on.
    pub fn attachments(&self, m: &Message) -> Result<Vec<Result<Attachment>>> {
        let Some(t) = self.sub_table(&m.obj.subnodes, Nid::ATTACHMENT_TABLE)? else {
            return Ok(Vec::new());
        };
        let ids = t.row_ids(&self.ndb)?;
        Ok(ids
            .into_iter()
            .map(|raw| {
                let at = || format!("message {}", m.nid);
                let id = Nid::try_from(raw).map_err(|e| corrupt(at(), e.to_string()))?;
                let sn =
                    m.obj.subnodes.get(id).ok_or_else(|| {
                        corrupt(at(), format!("attachment sub-node {id} is missing"))
                    })?;
                let obj = Object::read(&self.ndb, sn.bid_data, sn.bid_sub)?;
                Ok(Attachment::new(self, id, obj, m.codepage))
            })
            .collect())
    }
}

/// Picks the SMTP address when there is one.
pub fn best_address(smtp: &str, addr_type: &str, addr: &str) -> String {
    if !smtp.is_empty() {
        smtp.to_string()
    } else if addr_type.eq_ignore_ascii_case("SMTP") || addr.contains('@') {
        addr.to_string()
    } else {
        String::new()
    }
}

impl Message {
    pub fn new(nid: Nid, obj: Object, store_codepage: u32) -> Self {
        let codepage = strings_codepage(&obj).unwrap_or(store_codepage);
        Self { nid, obj, codepage }
    }

    pub fn string(&self, pst: &Pst, id: u16) -> Option<String> {
        self.obj.string(&pst.ndb, id, self.codepage)
    }

    pub fn class(&self, pst: &Pst) -> String {
        self.string(pst, props::MESSAGE_CLASS).unwrap_or_default()
    }

    pub fn subject(&self, pst: &Pst) -> String {
        strip_subject_prefix(&self.string(pst, props::SUBJECT).unwrap_or_default())
    }

    pub fn flags(&self) -> u32 {
        self.obj.i32(props::MESSAGE_FLAGS).unwrap_or(0) as u32
    }
}

/// The code page of an object's 8-bit strings: PidTagMessageCodepage, else the ANSI code
/// page of its locale, else the Windows equivalent of its Internet code page.
pub fn strings_codepage(obj: &Object) -> Option<u32> {
    use crate::codepage::{ansi_codepage_for_lcid, windows_codepage_for};
    let valid = |c: &u32| *c != 0 && *c != 1200 && *c != 65001;
    obj.i32(props::MESSAGE_CODEPAGE)
        .map(|c| c as u32)
        .filter(valid)
        .or_else(|| {
            obj.i32(props::MESSAGE_LOCALE_ID)
                .map(|l| ansi_codepage_for_lcid(l as u32))
        })
        .or_else(|| {
            obj.i32(props::INTERNET_CPID)
                .map(|c| windows_codepage_for(c as u32))
                .filter(valid)
        })
}
