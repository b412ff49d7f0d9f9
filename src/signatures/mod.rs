//! The user's e-mail signatures, so they can be set up again in the new mail program: found
//! in the sent mail of a PST ([`from_pst`], grouped by sending account and ranked by use) or
//! read from an Outlook signatures folder ([`from_folder`]: `<name>.htm` with its
//! `<name>_files` images, `<name>.txt`); written as HTML with the images inlined as data:
//! URIs, plain text, and the preference lines a Thunderbird profile needs ([`write`]).
//! Also the accounts that sent mail, for the report.

pub mod detect;

use crate::error::Result;
use crate::pst::Pst;
use crate::pst::messaging::Nid;
use crate::pst::messaging::Rows;
use crate::pst::messaging::{best_address, props};
use crate::report::Account;
use crate::sink::TreeSink;
use crate::sink::names::NameSet;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One signature.
#[derive(Debug, Clone, Serialize)]
pub struct Signature {
    /// The sending address it was used with (empty for a signatures folder).
    pub account: String,
    /// "Signature 1", … by use; the file name for a signatures folder.
    pub name: String,
    /// A whole HTML document, images inlined; `None` for a plain-text signature.
    pub html: Option<String>,
    pub text: String,
    /// Sent messages that carry it.
    pub uses: u32,
}

/// Sent messages read at most (the newest are read first when the folder is larger).
const MAX_SENT: usize = 5000;

/// Sent Items: the store's pointer, else folders named so (in Outlook's languages).
fn sent_folders(pst: &Pst) -> Result<Vec<Nid>> {
    let tree = pst.folder_tree()?;
    let by_pointer = pst.store_folder(props::IPM_SENTMAIL_ENTRYID);
    let mut out: Vec<Nid> = Vec::new();
    for f in tree.flatten() {
        let named = crate::pst::messaging::well_known::special_by_name(&f.name)
            == Some(crate::pst::messaging::well_known::Special::Sent);
        if (Some(f.nid) == by_pointer || (named && f.ipm)) && f.items > 0 && !out.contains(&f.nid) {
            out.push(f.nid);
        }
    }
    Ok(out)
}

struct Found {
    account: String,
    html: Option<String>,
    text: String,
    uses: u32,
    /// The newest message that carries it (its inline images are used).
    /// A message that carries it (none for a signature found as common text).
    example: Option<Nid>,
    example_time: i64,
}

/// Signatures and sending accounts from a PST's sent mail.
pub fn from_pst(pst: &Pst) -> Result<(Vec<Signature>, Vec<Account>)> {
    let mut scan = Scan::default();
    for nid in sent_folders(pst)? {
        let folder = pst.folder(nid)?;
        let rows = Rows::of(pst, folder).page_size(256);
        let start = rows.total().saturating_sub(MAX_SENT);
        // Unreadable rows are the conversion's to report (its mail pass walks the same
        // folder); signatures are found in the rest.
        for row in rows.range(start, MAX_SENT) {
            if crate::pst::messaging::well_known::is_mail_class(&row.class) {
                scan.message(pst, &row);
            }
        }
    }
    Ok(scan.finish(pst))
}

/// What the sent mail shows so far.
#[derive(Default)]
struct Scan {
    accounts: HashMap<String, Account>,
    found: Vec<Found>,
    /// Plain-text bodies without a marked signature, per account, for the common-suffix rule.
    plain: HashMap<String, Vec<Vec<String>>>,
}

/// The address a sent message went out from (lower case) and the name shown with it.
fn sender_of(pst: &Pst, msg: &crate::pst::Message) -> (String, String) {
    let s = |id: u16| msg.string(pst, id).unwrap_or_default();
    let mut address = best_address(
        &s(props::SENT_REPRESENTING_SMTP),
        &s(props::SENT_REPRESENTING_ADDRTYPE),
        &s(props::SENT_REPRESENTING_EMAIL),
    );
    if address.is_empty() {
        address = best_address(
            &s(props::SENDER_SMTP),
            &s(props::SENDER_ADDRTYPE),
            &s(props::SENDER_EMAIL),
        );
    }
    (
        address.to_ascii_lowercase(),
        s(props::SENT_REPRESENTING_NAME),
    )
}

impl Scan {
    /// One sent message: its account counted, its signature found (marked in HTML, or after
    /// a `-- ` line), or its own text kept for the common-suffix rule.
    fn message(&mut self, pst: &Pst, row: &crate::pst::messaging::MessageSummary) {
        let Ok(msg) = pst.message(row.nid) else {
            return;
        };
        let (address, name) = sender_of(pst, &msg);
        let acct = self
            .accounts
            .entry(address.clone())
            .or_insert_with(|| Account {
                address: address.clone(),
                name,
                sent: 0,
            });
        acct.sent += 1;
        let time = row.delivery_time.unwrap_or(0);
        let body = crate::mime::body_of(pst, &msg);
        if let Some(frag) = body.html.as_deref().and_then(detect::html_signature) {
            let text = crate::mime::body::text_of(&frag);
            match self.find(&address, &text) {
                Some(f) => {
                    f.uses += 1;
                    if time >= f.example_time {
                        f.example = Some(row.nid);
                        f.example_time = time;
                        f.html = Some(frag);
                    }
                }
                None => self.found.push(Found {
                    account: address,
                    html: Some(frag),
                    text,
                    uses: 1,
                    example: Some(row.nid),
                    example_time: time,
                }),
            }
            return;
        }
        let text = body
            .text
            .or_else(|| body.html.as_deref().map(crate::mime::body::text_of))
            .unwrap_or_default();
        let own = detect::own_part(&text);
        match detect::delimited(&own) {
            Some(sig) => match self.find(&address, &sig) {
                Some(f) => f.uses += 1,
                None => self.found.push(Found {
                    account: address,
                    html: None,
                    text: sig,
                    uses: 1,
                    example: Some(row.nid),
                    example_time: time,
                }),
            },
            None => self.plain.entry(address).or_default().push(own),
        }
    }

    fn find(&mut self, account: &str, text: &str) -> Option<&mut Found> {
        self.found
            .iter_mut()
            .find(|f| f.account == account && f.text == text)
    }

    /// The signatures (with the common endings of plain-text mail), numbered per account,
    /// most used first; the accounts, most used first.
    fn finish(mut self, pst: &Pst) -> (Vec<Signature>, Vec<Account>) {
        for (account, msgs) in std::mem::take(&mut self.plain) {
            let min = (msgs.len() * 3 / 10).max(2);
            if let Some((text, uses)) = detect::common_suffix(&msgs, min)
                && self.find(&account, &text).is_none()
            {
                self.found.push(Found {
                    account,
                    html: None,
                    text,
                    uses: uses as u32,
                    example: None,
                    example_time: 0,
                });
            }
        }
        let mut found = self.found;
        found.sort_by(|a, b| {
            a.account
                .cmp(&b.account)
                .then(b.uses.cmp(&a.uses))
                .then(a.text.cmp(&b.text))
        });
        let mut out = Vec::new();
        let mut n: HashMap<String, u32> = HashMap::new();
        for f in found {
            let i = n.entry(f.account.clone()).or_default();
            *i += 1;
            let html = f
                .html
                .map(|frag| document(&inline_cid_images(pst, f.example, &frag)));
            out.push(Signature {
                name: format!("Signature {i}"),
                account: f.account,
                html,
                text: f.text,
                uses: f.uses,
            });
        }
        let mut accounts: Vec<Account> = self
            .accounts
            .into_values()
            .filter(|a| !a.address.is_empty())
            .collect();
        accounts.sort_by(|a, b| b.sent.cmp(&a.sent).then(a.address.cmp(&b.address)));
        (out, accounts)
    }
}

/// A signature fragment as a standalone HTML document.
fn document(fragment: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>p.MsoNormal,li.MsoNormal,div.MsoNormal{{margin:0;font-size:11pt;font-family:Calibri,sans-serif}}</style></head>\n<body>\n{fragment}\n</body></html>\n"
    )
}

/// Replaces `cid:` references with the message's inline images as data: URIs.
fn inline_cid_images(pst: &Pst, nid: Option<Nid>, frag: &str) -> String {
    let Some(nid) = nid.filter(|_| frag.to_ascii_lowercase().contains("cid:")) else {
        return frag.to_string();
    };
    let Ok(msg) = pst.message(nid) else {
        return frag.to_string();
    };
    // A signature's images are small: a message far larger is not worth reading whole.
    let Ok(bytes) = crate::mime::convert(pst, &msg).and_then(|m| m.bytes.to_vec(pst, 64 << 20))
    else {
        return frag.to_string();
    };
    let Ok(view) = crate::preview::preview(&bytes) else {
        return frag.to_string();
    };
    let mut out = frag.to_string();
    for a in view.attachments.iter() {
        let Some(cid) = &a.content_id else { continue };
        if let Ok(bytes) = crate::preview::attachment(&bytes, a.index) {
            out = out.replace(
                &format!("cid:{cid}"),
                &crate::util::data_uri(&a.mime_type, &bytes),
            );
        }
    }
    out
}

/// Decodes a signature file: UTF-16 with a BOM, UTF-8, else the charset its HTML declares,
/// else Windows-1252 (what Outlook writes).
fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return crate::pst::ltp::prop::utf16le(rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    if let Some(at) = head.find("charset=") {
        let name: String = head[at + 8..]
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if let Some(enc) = encoding_rs::Encoding::for_label(name.as_bytes()) {
            return enc.decode(bytes).0.into_owned();
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => crate::codepage::decode(bytes, 1252),
    }
}

fn mime_of(path: &str) -> &'static str {
    match path
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "bmp" => "image/bmp",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

/// Inlines the images an Outlook signature file refers to (`src="Name_files/image001.png"`,
/// the folder's suffix localized) as data: URIs; references outside `dir` are left alone.
fn inline_files(html: &str, files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.to_ascii_lowercase().find("src=") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        let body = if quote.is_some() { &after[1..] } else { after };
        let end = body
            .find(|c: char| {
                Some(c) == quote || (quote.is_none() && (c.is_whitespace() || c == '>'))
            })
            .unwrap_or(body.len());
        let target = &body[..end];
        let decoded = target.replace("%20", " ").replace('\\', "/");
        let local = !decoded.contains(':')
            && !decoded.starts_with('/')
            && !decoded.split('/').any(|c| c == "..");
        // Outlook writes the folder name as typed; compare case-insensitively, as Windows does.
        let file = local
            .then(|| {
                let want = decoded.to_lowercase();
                files
                    .iter()
                    .find(|(k, _)| k.to_lowercase() == want)
                    .map(|(_, v)| v.clone())
            })
            .flatten();
        if let Some(q) = quote {
            out.push(q);
        }
        match file {
            Some(bytes) if bytes.len() <= 8 << 20 => {
                out.push_str(&crate::util::data_uri(mime_of(&decoded), &bytes))
            }
            _ => out.push_str(target),
        }
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

/// Reads an Outlook signatures folder (`%APPDATA%\\Microsoft\\Signatures`): its files and
/// those of its subfolders (the images).
pub fn from_folder(dir: &std::path::Path) -> Result<Vec<Signature>> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir)?.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_file() {
            files.insert(name, std::fs::read(&p)?);
        } else if p.is_dir() {
            for f in std::fs::read_dir(&p)?.flatten() {
                if f.path().is_file() {
                    let key = format!("{name}/{}", f.file_name().to_string_lossy());
                    files.insert(key, std::fs::read(f.path())?);
                }
            }
        }
    }
    Ok(from_files(&files))
}

/// Signatures from the files of a signatures folder, by path relative to it (`Work.htm`,
/// `Work_files/image001.png`): what the page gets from a folder the user picks.
pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<Signature> {
    let mut by_name: BTreeMap<String, Signature> = Default::default();
    for (path, bytes) in files {
        if path.contains('/') {
            continue;
        }
        let Some((stem, ext)) = path.rsplit_once('.') else {
            continue;
        };
        let ext = ext.to_ascii_lowercase();
        if !["htm", "html", "txt"].contains(&ext.as_str()) {
            continue;
        }
        let sig = by_name
            .entry(stem.to_string())
            .or_insert_with(|| Signature {
                account: String::new(),
                name: stem.to_string(),
                html: None,
                text: String::new(),
                uses: 0,
            });
        let text = decode(bytes);
        if ext == "txt" {
            sig.text = text.trim_end().to_string();
        } else {
            if sig.text.is_empty() {
                sig.text = crate::mime::body::text_of(&text);
            }
            // Written as UTF-8: its charset declaration must say so.
            sig.html = Some(inline_files(&crate::mime::body::declare_utf8(&text), files));
        }
    }
    by_name.into_values().collect()
}

/// A string as a JavaScript string literal (prefs.js).
fn js_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `signatures/<account or name>/<name>.html` and `.txt`, and
/// `signatures/thunderbird-user.js` with the preferences for each signature.
pub fn write(sigs: &[Signature], sink: &mut dyn TreeSink) -> Result<()> {
    if sigs.is_empty() {
        return Ok(());
    }
    let mut dirs = NameSet::default();
    let mut dir_of: HashMap<String, String> = HashMap::new();
    let mut prefs = String::from(
        "// Thunderbird: copy the lines of a signature into user.js in your profile folder and\n\
         // replace idN with the identity's key (Settings → Config Editor, search \"mail.identity\").\n",
    );
    for s in sigs {
        let group = if s.account.is_empty() {
            s.name.clone()
        } else {
            s.account.clone()
        };
        let dir = dir_of
            .entry(group.clone())
            .or_insert_with(|| dirs.claim(&group, "", None))
            .clone();
        let mut files = NameSet::default();
        if let Some(h) = &s.html {
            let f = files.claim(&s.name, ".html", None);
            sink.begin(&["signatures".into(), dir.clone(), f])?;
            sink.write(h.as_bytes())?;
            sink.end()?;
        }
        let f = files.claim(&s.name, ".txt", None);
        sink.begin(&["signatures".into(), dir.clone(), f])?;
        sink.write(s.text.as_bytes())?;
        sink.write(b"\n")?;
        sink.end()?;
        prefs.push_str(&format!(
            "\n// {}{} ({} uses)\n",
            if s.account.is_empty() {
                String::new()
            } else {
                format!("{}: ", s.account)
            },
            s.name,
            s.uses
        ));
        let (sig, html) = match &s.html {
            Some(h) => (h.as_str(), true),
            None => (s.text.as_str(), false),
        };
        prefs.push_str(&format!(
            "user_pref(\"mail.identity.idN.htmlSigFormat\", {html});\n"
        ));
        prefs.push_str(&format!(
            "user_pref(\"mail.identity.idN.htmlSigText\", {});\n",
            js_string(sig)
        ));
    }
    sink.begin(&["signatures".into(), "thunderbird-user.js".into()])?;
    sink.write(prefs.as_bytes())?;
    sink.end()
}
