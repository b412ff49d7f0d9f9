//! Contacts → vCard 4.0 and calendars → iCalendar, on the corpus files that hold them, read
//! back with independent parsers (Python's vobject and icalendar, `tests/check_items.py`).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use unpst::convert::{Options, convert};
use unpst::pst::Pst;
use unpst::sink::MemTree;

/// Converts a file's contacts and calendars; returns what the parsers read, by output path.
fn parsed(file: &Path) -> BTreeMap<String, serde_json::Value> {
    let pst = Pst::open_path(file).unwrap();
    let mut sink = MemTree::default();
    let opts = Options {
        mbox: false,
        eml: false,
        vcf: true,
        ics: true,
        signatures: true,
        folders: None,
        recover: false,
    };
    let rep = convert(&pst, &mut sink, &opts, "x", &mut |_| true).unwrap();
    assert_eq!(rep.totals.skipped, 0);
    common::check_items(&sink.files, &file.file_name().unwrap().to_string_lossy())
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn contacts_become_vcards_the_parsers_read() {
    let Some(dir) = common::corpus() else { return };
    let files = [
        "aspose-SampleContacts.pst",
        "hiraoka-contacts97-2002-ansi.pst",
        "java-libpst-dist-list.pst",
        "aspose-Outlook.pst",
    ];
    let mut all = BTreeMap::new();
    for f in files {
        all.insert(f, parsed(&dir.join(f)));
    }
    // aspose-SampleContacts: the 6 contacts pffexport lists, by name, with their addresses.
    let cards = &all["aspose-SampleContacts.pst"]["contacts/Contacts.vcf"]["cards"];
    let names: Vec<&str> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fn"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Sebastian Wright",
            "Wichert Kroos",
            "Christoffer van de Meeberg",
            "Margaret J. Tolle",
            "Matthew R. Wilcox",
            "Bertha A. Buell"
        ]
    );
    assert_eq!(strings(&cards[3]["email"]), ["MargaretJTolle@dayrep.com"]);
    assert_eq!(
        strings(&cards[3]["tel"]),
        ["(08)9080-1183", "(925)599-3355(925)599-3355"]
    );
    assert_eq!(strings(&cards[3]["title"]), ["Recording engineer"]);
    assert_eq!(cards[3]["org"], serde_json::json!([["Adaptaz"]]));
    // The business address Outlook kept only in its named properties.
    assert_eq!(
        cards[3]["adr"][0][1],
        "4 Darwinia Loop EIGHTY MILE BEACH WA 6725"
    );

    // CP932 (ANSI) contact: Japanese name parts, postal address, birthday.
    let c = &all["hiraoka-contacts97-2002-ansi.pst"]["contacts/連絡先 (Contact dedicated).vcf"]["cards"]
        [0];
    assert_eq!(c["fn"], "Mr. イグザンプル ドット コム 殿");
    assert_eq!(strings(&c["email"]), ["test@example.com"]);
    assert_eq!(
        c["adr"][0],
        serde_json::json!(["", "Somewhere", "Osaka", "Osaka", "544-0001", "日本"])
    );
    assert_eq!(strings(&c["bday"]), ["20000101"]);
    assert_eq!(
        c["org"],
        serde_json::json!([["My work company", "My division"]])
    );

    // A distribution list: a member contact of the same file by its UID, two one-off members.
    let cards = &all["java-libpst-dist-list.pst"]["contacts/Contacts.vcf"]["cards"];
    let (contact, list) = (&cards[0], &cards[1]);
    assert_eq!(list["kind"], "group");
    assert_eq!(list["fn"], "test dist list");
    assert_eq!(
        strings(&list["member"]),
        [
            contact["uid"].as_str().unwrap(),
            "mailto:dist1@rjohnson.id.au",
            "mailto:dist2@rjohnson.id.au"
        ]
    );
    let c = &all["aspose-Outlook.pst"]["contacts/Contacts.vcf"]["cards"][0];
    assert_eq!(
        (c["fn"].as_str(), strings(&c["email"])),
        (
            Some("Saqib Razzaq"),
            vec!["saqib.razzaq@xp.local".to_string()]
        )
    );
}

#[test]
fn calendars_become_icalendar_the_parsers_read() {
    let Some(dir) = common::corpus() else { return };
    // java-libpst: weekly on Tuesdays 08:00 Pacific time, one deleted and two moved
    // occurrences (readpst writes the rule alone, as 15:00Z).
    let cal = &parsed(&dir.join("java-libpst-dist-list.pst"))["calendar/Calendar.ics"];
    assert_eq!(
        strings(&cal["zones"]),
        ["(UTC-0800) Pacific Time (US & Canada)"]
    );
    let ev = cal["events"].as_array().unwrap();
    assert_eq!(ev.len(), 3);
    assert_eq!(ev[0]["summary"], "Test appointment");
    assert_eq!(ev[0]["start"], "2016-08-02T08:00:00-07:00");
    assert_eq!(ev[0]["end"], "2016-08-02T08:30:00-07:00");
    assert_eq!(ev[0]["rrule"], "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;WKST=SU");
    assert_eq!(strings(&ev[0]["exdates"]), ["2016-08-09T08:00:00-07:00"]);
    assert_eq!(ev[0]["alarms"], 1);
    for (e, (rid, start)) in ev[1..].iter().zip([
        ("2016-08-23T08:00:00-07:00", "2016-08-23T09:00:00-07:00"),
        ("2016-08-30T08:00:00-07:00", "2016-08-30T10:00:00-07:00"),
    ]) {
        assert_eq!(
            (e["recurrence_id"].as_str(), e["start"].as_str()),
            (Some(rid), Some(start))
        );
        assert_eq!(e["uid"], ev[0]["uid"]);
    }
    // aspose-Outlook: a single meeting, in UTC (no time zone stored).
    let cal = &parsed(&dir.join("aspose-Outlook.pst"))["calendar/Calendar.ics"];
    let e = &cal["events"][0];
    assert_eq!(
        (e["summary"].as_str(), e["location"].as_str()),
        (Some("Weekly meeting"), Some("Room 5"))
    );
    assert_eq!(
        (e["start"].as_str(), e["end"].as_str()),
        (
            Some("2011-06-22T05:30:00+00:00"),
            Some("2011-06-22T06:00:00+00:00")
        )
    );
    // The Enron sample: a meeting with 4 required and 3 optional attendees.
    let cal = &parsed(&dir.join("go-pst-32-bit-ansi-enron-sample.pst"))["calendar/Calendar.ics"];
    let e = &cal["events"][0];
    assert_eq!(e["summary"], "Updated: Olympus training for new hires");
    assert_eq!(e["attendees"].as_array().unwrap().len(), 7);
    // The OST: its 5 appointments (pffexport's count), each with its own UID.
    let cal = parsed(&dir.join("aspose-SampleOstFile.ost"));
    let events: Vec<&serde_json::Value> = cal
        .values()
        .flat_map(|c| c["events"].as_array().unwrap())
        .collect();
    assert_eq!(events.len(), 5);
    let mut uids: Vec<&str> = events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), 5, "copies of one meeting get their own UIDs");
}

/// Meeting requests stay mail and carry their event as a text/calendar part (iMIP).
#[test]
fn meeting_requests_carry_their_event() {
    let Some(dir) = common::corpus() else { return };
    let pst = Pst::open_path(dir.join("aspose-SampleOstFile.ost")).unwrap();
    let mut found = 0;
    for f in unpst::upload::plan(&pst, None).unwrap() {
        for (_, o) in unpst::convert::FolderItems::new(&pst, f.nid) {
            let unpst::convert::Outcome::Mail(m) = o else {
                continue;
            };
            let bytes = m.bytes.to_vec(&pst, u64::MAX).unwrap();
            let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            let Some(part) = parsed.parts.iter().find(|p| {
                mail_parser::MimeHeaders::content_type(*p)
                    .is_some_and(|c| c.subtype() == Some("calendar"))
            }) else {
                continue;
            };
            let ct = mail_parser::MimeHeaders::content_type(part).unwrap();
            assert_eq!(ct.attribute("method"), Some("REQUEST"));
            let path =
                std::env::temp_dir().join(format!("unpst-imip-{}-{found}.ics", std::process::id()));
            std::fs::write(&path, part.contents()).unwrap();
            let out = std::process::Command::new("python3")
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_items.py"))
                .arg(&path)
                .output()
                .unwrap();
            let _ = std::fs::remove_file(&path);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let ev = &v[path.to_str().unwrap()]["events"][0];
            assert_eq!(ev["summary"].as_str(), Some(m.subject.as_str()));
            assert_eq!(ev["location"], "meeting request");
            found += 1;
        }
    }
    // Every one of the OST's 6 items of class IPM.Schedule.Meeting.Request.
    assert_eq!(found, 6);
}

/// With EML on, each card is also a file of its own in the folder's EML directory, equal to
/// its entry in the folder's .vcf.
#[test]
fn cards_also_go_one_per_file_into_the_eml_tree() {
    let Some(dir) = common::corpus() else { return };
    let pst = Pst::open_path(dir.join("java-libpst-dist-list.pst")).unwrap();
    let mut sink = MemTree::default();
    let opts = Options {
        mbox: false,
        eml: true,
        vcf: true,
        ics: false,
        signatures: false,
        folders: None,
        recover: false,
    };
    convert(&pst, &mut sink, &opts, "x", &mut |_| true).unwrap();
    let all = String::from_utf8(sink.files["contacts/Contacts.vcf"].clone()).unwrap();
    let one =
        String::from_utf8(sink.files["eml/Contacts/00001 contact name 1.vcf"].clone()).unwrap();
    let two =
        String::from_utf8(sink.files["eml/Contacts/00002 test dist list.vcf"].clone()).unwrap();
    assert_eq!(format!("{one}{two}"), all);
}
