//! unpst-gen: writes valid PST files (ANSI, Unicode or 4K-page) of any size from a seed and a shape — the
//! project's own test data and benchmark input (a dev tool, not part of the user-facing
//! CLI). Layers as in MS-PST: [`ndb`] (blocks, pages, B-trees), [`ltp`] (heaps, BTrees on
//! heaps, property and table contexts) and the messaging objects here (MS-PST §2.4: store,
//! name-to-id map, folders with their hierarchy / contents / associated tables, messages
//! with recipients, attachments and embedded messages, contacts, appointments).

pub mod ltp;
pub mod ndb;

use ltp::{Column, SubAlloc, Value, pc, tc};
use ndb::{Ndb, Node, Sub};
use std::io::{Seek, Write};
pub use unpst::pst::{Encryption, Format};

/// What to write.
#[derive(Debug, Clone)]
pub struct Spec {
    pub seed: u64,
    /// Stop adding messages once the file reaches this size.
    pub target_bytes: u64,
    /// Or after this many messages (whichever comes first).
    pub max_messages: u64,
    /// Folders besides the standard ones, nested up to `depth`.
    pub folders: usize,
    pub depth: usize,
    /// Messages per folder at most (the contents table stays one heap's worth of rows).
    pub per_folder: usize,
    /// Largest attachment.
    pub max_attachment: u64,
    pub encryption: Encryption,
    /// ANSI, Unicode or the 4K-page layout.
    pub format: Format,
    /// Every message in the Inbox (with `per_folder` as large as `max_messages`).
    pub one_folder: bool,
    /// Contacts and appointments too.
    pub items: bool,
    /// The first message carries an attachment of exactly this size (to test data trees
    /// of every depth).
    pub first_attachment: Option<u64>,
    /// This many messages (after the wrapped ones) are written, then deleted: in no folder,
    /// in neither live B-tree, their bytes left in place (what a recovery finds).
    pub deleted: usize,
    /// This many contacts and as many appointments are written, then deleted, like
    /// [`Spec::deleted`] messages.
    pub deleted_cards: usize,
    /// The first messages written are these S/MIME messages, as Outlook stores them.
    pub wrapped: Vec<Wrapped>,
    /// Outlook's password checksum (PidTagPstPassword) in the store: a password-protected
    /// file.
    pub password_crc: Option<u32>,
    /// Names for the first generated folders, before the built-in awkward ones (to test
    /// what readers do with a given name).
    pub names: Vec<String>,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            seed: 1,
            target_bytes: 10 << 20,
            max_messages: u64::MAX,
            folders: 12,
            depth: 4,
            per_folder: 400,
            max_attachment: 50 << 20,
            encryption: Encryption::Permute,
            format: Format::Unicode,
            one_folder: false,
            items: true,
            first_attachment: None,
            password_crc: None,
            wrapped: Vec::new(),
            deleted: 0,
            deleted_cards: 0,
            names: Vec::new(),
        }
    }
}

/// An S/MIME message as Outlook keeps it (MS-OXOSMIME §2.1.3): a class
/// (`IPM.Note.SMIME.MultipartSigned`, `IPM.Note.SMIME`) and one attachment holding the
/// `multipart/signed` entity or the CMS blob.
#[derive(Debug, Clone)]
pub struct Wrapped {
    pub class: String,
    pub subject: String,
    pub file_name: String,
    pub mime_tag: String,
    pub data: Vec<u8>,
}

/// What was written, to check readers against.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Folder path from the top of the mailbox → items.
    pub folders: Vec<(Vec<String>, u32)>,
    pub messages: u64,
    pub contacts: u64,
    pub appointments: u64,
    /// Tasks, as (subject, PidLidTaskStatus, percent complete).
    pub tasks: Vec<(String, i32, u32)>,
    pub journals: u64,
    /// Sticky notes (mail to a converter: `IPM.StickyNote`).
    pub notes: u64,
    pub attachments: u64,
    pub embedded: u64,
    /// Messages whose only body is RTF (converters keep it as body.rtf beside the HTML).
    pub rtf_only: u64,
    /// Subject of every item (mail, contact, appointment), per folder path, in table order.
    pub subjects: Vec<(Vec<String>, Vec<String>)>,
    pub bytes: u64,
    /// Subjects of the deleted messages ([`Spec::deleted`]), with their folders' paths.
    pub deleted: Vec<(Vec<String>, String)>,
    /// Display names of the deleted contacts and subjects of the deleted appointments
    /// ([`Spec::deleted_cards`]), with their folders' paths.
    pub deleted_cards: Vec<(Vec<String>, String)>,
    /// SHA-1 (hex) of what [`Spec::first_attachment`] wrote: what every output must give back.
    pub first_attachment_sha1: Option<String>,
}

/// SplitMix64: small, seedable, the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    pub fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let x = self.next_u64().to_le_bytes();
            c.copy_from_slice(&x[..c.len()]);
        }
    }
}

const WORDS: [&str; 32] = [
    "project",
    "meeting",
    "budget",
    "report",
    "quarterly",
    "invoice",
    "schedule",
    "update",
    "review",
    "draft",
    "customer",
    "offer",
    "Angebot",
    "Rechnung",
    "für",
    "naïve",
    "café",
    "résumé",
    "会議",
    "資料",
    "проект",
    "отчёт",
    "deadline",
    "team",
    "lunch",
    "travel",
    "contract",
    "design",
    "release",
    "numbers",
    "feedback",
    "plan",
];
const PEOPLE: [(&str, &str); 8] = [
    ("Anna Schmidt", "anna.schmidt@example.org"),
    ("Bob Miller", "bob@example.com"),
    ("Chloé Dubois", "chloe.dubois@example.fr"),
    ("田中 太郎", "tanaka@example.jp"),
    ("Иван Петров", "ivan@example.ru"),
    ("Dana O'Neil", "dana.oneil@example.ie"),
    ("Eve Adams", "eve@example.net"),
    ("Frank Müller", "frank.mueller@example.de"),
];
/// Folder names that trip converters: separators, dots, reserved names, scripts, emoji,
/// spaces, a name ending in .sbd, a very long one.
const AWKWARD: [&str; 14] = [
    "Projekte/2024",
    "a.b.c",
    "CON",
    "受信トレイ アーカイブ",
    "Ünïcödé 📁",
    "  spaced  ",
    "Ordner.sbd",
    "Quotes \"and\" <angles>",
    "tab\there",
    "Архив",
    "x?y*z:",
    "trailing dot.",
    "Mix: 日本語 & Ελληνικά",
    "This folder name is very long because some people like to describe the whole project in it",
];

/// FILETIME of Unix seconds.
fn filetime(unix: i64) -> i64 {
    (unix + 11_644_473_600) * 10_000_000
}

/// A 24-byte folder EntryID: flags, the store's record key, the NID.
fn entry_id(record_key: &[u8; 16], nid: u32) -> Vec<u8> {
    let mut e = vec![0u8; 4];
    e.extend_from_slice(record_key);
    e.extend_from_slice(&nid.to_le_bytes());
    e
}

const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE, 0, 0, 0, 0x0C, 0x49, 0x44, 0x41, 0x54,
    0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0, 0, 0x03, 0x01, 0x01, 0, 0x18, 0xDD, 0x8D, 0xB0, 0, 0, 0,
    0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// An attachment to write: file name, properties, size of generated contents to stream.
type Attachment = (String, Vec<(u16, Value)>, Option<u64>);

struct FolderDef {
    nid: u32,
    parent: u32,
    name: String,
    path: Vec<String>,
    class: &'static str,
    children: Vec<usize>,
    rows: Vec<Vec<Option<Value>>>,
    unread: u32,
    subjects: Vec<String>,
}

/// Named properties this generator uses, with the IDs its name-to-id map gives them.
const KEYWORDS: u16 = 0x8000;
const EMAIL1: u16 = 0x8001;
const EMAIL1_NAME: u16 = 0x8002;
const APPT_START: u16 = 0x8003;
const APPT_END: u16 = 0x8004;
const APPT_LOCATION: u16 = 0x8005;
const TASK_STATUS: u16 = 0x8006;
const TASK_PERCENT: u16 = 0x8007;
const TASK_START: u16 = 0x8008;
const TASK_DUE: u16 = 0x8009;
const LOG_START: u16 = 0x800A;
const PSETID_ADDRESS: [u8; 16] = [
    0x04, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
];
const PSETID_APPOINTMENT: [u8; 16] = [
    0x02, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
];
const PSETID_TASK: [u8; 16] = [
    0x03, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
];
const PSETID_LOG: [u8; 16] = [
    0x0A, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
];

/// The name-to-id map (§2.4.7): GUID, entry and string streams.
fn name_map() -> Vec<(u16, Value)> {
    let mut guids = PSETID_ADDRESS.to_vec();
    guids.extend_from_slice(&PSETID_APPOINTMENT);
    guids.extend_from_slice(&PSETID_TASK);
    guids.extend_from_slice(&PSETID_LOG);
    let mut strings = Vec::new();
    let keywords: Vec<u8> = "Keywords"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    strings.extend_from_slice(&(keywords.len() as u32).to_le_bytes());
    strings.extend(keywords);
    let mut entries = Vec::new();
    // (property id or string offset, wGuid, index)
    let e = |entries: &mut Vec<u8>, id: u32, g: u16, idx: u16| {
        entries.extend_from_slice(&id.to_le_bytes());
        entries.extend_from_slice(&g.to_le_bytes());
        entries.extend_from_slice(&idx.to_le_bytes());
    };
    e(&mut entries, 0, (2 << 1) | 1, 0);
    e(&mut entries, 0x8083, 3 << 1, 1);
    e(&mut entries, 0x8080, 3 << 1, 2);
    e(&mut entries, 0x820D, 4 << 1, 3);
    e(&mut entries, 0x820E, 4 << 1, 4);
    e(&mut entries, 0x8208, 4 << 1, 5);
    // PidLidTaskStatus, PidLidPercentComplete, PidLidTaskStartDate, PidLidTaskDueDate
    // (MS-OXOTASK), PidLidLogStart (MS-OXOJRNL).
    e(&mut entries, 0x8101, 5 << 1, 6);
    e(&mut entries, 0x8102, 5 << 1, 7);
    e(&mut entries, 0x8104, 5 << 1, 8);
    e(&mut entries, 0x8105, 5 << 1, 9);
    e(&mut entries, 0x8706, 6 << 1, 10);
    vec![
        (0x0001, Value::I32(251)),
        (0x0002, Value::Bin(guids)),
        (0x0003, Value::Bin(entries)),
        (0x0004, Value::Bin(strings)),
    ]
}

/// Writes a PST following `spec` to `out`.
pub fn generate<W: Write + Seek>(
    out: W,
    spec: &Spec,
    mut progress: impl FnMut(u64, u64),
) -> std::io::Result<Summary> {
    let mut rng = Rng::new(spec.seed);
    let mut ndb = Ndb::new(out, spec.encryption, spec.format)?;
    let mut record_key = [0u8; 16];
    rng.fill(&mut record_key);

    // The folder tree: root → top of the mailbox → standard and generated folders.
    const ROOT: u32 = 0x122;
    let fnid = |i: usize| ((0x800 + i as u32) << 5) | 0x02;
    let top_nid = fnid(0);
    let mut folders: Vec<FolderDef> = Vec::new();
    let add =
        |folders: &mut Vec<FolderDef>, parent: Option<usize>, name: &str, class: &'static str| {
            let i = folders.len();
            let (pnid, mut path) = match parent {
                Some(p) => (folders[p].nid, folders[p].path.clone()),
                None => (ROOT, Vec::new()),
            };
            if parent.is_some() {
                path.push(name.to_string());
            }
            folders.push(FolderDef {
                nid: fnid(i),
                parent: pnid,
                name: name.to_string(),
                path,
                class,
                children: Vec::new(),
                rows: Vec::new(),
                unread: 0,
                subjects: Vec::new(),
            });
            if let Some(p) = parent {
                folders[p].children.push(i);
            }
            i
        };
    let top = add(&mut folders, None, "Top of Personal Folders", "");
    let inbox = add(&mut folders, Some(top), "Inbox", "IPF.Note");
    let sent = add(&mut folders, Some(top), "Sent Items", "IPF.Note");
    let deleted = add(&mut folders, Some(top), "Deleted Items", "IPF.Note");
    let contacts = spec
        .items
        .then(|| add(&mut folders, Some(top), "Contacts", "IPF.Contact"));
    let calendar = spec
        .items
        .then(|| add(&mut folders, Some(top), "Calendar", "IPF.Appointment"));
    let tasks = spec
        .items
        .then(|| add(&mut folders, Some(top), "Tasks", "IPF.Task"));
    let journal = spec
        .items
        .then(|| add(&mut folders, Some(top), "Journal", "IPF.Journal"));
    let notes = spec
        .items
        .then(|| add(&mut folders, Some(top), "Notes", "IPF.StickyNote"));
    let mut mail_folders = vec![inbox, sent, deleted];
    for k in 0..spec.folders {
        // Nest: each new folder goes under a random mail folder not yet at full depth.
        let candidates: Vec<usize> = mail_folders
            .iter()
            .copied()
            .filter(|&f| folders[f].path.len() < spec.depth.max(1))
            .collect();
        let parent = if candidates.is_empty() {
            top
        } else {
            *rng.pick(&candidates)
        };
        let base = AWKWARD[k % AWKWARD.len()];
        let name = if let Some(n) = spec.names.get(k) {
            n.clone()
        } else if k < AWKWARD.len() {
            base.to_string()
        } else {
            format!("{base} {k}")
        };
        let f = add(&mut folders, Some(parent), &name, "IPF.Note");
        mail_folders.push(f);
    }

    if spec.one_folder {
        // Every message into the Inbox: one folder as large as the file (100k rows and more).
        mail_folders.truncate(1);
    }
    let mut summary = Summary::default();
    let base_time = 1_420_070_400i64; // 2015-01-01
    let mut msg_index = 0x10000u32;
    let mut total_rows = 0u64;
    // Fill folders round-robin until the size or message target is reached.
    'fill: loop {
        let mut progressed = false;
        for &f in &mail_folders {
            if ndb.size() >= spec.target_bytes || summary.messages >= spec.max_messages {
                break 'fill;
            }
            if folders[f].rows.len() >= spec.per_folder {
                continue;
            }
            progressed = true;
            msg_index += 1;
            let nid = (msg_index << 5) | 0x04;
            let when = base_time + rng.below(10 * 365 * 86_400) as i64;
            let mark = ndb.checkpoint();
            let delete = summary.messages as usize >= spec.wrapped.len()
                && summary.deleted.len() < spec.deleted;
            let row = write_message(
                &mut ndb,
                &mut rng,
                nid,
                folders[f].nid,
                when,
                f == sent,
                spec,
                &mut summary,
            )?;
            if delete {
                ndb.delete_since(mark);
                // (Its attachments stay counted in `summary.attachments`.)
                summary.deleted.push((folders[f].path.clone(), row.1));
                continue;
            }
            if let Some(Value::I32(flags)) = &row.0[5]
                && flags & 1 == 0
            {
                folders[f].unread += 1;
            }
            folders[f].subjects.push(row.1);
            folders[f].rows.push(row.0);
            summary.messages += 1;
            total_rows += 1;
            progress(ndb.size(), total_rows);
        }
        if !progressed {
            break;
        }
    }
    if let Some(c) = contacts {
        for i in 0..(20u32.min(spec.per_folder as u32)) {
            msg_index += 1;
            let nid = (msg_index << 5) | 0x04;
            let mark = ndb.checkpoint();
            let (row, subject) = write_contact(&mut ndb, &mut rng, nid, folders[c].nid, i)?;
            if (i as usize) < spec.deleted_cards {
                ndb.delete_since(mark);
                summary
                    .deleted_cards
                    .push((folders[c].path.clone(), subject));
                continue;
            }
            folders[c].rows.push(row);
            folders[c].subjects.push(subject);
            summary.contacts += 1;
        }
    }
    if let Some(c) = calendar {
        for i in 0..(20u32.min(spec.per_folder as u32)) {
            msg_index += 1;
            let nid = (msg_index << 5) | 0x04;
            let mark = ndb.checkpoint();
            let (row, subject) =
                write_appointment(&mut ndb, &mut rng, nid, folders[c].nid, i, base_time)?;
            if (i as usize) < spec.deleted_cards {
                ndb.delete_since(mark);
                summary
                    .deleted_cards
                    .push((folders[c].path.clone(), subject));
                continue;
            }
            folders[c].rows.push(row);
            folders[c].subjects.push(subject);
            summary.appointments += 1;
        }
    }
    // Tasks, journal entries and sticky notes: five of each (no real file has them).
    for (folder, kind) in [(tasks, 0), (journal, 1), (notes, 2)] {
        let Some(c) = folder else { continue };
        for i in 0..5u32.min(spec.per_folder as u32) {
            msg_index += 1;
            let nid = (msg_index << 5) | 0x04;
            let parent = folders[c].nid;
            let (row, subject) = match kind {
                0 => {
                    let status = (i % 3) as i32;
                    let percent = [0, 50, 100][i as usize % 3];
                    let r = write_task(
                        &mut ndb, &mut rng, nid, parent, i, base_time, status, percent,
                    )?;
                    summary.tasks.push((r.1.clone(), status, percent));
                    r
                }
                1 => {
                    summary.journals += 1;
                    write_journal(&mut ndb, &mut rng, nid, parent, i, base_time)?
                }
                _ => {
                    summary.notes += 1;
                    write_note(&mut ndb, &mut rng, nid, parent, i, base_time)?
                }
            };
            folders[c].rows.push(row);
            folders[c].subjects.push(subject);
        }
    }

    // Folders: their property contexts and tables.
    for i in 0..folders.len() {
        let f = &folders[i];
        let mut props = vec![
            (0x3001, Value::Str(f.name.clone())),
            (0x3602, Value::I32(f.rows.len() as i32)),
            (0x3603, Value::I32(f.unread as i32)),
            (0x360A, Value::Bool(!f.children.is_empty())),
        ];
        if !f.class.is_empty() {
            props.push((0x3613, Value::Str(f.class.to_string())));
        }
        write_node(&mut ndb, f.nid, f.parent, &mut props)?;
        let hier_rows: Vec<Vec<Option<Value>>> = f
            .children
            .iter()
            .map(|&c| {
                let c = &folders[c];
                vec![
                    Some(Value::I32(c.nid as i32)),
                    Some(Value::Str(c.name.clone())),
                    Some(Value::I32(c.rows.len() as i32)),
                    Some(Value::I32(c.unread as i32)),
                    Some(Value::Bool(!c.children.is_empty())),
                ]
            })
            .collect();
        write_table(
            &mut ndb,
            (f.nid & !0x1F) | 0x0D,
            &HIERARCHY_COLUMNS,
            &hier_rows,
        )?;
        write_table(&mut ndb, (f.nid & !0x1F) | 0x0E, &CONTENTS_COLUMNS, &f.rows)?;
        write_table(&mut ndb, (f.nid & !0x1F) | 0x0F, &CONTENTS_COLUMNS, &[])?;
        if i != top && !f.path.is_empty() {
            let path = f.path.clone();
            summary.folders.push((path.clone(), f.rows.len() as u32));
            summary.subjects.push((path, f.subjects.clone()));
        }
    }
    // The root folder and its tables.
    let mut props = vec![
        (0x3001, Value::Str(String::new())),
        (0x3602, Value::I32(0)),
        (0x3603, Value::I32(0)),
        (0x360A, Value::Bool(true)),
    ];
    write_node(&mut ndb, ROOT, ROOT, &mut props)?;
    let top_row = vec![vec![
        Some(Value::I32(top_nid as i32)),
        Some(Value::Str(folders[top].name.clone())),
        Some(Value::I32(0)),
        Some(Value::I32(0)),
        Some(Value::Bool(true)),
    ]];
    write_table(&mut ndb, 0x12D, &HIERARCHY_COLUMNS, &top_row)?;
    write_table(&mut ndb, 0x12E, &CONTENTS_COLUMNS, &[])?;
    write_table(&mut ndb, 0x12F, &CONTENTS_COLUMNS, &[])?;
    // The store and the name-to-id map.
    let mut props = vec![
        (0x0FF9, Value::Bin(record_key.to_vec())),
        (
            0x3001,
            Value::Str(format!("Generated mailbox {}", spec.seed)),
        ),
        (0x35DF, Value::I32(0x89)),
        (0x35E0, Value::Bin(entry_id(&record_key, top_nid))),
        (
            0x35E3,
            Value::Bin(entry_id(&record_key, folders[deleted].nid)),
        ),
        (0x35E4, Value::Bin(entry_id(&record_key, folders[sent].nid))),
    ];
    if let Some(crc) = spec.password_crc {
        props.push((0x67FF, Value::I32(crc as i32)));
    }
    write_node(&mut ndb, 0x21, 0, &mut props)?;
    write_node(&mut ndb, 0x61, 0, &mut name_map())?;

    summary.bytes = ndb.finish(|_| {})?;
    if spec.format == Format::Ansi {
        ansi_summary(&mut summary);
    }
    Ok(summary)
}

/// The summary of an ANSI file: its text as the file holds it (see [`ltp::ansi`]).
fn ansi_summary(s: &mut Summary) {
    let path = |p: &mut Vec<String>| p.iter_mut().for_each(|c| *c = ltp::ansi_text(c));
    s.folders.iter_mut().for_each(|(p, _)| path(p));
    for (p, subjects) in &mut s.subjects {
        path(p);
        subjects.iter_mut().for_each(|t| *t = ltp::ansi_text(t));
    }
    s.tasks.iter_mut().for_each(|t| t.0 = ltp::ansi_text(&t.0));
    for (p, t) in &mut s.deleted {
        path(p);
        *t = ltp::ansi_text(t);
    }
}

const HIERARCHY_COLUMNS: [Column; 5] = [
    Column {
        id: 0x67F2,
        ptype: 0x0003,
    },
    Column {
        id: 0x3001,
        ptype: 0x001F,
    },
    Column {
        id: 0x3602,
        ptype: 0x0003,
    },
    Column {
        id: 0x3603,
        ptype: 0x0003,
    },
    Column {
        id: 0x360A,
        ptype: 0x000B,
    },
];

/// Contents-table columns: row id, class, subject, sender, recipients, delivery time,
/// flags, size.
const CONTENTS_COLUMNS: [Column; 8] = [
    Column {
        id: 0x67F2,
        ptype: 0x0003,
    },
    Column {
        id: 0x001A,
        ptype: 0x001F,
    },
    Column {
        id: 0x0037,
        ptype: 0x001F,
    },
    Column {
        id: 0x0042,
        ptype: 0x001F,
    },
    Column {
        id: 0x0E04,
        ptype: 0x001F,
    },
    Column {
        id: 0x0E07,
        ptype: 0x0003,
    },
    Column {
        id: 0x0E08,
        ptype: 0x0003,
    },
    Column {
        id: 0x0E06,
        ptype: 0x0040,
    },
];

/// Writes an object (its property context and sub-nodes) as node `nid` under `parent`.
fn write_node<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    nid: u32,
    parent: u32,
    props: &mut [(u16, Value)],
) -> std::io::Result<()> {
    let mut subs = SubAlloc::new();
    let bid_data = pc(ndb, props, &mut subs)?;
    let bid_sub = ndb.subnodes(subs.subs)?;
    ndb.node(Node {
        nid,
        bid_data,
        bid_sub,
        parent,
    });
    Ok(())
}

fn write_table<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    nid: u32,
    columns: &[Column],
    rows: &[Vec<Option<Value>>],
) -> std::io::Result<()> {
    let mut subs = SubAlloc::new();
    let bid = tc(ndb, columns, rows, &mut subs)?;
    let bid_sub = ndb.subnodes(subs.subs)?;
    ndb.node(Node {
        nid,
        bid_data: bid,
        bid_sub,
        parent: 0,
    });
    Ok(())
}

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| *rng.pick(&WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A contents-table row for a message.
#[allow(clippy::too_many_arguments)]
fn row(
    nid: u32,
    class: &str,
    subject: &str,
    from: &str,
    to: &str,
    flags: i32,
    size: i32,
    when: i64,
) -> Vec<Option<Value>> {
    // An empty string is an absent cell (as Outlook writes it).
    let text = |s: &str| (!s.is_empty()).then(|| Value::Str(s.into()));
    vec![
        Some(Value::I32(nid as i32)),
        text(class),
        text(subject),
        text(from),
        text(to),
        Some(Value::I32(flags)),
        Some(Value::I32(size)),
        Some(Value::Time(filetime(when))),
    ]
}

/// A table of recipients: (type, name, address).
fn recipient_table<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    recips: &[(i32, &str, &str)],
) -> std::io::Result<Sub> {
    let cols = [
        Column {
            id: 0x67F2,
            ptype: 0x0003,
        },
        Column {
            id: 0x0C15,
            ptype: 0x0003,
        },
        Column {
            id: 0x3001,
            ptype: 0x001F,
        },
        Column {
            id: 0x3002,
            ptype: 0x001F,
        },
        Column {
            id: 0x3003,
            ptype: 0x001F,
        },
        Column {
            id: 0x39FE,
            ptype: 0x001F,
        },
    ];
    let rows: Vec<Vec<Option<Value>>> = recips
        .iter()
        .enumerate()
        .map(|(i, (kind, name, addr))| {
            vec![
                Some(Value::I32(i as i32)),
                Some(Value::I32(*kind)),
                Some(Value::Str(name.to_string())),
                Some(Value::Str("SMTP".into())),
                Some(Value::Str(addr.to_string())),
                Some(Value::Str(addr.to_string())),
            ]
        })
        .collect();
    let mut subs = SubAlloc::new();
    let bid = tc(ndb, &cols, &rows, &mut subs)?;
    let bid_sub = ndb.subnodes(subs.subs)?;
    Ok(Sub {
        nid: 0x692,
        bid_data: bid,
        bid_sub,
    })
}

/// One mail message with its recipients and attachments; returns its contents-table row and
/// subject.
#[allow(clippy::too_many_arguments)]
fn write_message<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    rng: &mut Rng,
    nid: u32,
    parent: u32,
    when: i64,
    outgoing: bool,
    spec: &Spec,
    summary: &mut Summary,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let me = PEOPLE[0];
    let other = *rng.pick(&PEOPLE[1..]);
    let (from, to) = if outgoing { (me, other) } else { (other, me) };
    let n = 2 + rng.below(6) as usize;
    let subject = format!("{} #{:x}", words(rng, n), nid >> 5);
    let wrapped = spec.wrapped.get(summary.messages as usize);
    let subject = wrapped.map_or(subject, |w| w.subject.clone());
    let class = wrapped.map_or("IPM.Note".to_string(), |w| w.class.clone());
    let mut paragraphs: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(12) {
        let n = 20 + rng.below(120) as usize;
        paragraphs.push(words(rng, n));
    }
    let text = paragraphs.join("\r\n\r\n");
    let message_id = format!("<{:016x}.{:x}@gen.example>", rng.next_u64(), nid);
    let mut flags = 0i32;
    if rng.chance(70) {
        flags |= 0x01;
    }
    let mut subs = SubAlloc::new();
    let mut props: Vec<(u16, Value)> = vec![
        (0x001A, Value::Str(class)),
        (0x0037, Value::Str(subject.clone())),
        (0x0039, Value::Time(filetime(when - 60))),
        (0x0E06, Value::Time(filetime(when))),
        (0x3007, Value::Time(filetime(when))),
        (0x3008, Value::Time(filetime(when))),
        (0x0C1A, Value::Str(from.0.into())),
        (0x0C1E, Value::Str("SMTP".into())),
        (0x0C1F, Value::Str(from.1.into())),
        (0x5D01, Value::Str(from.1.into())),
        (0x0042, Value::Str(from.0.into())),
        (0x0064, Value::Str("SMTP".into())),
        (0x0065, Value::Str(from.1.into())),
        (0x5D02, Value::Str(from.1.into())),
        (0x0E04, Value::Str(to.0.into())),
        (0x1035, Value::Str(message_id.clone())),
        (0x3FDE, Value::I32(65001)),
    ];
    let kind = rng.below(10);
    // 0-6: text + HTML, 7-8: text only, 9: RTF only (stored uncompressed, "MELA").
    if kind <= 8 {
        props.push((0x1000, Value::Str(text.clone())));
    }
    let inline_image = kind <= 6 && rng.chance(15);
    if kind <= 6 {
        let mut html = String::from("<html><head><meta charset=\"utf-8\"></head><body>");
        for p in &paragraphs {
            html.push_str(&format!("<p>{p}</p>"));
        }
        if inline_image {
            html.push_str("<p><img src=\"cid:logo@gen.example\" alt=\"logo\"></p>");
        }
        html.push_str("</body></html>");
        props.push((0x1013, Value::Bin(html.into_bytes())));
    }
    if kind == 9 {
        summary.rtf_only += 1;
        let rtf = format!(
            "{{\\rtf1\\ansi\\deff0{{\\fonttbl{{\\f0 Arial;}}}}\\f0 {}}}",
            text.replace("\r\n", "\\par\n")
        );
        let raw = rtf.as_bytes();
        let mut v = ((raw.len() + 12) as u32).to_le_bytes().to_vec();
        v.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        v.extend_from_slice(b"MELA");
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(raw);
        props.push((0x1009, Value::Bin(v)));
    }
    if !outgoing && rng.chance(80) {
        let headers = format!(
            "Received: from mx.gen.example (mx.gen.example [192.0.2.1])\r\n\tby mail.example.org; {}\r\nMessage-ID: {message_id}\r\nFrom: {} <{}>\r\nTo: {} <{}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n",
            when, from.0, from.1, to.0, to.1
        );
        props.push((0x007D, Value::Str(headers)));
    }
    if rng.chance(10) {
        props.push((
            KEYWORDS,
            Value::MvStr(vec!["Projekt X".into(), "Rot".into()]),
        ));
    }
    if rng.chance(5) {
        props.push((0x1090, Value::I32(2)));
    }
    if rng.chance(10) {
        props.push((0x1081, Value::I32(102)));
    } else if rng.chance(5) {
        props.push((0x1081, Value::I32(104)));
    }
    let mut size = text.len() as i32;
    let mut sub_list = vec![recipient_table(
        ndb,
        &[(1, to.0, to.1), (2, PEOPLE[6].0, PEOPLE[6].1)],
    )?];
    // Attachments: inline image, files of varied sizes, sometimes an embedded message.
    // (file name, properties, size of generated contents streamed into blocks)
    let mut atts: Vec<Attachment> = Vec::new();
    if inline_image {
        atts.push((
            "logo.png".into(),
            vec![
                (0x3712, Value::Str("logo@gen.example".into())),
                (0x370E, Value::Str("image/png".into())),
                (0x3701, Value::Bin(TINY_PNG.to_vec())),
            ],
            None,
        ));
    }
    if let Some(len) = spec.first_attachment.filter(|_| summary.messages == 0) {
        atts.push(("large.bin".into(), Vec::new(), Some(len)));
    }
    if rng.chance(30) {
        for i in 0..1 + rng.below(3) {
            // Mostly small; three in a thousand up to the maximum (a 10 GB file then holds
            // about 100k messages, as real ones of that size do).
            let len = if rng.below(1000) < 3 {
                rng.below(spec.max_attachment.max(1))
            } else {
                1 + rng.below(200_000)
            };
            let name = format!(
                "{} {}.{}",
                words(rng, 1),
                i,
                rng.pick(&["pdf", "docx", "xlsx", "zip", "jpg"])
            );
            atts.push((name, Vec::new(), Some(len)));
        }
    }
    if let Some(w) = wrapped {
        atts = vec![(
            w.file_name.clone(),
            vec![
                (0x370E, Value::Str(w.mime_tag.clone())),
                (0x3701, Value::Bin(w.data.clone())),
            ],
            None,
        )];
    }
    let embedded = wrapped.is_none() && rng.chance(3);
    if !atts.is_empty() || embedded {
        flags |= 0x10;
        props.push((0x0E1B, Value::Bool(true)));
    }
    let mut att_rows = Vec::new();
    for (i, (name, mut aprops, stream)) in atts.into_iter().enumerate() {
        let anid = ((0x400 + i as u32) << 5) | 0x05;
        let mut asubs = SubAlloc::new();
        let mut len = 0u64;
        let mut binary_subnode = None;
        if let Some(l) = stream {
            // Streamed straight into blocks: the value is a sub-node of the attachment.
            let bid = if name == "large.bin" && summary.messages == 0 {
                let mut sha = sha1_smol::Sha1::new();
                let bid = ndb.data_with(l, |b| {
                    rng.fill(b);
                    sha.update(b);
                })?;
                summary.first_attachment_sha1 = Some(sha.digest().to_string());
                bid
            } else {
                ndb.data_with(l, |b| rng.fill(b))?
            };
            let vnid = asubs.nid();
            asubs.subs.push(Sub {
                nid: vnid,
                bid_data: bid,
                bid_sub: 0,
            });
            binary_subnode = Some(vnid);
            len = l;
        } else if let Some((_, Value::Bin(b))) = aprops.iter().find(|p| p.0 == 0x3701) {
            len = b.len() as u64;
        }
        aprops.push((0x3705, Value::I32(1)));
        aprops.push((0x3707, Value::Str(name.clone())));
        aprops.push((0x3704, Value::Str(name.clone())));
        aprops.push((0x0E20, Value::I32(len.min(i32::MAX as u64) as i32)));
        aprops.push((0x370B, Value::I32(-1)));
        let mut fixed = aprops;
        let bid = ltp_pc_with_binary_subnode(ndb, &mut fixed, &mut asubs, binary_subnode)?;
        let bid_sub = ndb.subnodes(asubs.subs)?;
        let row = (anid, len.min(i32::MAX as u64) as i32, name, 1);
        attachment(&mut sub_list, &mut att_rows, bid, bid_sub, row);
        size = size.saturating_add(len.min(i32::MAX as u64) as i32);
        summary.attachments += 1;
    }
    if embedded {
        let anid = ((0x400 + att_rows.len() as u32) << 5) | 0x05;
        let mut asubs = SubAlloc::new();
        // The embedded message: its own property context, a sub-node of the attachment.
        let inner_subject = format!("FW: {}", words(rng, 3));
        let mut inner = vec![
            (0x001A, Value::Str("IPM.Note".into())),
            (0x0037, Value::Str(inner_subject.clone())),
            (0x0C1A, Value::Str(PEOPLE[3].0.into())),
            (0x0C1F, Value::Str(PEOPLE[3].1.into())),
            (0x0C1E, Value::Str("SMTP".into())),
            (0x1000, Value::Str(words(rng, 40))),
            (0x0E06, Value::Time(filetime(when - 3600))),
        ];
        let mut isubs = SubAlloc::new();
        let ibid = pc(ndb, &mut inner, &mut isubs)?;
        let ibid_sub = ndb.subnodes(isubs.subs)?;
        let onid = asubs.nid();
        asubs.subs.push(Sub {
            nid: onid,
            bid_data: ibid,
            bid_sub: ibid_sub,
        });
        let mut aprops = vec![
            (0x3705, Value::I32(5)),
            (0x3001, Value::Str(inner_subject.clone())),
            (0x3701, Value::Object(onid, 1000)),
            (0x0E20, Value::I32(1000)),
            (0x370B, Value::I32(-1)),
        ];
        let bid = pc(ndb, &mut aprops, &mut asubs)?;
        let bid_sub = ndb.subnodes(asubs.subs)?;
        attachment(
            &mut sub_list,
            &mut att_rows,
            bid,
            bid_sub,
            (anid, 1000, inner_subject, 5),
        );
        summary.embedded += 1;
    }
    if !att_rows.is_empty() {
        let cols = [
            Column {
                id: 0x67F2,
                ptype: 0x0003,
            },
            Column {
                id: 0x0E20,
                ptype: 0x0003,
            },
            Column {
                id: 0x3704,
                ptype: 0x001F,
            },
            Column {
                id: 0x3705,
                ptype: 0x0003,
            },
        ];
        let mut tsubs = SubAlloc::new();
        let bid = tc(ndb, &cols, &att_rows, &mut tsubs)?;
        let bid_sub = ndb.subnodes(tsubs.subs)?;
        sub_list.push(Sub {
            nid: 0x671,
            bid_data: bid,
            bid_sub,
        });
    }
    props.push((0x0E07, Value::I32(flags)));
    props.push((0x0E08, Value::I32(size)));
    let bid = pc(ndb, &mut props, &mut subs)?;
    sub_list.extend(subs.subs);
    let bid_sub = ndb.subnodes(sub_list)?;
    ndb.node(Node {
        nid,
        bid_data: bid,
        bid_sub,
        parent,
    });
    Ok((
        row(nid, "IPM.Note", &subject, from.0, to.0, flags, size, when),
        subject,
    ))
}

/// A property context where property 0x3701 is a binary held in sub-node `binary`.
fn ltp_pc_with_binary_subnode<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    props: &mut [(u16, Value)],
    subs: &mut SubAlloc,
    binary: Option<u32>,
) -> std::io::Result<u64> {
    match binary {
        None => pc(ndb, props, subs),
        Some(vnid) => ltp::pc_with_raw(ndb, props, subs, &[(0x3701, 0x0102, vnid)]),
    }
}

fn write_contact<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    rng: &mut Rng,
    nid: u32,
    parent: u32,
    i: u32,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let (name, addr) = *rng.pick(&PEOPLE);
    let display = format!("{name} {i}");
    let props = vec![
        (0x3001, Value::Str(display.clone())),
        (
            0x3A06,
            Value::Str(name.split(' ').next().unwrap_or(name).into()),
        ),
        (
            0x3A11,
            Value::Str(format!("{} {i}", name.split(' ').nth(1).unwrap_or(""))),
        ),
        (0x3A16, Value::Str("Example GmbH".into())),
        (
            0x3A08,
            Value::Str(format!("+49 30 {:07}", rng.below(10_000_000))),
        ),
        (EMAIL1, Value::Str(addr.into())),
        (EMAIL1_NAME, Value::Str(format!("{display} ({addr})"))),
    ];
    let at = (nid, parent, 1_420_070_400);
    write_item(ndb, at, "IPM.Contact", display, props)
}

fn write_appointment<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    rng: &mut Rng,
    nid: u32,
    parent: u32,
    i: u32,
    base: i64,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let start = base + (rng.below(3 * 365) as i64) * 86_400 + 9 * 3600;
    let subject = format!("{} {i}", words(rng, 2));
    let props = vec![
        (APPT_START, Value::Time(filetime(start))),
        (APPT_END, Value::Time(filetime(start + 3600))),
        (APPT_LOCATION, Value::Str(format!("Room {}", rng.below(20)))),
    ];
    write_item(ndb, (nid, parent, start), "IPM.Appointment", subject, props)
}

/// Writes an item of `class` with its subject and `props` (read) as node `at.0` under
/// folder `at.1`; returns its contents-table row (dated `at.2`) and its subject.
fn write_item<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    (nid, parent, when): (u32, u32, i64),
    class: &str,
    subject: String,
    props: Vec<(u16, Value)>,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let mut all = vec![
        (0x001A, Value::Str(class.into())),
        (0x0037, Value::Str(subject.clone())),
    ];
    all.extend(props);
    all.push((0x0E07, Value::I32(1)));
    write_node(ndb, nid, parent, &mut all)?;
    Ok((row(nid, class, &subject, "", "", 1, 500, when), subject))
}

/// A task (MS-OXOTASK): status 0 not started, 1 in progress, 2 complete; its percent.
#[allow(clippy::too_many_arguments)]
fn write_task<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    rng: &mut Rng,
    nid: u32,
    parent: u32,
    i: u32,
    base: i64,
    status: i32,
    percent: u32,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let start = base + (rng.below(365) as i64) * 86_400;
    let subject = format!("Task {} {i}", words(rng, 2));
    let props = vec![
        (TASK_STATUS, Value::I32(status)),
        (TASK_PERCENT, Value::F64(f64::from(percent) / 100.0)),
        (TASK_START, Value::Time(filetime(start))),
        (TASK_DUE, Value::Time(filetime(start + 7 * 86_400))),
    ];
    write_item(ndb, (nid, parent, start), "IPM.Task", subject, props)
}

/// A journal entry (MS-OXOJRNL).
fn write_journal<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    rng: &mut Rng,
    nid: u32,
    parent: u32,
    i: u32,
    base: i64,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let start = base + (rng.below(365) as i64) * 86_400 + 10 * 3600;
    let subject = format!("Journal {} {i}", words(rng, 2));
    let props = vec![
        (LOG_START, Value::Time(filetime(start))),
        (0x1000, Value::Str(format!("{} {}", words(rng, 6), i))),
    ];
    write_item(ndb, (nid, parent, start), "IPM.Activity", subject, props)
}

/// A sticky note: its subject is its first line.
fn write_note<W: Write + Seek>(
    ndb: &mut Ndb<W>,
    rng: &mut Rng,
    nid: u32,
    parent: u32,
    i: u32,
    base: i64,
) -> std::io::Result<(Vec<Option<Value>>, String)> {
    let subject = format!("Note {} {i}", words(rng, 2));
    let body = format!("{subject}\r\n{}", words(rng, 8));
    let props = vec![(0x1000, Value::Str(body))];
    write_item(ndb, (nid, parent, base), "IPM.StickyNote", subject, props)
}

/// Adds an attachment object (sub-node `nid` with its property context `bid` and sub-nodes
/// `bid_sub`) and its attachment-table row: (nid, size, name, PidTagAttachMethod).
fn attachment(
    subs: &mut Vec<Sub>,
    rows: &mut Vec<Vec<Option<Value>>>,
    bid: u64,
    bid_sub: u64,
    (nid, size, name, method): (u32, i32, String, i32),
) {
    subs.push(Sub {
        nid,
        bid_data: bid,
        bid_sub,
    });
    rows.push(vec![
        Some(Value::I32(nid as i32)),
        Some(Value::I32(size)),
        Some(Value::Str(name)),
        Some(Value::I32(method)),
    ]);
}
