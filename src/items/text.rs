//! Any item as readable text: its class and every property, typed as MS-OXCDATA §2.11.1 says
//! and named as the file's name-to-id map (MS-PST §2.4.7) says — what the EML tree keeps of
//! items no format takes (rules, views, forms, FreeBusy data, …), so nothing is lost.

use crate::pst::ltp::prop::{self, PropData};
use crate::pst::messaging::named::Name;
use crate::pst::{Message, Pst};
use std::fmt::Write;

/// Values longer than this are shown in part (their length is always given).
const SHOWN: usize = 4096;
/// Values longer than this are not read at all.
const READ: u64 = 1 << 20;

/// The item as text: what it is, why it is kept this way, then its properties in id order.
pub fn describe(pst: &Pst, msg: &Message) -> String {
    let mut out = String::new();
    let class = msg.class(pst);
    let _ = writeln!(out, "Item {:#x}", msg.nid.get());
    let _ = writeln!(out, "Class: {class}");
    let _ = writeln!(out, "Subject: {}", msg.subject(pst));
    let _ = writeln!(
        out,
        "\nunpst writes mail, contacts, calendar items, tasks and notes in their own formats; \
         this item is none of them, so it is kept here as its properties.\n\nProperties:"
    );
    let names = pst.named.names();
    for (&id, p) in &msg.obj.pc.props {
        let label = match names.get(&id) {
            Some(Name::Id(g, n)) => format!("{id:#06x} {} {n:#06x}", guid(g)),
            Some(Name::Str(g, s)) => format!("{id:#06x} {} {s:?}", guid(g)),
            None => format!("{id:#06x}"),
        };
        let _ = writeln!(
            out,
            "{label} {}: {}",
            type_name(p.ptype),
            value(pst, msg, id)
        );
    }
    out
}

/// A GUID as stored (little-endian first three fields), in its usual form.
fn guid(g: &[u8; 16]) -> String {
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{}}}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10..]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    )
}

fn type_name(t: prop::PropType) -> String {
    let base = match t & !prop::PT_MV {
        prop::PT_I16 => "int16",
        prop::PT_I32 => "int32",
        prop::PT_F32 => "float",
        prop::PT_F64 => "double",
        prop::PT_CURRENCY => "currency",
        prop::PT_APPTIME => "apptime",
        prop::PT_ERROR => "error",
        prop::PT_BOOL => "boolean",
        prop::PT_OBJECT => "object",
        prop::PT_I64 => "int64",
        prop::PT_STRING8 | prop::PT_UNICODE => "string",
        prop::PT_TIME => "time",
        prop::PT_GUID => "guid",
        prop::PT_BINARY => "binary",
        _ => return format!("type {t:#06x}"),
    };
    if t & prop::PT_MV != 0 {
        format!("multiple {base}")
    } else {
        base.to_string()
    }
}

/// A property's value as text.
fn value(pst: &Pst, msg: &Message, id: u16) -> String {
    let Some(p) = msg.obj.pc.get(id) else {
        return String::new();
    };
    let size = match &p.data {
        PropData::Bytes(b) => b.len() as u64,
        PropData::Subnode(_) => match msg.obj.value_blocks(&pst.ndb, id) {
            Ok(crate::pst::messaging::ValueBlocks::Blocks(ids)) => {
                ids.iter().map(|&b| pst.ndb.block_len(b).unwrap_or(0)).sum()
            }
            Ok(crate::pst::messaging::ValueBlocks::Inline(b)) => b.len() as u64,
            Err(e) => return format!("(unreadable: {e})"),
        },
    };
    if size > READ {
        return format!("({size} bytes, not shown)");
    }
    let Ok(Some(b)) = msg.obj.bytes(&pst.ndb, id) else {
        return "(unreadable)".into();
    };
    let int = |n: usize| {
        b.get(..n)
            .map(|s| s.iter().rev().fold(0u64, |a, &x| a << 8 | x as u64))
    };
    match p.ptype {
        prop::PT_I16 => int(2).map_or_else(String::new, |v| (v as u16 as i16).to_string()),
        prop::PT_I32 => {
            int(4).map_or_else(String::new, |v| format!("{} ({v:#010x})", v as u32 as i32))
        }
        prop::PT_ERROR => int(4).map_or_else(String::new, |v| format!("{v:#010x}")),
        prop::PT_I64 => int(8).map_or_else(String::new, |v| (v as i64).to_string()),
        prop::PT_F64 | prop::PT_APPTIME => {
            int(8).map_or_else(String::new, |v| f64::from_bits(v).to_string())
        }
        prop::PT_BOOL => (b.first().is_some_and(|&v| v != 0)).to_string(),
        prop::PT_TIME => msg.obj.time(id).map_or_else(|| hex(&b), iso),
        prop::PT_STRING8 | prop::PT_UNICODE => {
            let s = msg.string(pst, id).unwrap_or_default();
            shorten(&s)
        }
        prop::PT_GUID if b.len() >= 16 => {
            let mut g = [0u8; 16];
            g.copy_from_slice(&b[..16]);
            guid(&g)
        }
        0x101E | 0x101F => msg
            .obj
            .strings(&pst.ndb, id, msg.codepage)
            .iter()
            .map(|s| shorten(s))
            .collect::<Vec<_>>()
            .join(" | "),
        _ => hex(&b),
    }
}

/// Text up to [`SHOWN`] characters, on one line.
fn shorten(s: &str) -> String {
    let one: String = s
        .chars()
        .take(SHOWN)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > SHOWN {
        format!("{one} … ({} characters)", s.chars().count())
    } else {
        one
    }
}

fn hex(b: &[u8]) -> String {
    let shown: String = b
        .iter()
        .take(SHOWN / 2)
        .map(|x| format!("{x:02x}"))
        .collect();
    if b.len() > SHOWN / 2 {
        format!("{shown} … ({} bytes)", b.len())
    } else {
        format!("{shown} ({} bytes)", b.len())
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
fn iso(t: i64) -> String {
    let (y, m, d) = crate::util::civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
