//! The message store (MS-PST §2.4.3) and the entry point for reading a file.

use super::message::strings_codepage;
use super::named::NamedProps;
use super::object::Object;
use super::props;
use crate::error::Result;
use crate::pst::ndb::header::{Format, Header};
use crate::pst::ndb::{DEFAULT_CHUNK, DEFAULT_CHUNKS, Ndb, Nid, NidType};
use crate::source::{ByteSource, FileSource};
use std::path::Path;

/// An open PST or OST file.
pub struct Pst {
    pub ndb: Ndb,
    pub store: Object,
    /// Code page for 8-bit strings that carry none of their own.
    pub codepage: u32,
    pub named: NamedProps,
    pub display_name: String,
    /// The store's record key: what tells this file's items from another's with the same
    /// node ids (empty when the store object is unreadable).
    pub record_key: Vec<u8>,
    /// NID of the top of the mailbox (IPM subtree), when the store names one.
    pub ipm_subtree: Option<Nid>,
    /// File-level damage found while opening that did not stop it (for the report).
    pub problems: Vec<String>,
    /// Whether Outlook asks for a password to open the file. It protects nothing: the
    /// password is only a checksum in the store (PidTagPstPassword), the data is not
    /// encrypted with it, so the file is read without it — and the password is never needed,
    /// shown or guessed.
    pub password_protected: bool,
    /// Learnt the first time an address is missing ([`Pst::address_book`]).
    address_book: std::cell::OnceCell<super::AddressBook>,
    /// The freed space's scan, made once ([`Pst::recovery`]): it reads the whole file.
    pub(super) recovery: std::cell::OnceCell<std::rc::Rc<super::recover::Recovery>>,
}

impl Pst {
    /// Damage found in the file so far, at opening and while reading (B-tree pages rebuilt
    /// by scanning, a truncation): what every report lists.
    pub fn file_problems(&self) -> Vec<String> {
        self.problems
            .iter()
            .chain(self.ndb.problems.borrow().iter())
            .cloned()
            .collect()
    }

    /// Opens a file from disk.
    pub fn open_path(path: impl AsRef<Path>) -> Result<Self> {
        let f = std::fs::File::open(path)?;
        Self::open(Box::new(FileSource::new(f)?))
    }

    /// Opens any byte source with the default cache.
    pub fn open(src: Box<dyn ByteSource>) -> Result<Self> {
        Self::open_with_cache(src, DEFAULT_CHUNK, DEFAULT_CHUNKS)
    }

    pub fn open_with_cache(src: Box<dyn ByteSource>, chunk: usize, chunks: usize) -> Result<Self> {
        let ndb = Ndb::open_with_cache(src, chunk, chunks)?;
        let mut problems = Vec::new();
        let (have, want) = (ndb.file_size(), ndb.header.file_eof);
        if have < want {
            problems.push(format!(
                "the file is truncated: {have} of {want} bytes; what was stored past the end is lost"
            ));
        }
        // A damaged store object costs its display name and the IPM subtree pointer, not
        // the folders and messages: go on without it.
        let store = match ndb
            .find_node(Nid::MESSAGE_STORE)
            .and_then(|e| Object::read(&ndb, e.bid_data, e.bid_sub))
        {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!("message store object unreadable: {e}"));
                Object::default()
            }
        };
        let named = match ndb.find_node(Nid::NAME_TO_ID_MAP) {
            Ok(e) => match Object::read(&ndb, e.bid_data, e.bid_sub) {
                Ok(o) => NamedProps::read(&ndb, &o),
                Err(_) => NamedProps::default(),
            },
            Err(_) => NamedProps::default(),
        };
        let codepage = strings_codepage(&store)
            .or_else(|| {
                // ANSI stores name no code page: take the first message's (folder names were
                // written by the same Outlook).
                (ndb.header.format == Format::Ansi)
                    .then(|| first_message_codepage(&ndb))
                    .flatten()
            })
            .unwrap_or(1252);
        let display_name = store
            .string(&ndb, props::DISPLAY_NAME, codepage)
            .unwrap_or_default();
        let ipm_subtree = entry_nid(&ndb, &store, props::IPM_SUBTREE_ENTRYID);
        let record_key = store
            .bytes(&ndb, props::RECORD_KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        // 0 is no password; so is all ones, which OSTs (Outlook's caches, never protected)
        // hold — libpff's pffinfo reads both as none.
        let password_protected = store
            .i32(props::PST_PASSWORD)
            .is_some_and(|v| v != 0 && v != -1);
        Ok(Self {
            ndb,
            password_protected,
            store,
            codepage,
            named,
            display_name,
            record_key,
            ipm_subtree,
            problems,
            address_book: Default::default(),
            recovery: Default::default(),
        })
    }

    /// A hash that names item `nid` of this file and no other: generated ids (vCard and
    /// iCalendar UIDs) are made from it. `salt` makes independent hashes.
    pub fn item_hash(&self, nid: Nid, salt: &[u8]) -> u64 {
        crate::util::fnv1a(&[
            salt,
            self.display_name.as_bytes(),
            &self.record_key,
            &nid.get().to_le_bytes(),
        ])
    }

    /// What the file knows of people's addresses, learnt on first use.
    pub fn address_book(&self) -> &super::AddressBook {
        self.address_book
            .get_or_init(|| super::AddressBook::build(self))
    }

    /// The folder a store EntryID property points at (Sent Items, Deleted Items, …).
    pub fn store_folder(&self, prop: u16) -> Option<Nid> {
        entry_nid(&self.ndb, &self.store, prop)
    }

    pub fn header(&self) -> &Header {
        &self.ndb.header
    }

    pub fn is_unicode(&self) -> bool {
        self.ndb.header.format != Format::Ansi
    }
}

/// The strings code page of the first message in the node B-tree that names one.
fn first_message_codepage(ndb: &Ndb) -> Option<u32> {
    let mut found = None;
    let mut tried = 0;
    let _ = ndb.walk_nodes(|e| {
        if e.nid.kind() != NidType::NormalMessage {
            return true;
        }
        tried += 1;
        if let Ok(o) = Object::read(ndb, e.bid_data, e.bid_sub) {
            found = strings_codepage(&o);
        }
        found.is_none() && tried < 20
    });
    found
}

/// The NID of a folder EntryID property: 4 flag bytes, the 16-byte provider UID, the NID.
fn entry_nid(ndb: &Ndb, obj: &Object, prop: u16) -> Option<Nid> {
    obj.bytes(ndb, prop).ok().flatten().and_then(|b| {
        let n = b.get(20..24)?;
        Nid::try_from(u32::from_le_bytes([n[0], n[1], n[2], n[3]])).ok()
    })
}
