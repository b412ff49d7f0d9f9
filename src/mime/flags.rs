//! Message state → mbox status headers: read (`Status`), answered / forwarded / flagged
//! (`X-Status`, `X-Mozilla-Status`), categories (`X-Keywords`).

use crate::pst::messaging::named::PS_PUBLIC_STRINGS;
use crate::pst::messaging::props;
use crate::pst::{Message, Pst};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailFlags {
    pub read: bool,
    pub answered: bool,
    pub forwarded: bool,
    pub flagged: bool,
    pub draft: bool,
    pub categories: Vec<String>,
}

const MSGFLAG_READ: u32 = 0x01;
const MSGFLAG_UNSENT: u32 = 0x08;

pub fn read(pst: &Pst, msg: &Message) -> MailFlags {
    let f = msg.flags();
    let verb = msg.obj.i32(props::LAST_VERB_EXECUTED).unwrap_or(0);
    let icon = msg.obj.i32(props::ICON_INDEX).unwrap_or(0);
    let categories = pst
        .named
        .string_id(PS_PUBLIC_STRINGS, "Keywords")
        .map(|id| msg.obj.strings(&pst.ndb, id, msg.codepage))
        .unwrap_or_default();
    MailFlags {
        read: f & MSGFLAG_READ != 0,
        // 102 reply to sender, 103 reply to all, 104 forward (MS-OXOMSG); icons 0x105/0x106.
        answered: matches!(verb, 102 | 103) || icon == 0x105,
        forwarded: verb == 104 || icon == 0x106,
        flagged: msg.obj.i32(props::FLAG_STATUS) == Some(2),
        // Imported mail often keeps MSGFLAG_UNSENT: only a message never submitted nor
        // received (no submit time, no transport headers) is a draft.
        draft: f & MSGFLAG_UNSENT != 0
            && msg.obj.time(props::CLIENT_SUBMIT_TIME).is_none()
            && !msg.obj.has(props::TRANSPORT_MESSAGE_HEADERS),
        categories,
    }
}

impl MailFlags {
    /// The status headers, in the order mail clients expect them.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("Status", if self.read { "RO" } else { "O" }.to_string())];
        let mut x = String::new();
        if self.answered {
            x.push('A');
        }
        if self.flagged {
            x.push('F');
        }
        if self.draft {
            x.push('T');
        }
        if !x.is_empty() {
            out.push(("X-Status", x));
        }
        let mut moz = 0u32;
        if self.read {
            moz |= 0x0001;
        }
        if self.answered {
            moz |= 0x0002;
        }
        if self.flagged {
            moz |= 0x0004;
        }
        if self.forwarded {
            moz |= 0x1000;
        }
        out.push(("X-Mozilla-Status", format!("{moz:04x}")));
        out.push(("X-Mozilla-Status2", "00000000".to_string()));
        let cats: Vec<String> = self
            .categories
            .iter()
            .map(|c| c.replace([',', '\r', '\n'], " ").trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if !cats.is_empty() {
            out.push(("X-Keywords", cats.join(", ")));
        }
        out
    }
}
