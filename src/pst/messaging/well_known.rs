//! Well-known folders and message classes: the special folders a mail client knows (also by
//! the localized names Outlook gives them) and the message classes that are mail
//! (MS-OXCMSG §2.2.1.3, PidTagMessageClass; the folders' names are not in the spec: Outlook's
//! own, as it creates them per language).

/// The folders a mail client treats specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Special {
    Inbox,
    Sent,
    Trash,
    Junk,
    Drafts,
}

/// Outlook's names for its special folders in the languages it ships most (lower case).
const NAMES: [(Special, &[&str]); 5] = [
    (
        Special::Inbox,
        &[
            "inbox",
            "posteingang",
            "boîte de réception",
            "bandeja de entrada",
            "posta in arrivo",
            "postvak in",
            "caixa de entrada",
            "inkorgen",
            "indbakke",
            "innboks",
            "saapuneet",
            "skrzynka odbiorcza",
            "doručená pošta",
            "beérkezett üzenetek",
            "受信トレイ",
            "收件箱",
            "받은 편지함",
            "входящие",
        ],
    ),
    (
        Special::Sent,
        &[
            "sent items",
            "sent",
            "sent mail",
            "sent messages",
            "gesendete elemente",
            "gesendet",
            "éléments envoyés",
            "elementos enviados",
            "posta inviata",
            "verzonden items",
            "itens enviados",
            "skickat",
            "skickade objekt",
            "sendt",
            "sendte elementer",
            "lähetetyt",
            "elementy wysłane",
            "送信済みアイテム",
            "已发送邮件",
            "보낸 편지함",
            "отправленные",
        ],
    ),
    (
        Special::Trash,
        &[
            "deleted items",
            "trash",
            "deleted",
            "deleted messages",
            "gelöschte elemente",
            "éléments supprimés",
            "elementos eliminados",
            "posta eliminata",
            "verwijderde items",
            "itens excluídos",
            "borttaget",
            "slettet post",
            "slettede elementer",
            "poistetut",
            "elementy usunięte",
            "削除済みアイテム",
            "已删除邮件",
            "지운 편지함",
            "удаленные",
        ],
    ),
    (
        Special::Junk,
        &[
            "junk e-mail",
            "junk email",
            "junk",
            "spam",
            "junk-e-mail",
            "courrier indésirable",
            "correo no deseado",
            "posta indesiderata",
            "ongewenste e-mail",
            "lixo eletrônico",
            "skräppost",
            "uønsket e-post",
            "uønsket e-mail",
            "roskaposti",
            "wiadomości-śmieci",
            "迷惑メール",
            "垃圾邮件",
            "정크 메일",
            "нежелательная почта",
        ],
    ),
    (
        Special::Drafts,
        &[
            "drafts",
            "entwürfe",
            "brouillons",
            "borradores",
            "bozze",
            "concepten",
            "rascunhos",
            "utkast",
            "kladder",
            "luonnokset",
            "wersje robocze",
            "下書き",
            "草稿",
            "임시 보관함",
            "черновики",
        ],
    ),
];

/// A special folder recognized by its (possibly localized) name.
pub fn special_by_name(name: &str) -> Option<Special> {
    let n = name.trim().to_lowercase();
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&n.as_str()))
        .map(|(s, _)| *s)
}

/// Message classes that are mail (notes and their kinds, meeting requests and responses,
/// reports, posts, recalls, sharing invitations, sticky notes). Contacts, appointments,
/// tasks, journal entries and distribution lists have their own formats (`items`).
const MAIL_CLASSES: [&str; 10] = [
    "ipm.stickynote",
    "ipm.note",
    "ipm.schedule.meeting",
    "ipm.post",
    "ipm.report",
    "report",
    "ipm.outlook.recall",
    "ipm.recall",
    "ipm.sharing",
    "ipm.notification",
];

/// Whether a message class converts to MIME (an empty class is treated as a note).
pub fn is_mail_class(class: &str) -> bool {
    let c = class.trim().to_ascii_lowercase();
    c.is_empty()
        || c == "ipm"
        || MAIL_CLASSES
            .iter()
            .any(|p| c == *p || c.strip_prefix(p).is_some_and(|rest| rest.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_classes() {
        for c in [
            "",
            "IPM",
            "IPM.Note",
            "IPM.Note.SMIME",
            "IPM.Schedule.Meeting.Request",
            "REPORT.IPM.Note.NDR",
            "IPM.Post",
            "IPM.StickyNote",
        ] {
            assert!(is_mail_class(c), "{c}");
        }
        for c in [
            "IPM.Contact",
            "IPM.DistList",
            "IPM.Appointment",
            "IPM.Task",
            "IPM.Activity",
            "IPM.Microsoft.ScheduleData.FreeBusy",
            "IPM.Notes",
        ] {
            assert!(!is_mail_class(c), "{c}");
        }
    }

    #[test]
    fn special_folders_by_name() {
        assert_eq!(special_by_name(" Junk E-Mail "), Some(Special::Junk));
        assert_eq!(special_by_name("受信トレイ"), Some(Special::Inbox));
        assert_eq!(special_by_name("Archive"), None);
    }
}
