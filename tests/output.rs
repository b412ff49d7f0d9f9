//! What users see: every .eml and mbox message parses with Python's email/mailbox; RTF-only
//! bodies come back as HTML; CJK and CP932 text is exact.

mod common;

use mail_parser::{MessageParser, MimeHeaders};
use std::process::Command;
use unpst::convert::{Options, convert, write_report};
use unpst::pst::Pst;
use unpst::sink::{DirTree, MemTree};

/// Converts a file to mbox and EML plus report.json into any sink.
fn convert_into(path: &std::path::Path, sink: &mut dyn unpst::sink::TreeSink) {
    let pst = Pst::open_path(path).unwrap();
    let opts = Options {
        mbox: true,
        eml: true,
        vcf: true,
        ics: true,
        signatures: true,
        folders: None,
        recover: false,
    };
    let rep = convert(&pst, sink, &opts, "x", &mut |_| true).unwrap();
    write_report(sink, &rep).unwrap();
}

fn convert_mem(path: &std::path::Path) -> MemTree {
    let mut sink = MemTree::default();
    convert_into(path, &mut sink);
    sink
}

fn emls(t: &MemTree) -> Vec<(&String, mail_parser::Message<'_>)> {
    t.files
        .iter()
        .filter(|(k, _)| k.ends_with(".eml"))
        .map(|(k, v)| (k, MessageParser::default().parse(v).expect("parses")))
        .collect()
}

#[test]
fn python_email_and_mailbox_parse_every_output() {
    let Some(dir) = common::corpus() else { return };
    let out = std::env::temp_dir().join(format!("unpst-pycheck-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut expected = 0u64;
    for path in common::corpus_files(&dir) {
        let pst = Pst::open_path(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut sink = DirTree::new(out.join(&name)).unwrap();
        let opts = Options {
            mbox: true,
            eml: true,
            vcf: true,
            ics: true,
            signatures: true,
            folders: None,
            recover: false,
        };
        // As the CLI does: mbox and EML from one pass, through two writers.
        let mut eml = DirTree::new(out.join(&name)).unwrap();
        let rep = unpst::convert::convert_into(
            &pst,
            &mut sink,
            Some(&mut eml),
            &opts,
            &name,
            &mut |_| true,
        )
        .unwrap();
        write_report(&mut sink, &rep).unwrap();
        sink.finish().unwrap();
        eml.finish().unwrap();
        expected += rep.totals.converted as u64;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_mail.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(&out)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "python check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains(&format!("eml={expected} mbox={expected} problems=0")),
        "python counted: {stdout}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn rtf_only_message_gets_html_recovered_from_rtf() {
    let Some(dir) = common::corpus() else { return };
    let t = convert_mem(&dir.join("tika-testPST_variousBodyTypes.pst"));
    let pst = Pst::open_path(dir.join("tika-testPST_variousBodyTypes.pst")).unwrap();
    // Find the message whose only body is compressed RTF.
    let tree = pst.folder_tree().unwrap();
    let f = tree.flatten().into_iter().find(|f| f.items == 4).unwrap();
    let folder = pst.folder(f.nid).unwrap();
    let mut rtf_only = Vec::new();
    for id in pst.message_ids(&folder).unwrap() {
        let m = pst.message(id).unwrap();
        use unpst::pst::messaging::props::*;
        if m.obj.i32(NATIVE_BODY) == Some(2) && !m.obj.has(HTML) {
            rtf_only.push(unpst::mime::convert(&pst, &m).unwrap());
        }
    }
    assert_eq!(
        rtf_only.len(),
        1,
        "one message whose body is only RTF (PR_BODY is its plain-text shadow)"
    );
    let rtf_bytes = rtf_only[0].bytes.to_vec(&pst, u64::MAX).unwrap();
    let parsed = MessageParser::default().parse(&rtf_bytes).unwrap();
    // A real text/html part (mail-parser would otherwise render the text part as HTML).
    let html_part = parsed
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("html"))
        })
        .expect("a text/html part recovered from the RTF body");
    let html = html_part.text_contents().unwrap();
    // The words, with the formatting as markup around them ("original" is bold in the RTF).
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.replace("&nbsp;", " ").chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("This is the original email (html) Forwarded RTF"),
        "{text}"
    );
    assert!(
        html.contains("font-weight:bold\">original</span>"),
        "{html}"
    );
    // The RTF document itself is kept too, for clients that render it.
    assert!(
        parsed
            .attachments()
            .any(|a| a.attachment_name() == Some("body.rtf"))
    );
    assert!(t.files.keys().any(|k| k.starts_with("mbox/")));
}

#[test]
fn cjk_and_cp932_text_is_exact() {
    let Some(dir) = common::corpus() else { return };
    // Unicode file: Japanese folder name, subject and attachment names in three scripts.
    let t = convert_mem(&dir.join("hiraoka-Hello-CJK.pst"));
    let e = emls(&t);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].0
            .starts_with("eml/Outlook データ ファイルのトップ/00001 Hello +CJK"),
        "{}",
        e[0].0
    );
    let mut names: Vec<&str> = e[0]
        .1
        .attachments()
        .filter_map(|a| a.attachment_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["C 你好.png", "J こんにちは.png", "K 안녕하세요.png"]
    );
    // ANSI file written by Japanese Outlook: CP932 subject, body and folder name.
    let t = convert_mem(&dir.join("hiraoka-nonUnicodeCP932-ansi.pst"));
    let e = emls(&t);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].0.starts_with("eml/Outlook データ ファイルのトップ/"),
        "{}",
        e[0].0
    );
    let subject = e[0].1.subject().unwrap();
    assert!(subject.starts_with("日本語 Non Unicode "), "{subject}");
    let body = e[0].1.body_text(0).unwrap();
    assert!(body.contains("日本語 Non Unicode 本文"), "{body}");
    assert!(t.files.contains_key("mbox/Outlook データ ファイルのトップ"));
}

#[test]
fn embedded_messages_three_deep_with_their_attachments() {
    let Some(dir) = common::corpus() else { return };
    let t = convert_mem(&dir.join("hiraoka-msgInMsgInMsg.pst"));
    let e = emls(&t);
    let m1 = &e[0].1;
    let a1: Vec<_> = m1.attachments().collect();
    let m2 = a1
        .iter()
        .find_map(|a| a.message())
        .expect("level 2 is message/rfc822");
    assert!(a1.iter().any(|a| a.attachment_name() == Some("blue.png")));
    let a2: Vec<_> = m2.attachments().collect();
    assert!(a2.iter().any(|a| a.attachment_name() == Some("green.png")));
    let m3 = a2
        .iter()
        .find_map(|a| a.message())
        .expect("level 3 is message/rfc822");
    assert_eq!(m3.subject(), Some("Microsoft Outlook テスト メッセージ"));
}

#[test]
fn inline_image_sits_in_multipart_related_with_its_content_id() {
    let Some(dir) = common::corpus() else { return };
    let t = convert_mem(&dir.join("hiraoka-attachAndInline.pst"));
    let e = emls(&t);
    assert_eq!(e.len(), 1);
    let raw = String::from_utf8_lossy(&t.files[e[0].0]).to_string();
    let m = &e[0].1;
    let html = m.body_html(0).unwrap();
    assert!(html.contains("cid:image001.png@01D78380.EF6DC500"));
    // The image is a part of multipart/related, with the Content-ID the HTML refers to …
    let related = m
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .is_some_and(|c| c.subtype() == Some("related"))
        })
        .expect("multipart/related");
    let image = m
        .parts
        .iter()
        .find(|p| p.content_id() == Some("image001.png@01D78380.EF6DC500"))
        .expect("inline image by Content-ID");
    assert_eq!(image.content_type().unwrap().ctype(), "image");
    assert!(matches!(&related.body, mail_parser::PartType::Multipart(ids) if ids.len() == 2));
    // … one Content-Disposition, inline; the regular attachment stays an attachment.
    assert_eq!(
        raw.matches("Content-Disposition: inline").count(),
        1,
        "{raw}"
    );
    let names: Vec<_> = m
        .attachments()
        .filter_map(|a| a.attachment_name())
        .collect();
    assert!(names.contains(&"attach.png"), "{names:?}");
}

fn mbox_files(t: &MemTree) -> Vec<&str> {
    t.files
        .keys()
        .filter_map(|k| k.strip_prefix("mbox/"))
        .collect()
}

#[test]
fn mbox_tree_has_thunderbird_layout_from_the_top_of_the_mailbox() {
    let Some(dir) = common::corpus() else { return };
    let t = convert_mem(&dir.join("aspose-Outlook.pst"));
    let mbox = mbox_files(&t);
    assert_eq!(
        mbox,
        [
            "Calendar",
            "Contacts",
            "Custom Folder 1",
            "Custom Folder 2",
            "Deleted Items",
            "Drafts",
            // Outside the visible mailbox, but it holds an item (deferred FreeBusy data).
            "Freebusy Data",
            "Inbox",
            "Inbox.sbd/SubInbox",
            "Journal",
            "Junk E-mail",
            "Notes",
            "Outbox",
            "RSS Feeds",
            "Sent Items",
            "Tasks",
        ]
    );
    // Messages kept in the top-of-mailbox folder itself get a file named after it.
    let t = convert_mem(&dir.join("tika-testPST.pst"));
    let mbox = mbox_files(&t);
    assert_eq!(
        mbox,
        ["Début du fichier de données Outlook", "Éléments supprimés"]
    );
    let top = &t.files["mbox/Début du fichier de données Outlook"];
    assert_eq!(
        String::from_utf8_lossy(top).matches("\nFrom ").count() + 1,
        7
    );
}

#[test]
fn progress_reaches_its_total_and_cancel_stops_early() {
    let Some(dir) = common::corpus() else { return };
    let pst = Pst::open_path(dir.join("pst2john-97-outlook-pass12345-ansi.pst")).unwrap();
    let opts = Options {
        mbox: true,
        eml: true,
        vcf: true,
        ics: true,
        signatures: true,
        folders: None,
        recover: false,
    };
    let mut last = (0, 0);
    let rep = convert(&pst, &mut MemTree::default(), &opts, "x", &mut |p| {
        assert!(p.done <= p.total);
        last = (p.done, p.total);
        true
    })
    .unwrap();
    // Three passes over every row: mbox, EML, then contacts and calendar.
    assert_eq!(last, (3 * 294, 3 * 294), "every format, every item");
    assert!(!rep.cancelled);
    let mut calls = 0;
    let rep = convert(&pst, &mut MemTree::default(), &opts, "x", &mut |_| {
        calls += 1;
        calls < 10
    })
    .unwrap();
    assert!(rep.cancelled);
    assert_eq!(rep.totals.converted, 10);
}

#[test]
fn zip_holds_the_same_files_byte_for_byte() {
    let Some(dir) = common::corpus() else { return };
    let path = dir.join("hiraoka-msgInMsgInMsg.pst");
    let mem = convert_mem(&path);
    let mut zip = unpst::sink::ZipTree::new(std::io::Cursor::new(Vec::new()));
    convert_into(&path, &mut zip);
    let bytes = zip.finish().unwrap().into_inner();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        assert_eq!(&data, &mem.files[&name], "{name}");
        names.push(name);
    }
    names.sort();
    assert_eq!(names, mem.files.keys().cloned().collect::<Vec<_>>());
}

#[test]
fn preview_reads_back_the_exported_message() {
    let Some(dir) = common::corpus() else { return };
    let pst = Pst::open_path(dir.join("hiraoka-msgInMsgInMsg.pst")).unwrap();
    let top = pst.folder_tree().unwrap();
    let f = top.flatten().into_iter().find(|f| f.items == 1).unwrap();
    let id = pst.message_ids(&pst.folder(f.nid).unwrap()).unwrap()[0];
    let bytes = unpst::mime::convert(&pst, &pst.message(id).unwrap())
        .unwrap()
        .bytes
        .to_vec(&pst, u64::MAX)
        .unwrap();
    let p = unpst::preview::preview(&bytes).unwrap();
    assert_eq!(p.subject, "I have sub attachments!");
    assert!(p.headers.starts_with("From: ") && p.headers.contains("\r\nSubject: "));
    let names: Vec<(&str, bool)> = p
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.message))
        .collect();
    // In the PST's attachment-table order: the embedded message, then the picture.
    assert_eq!(
        names,
        [("I have attachments!.eml", true), ("blue.png", false)]
    );
    let png = unpst::preview::attachment(&bytes, 1).unwrap();
    assert_eq!((png.len(), &png[..4]), (134, &b"\x89PNG"[..]));
    let inner = unpst::preview::preview(&unpst::preview::attachment(&bytes, 0).unwrap()).unwrap();
    assert_eq!(inner.subject, "I have attachments!");
    assert_eq!(inner.attachments.len(), 2);
}

/// One pass writing mbox and EML through two directory writers gives exactly the files of
/// the two-pass conversion.
#[test]
fn one_pass_to_two_writers_equals_two_passes() {
    let Some(dir) = common::corpus() else { return };
    for name in [
        "aspose-Outlook.pst",
        "hiraoka-msgInMsgInMsg.pst",
        "aspose-SampleOstFile.ost",
    ] {
        let pst = Pst::open_path(dir.join(name)).unwrap();
        let opts = Options {
            eml: true,
            ..Options::default()
        };
        let mut mem = MemTree::default();
        let rep = convert(&pst, &mut mem, &opts, name, &mut |_| true).unwrap();
        let out = std::env::temp_dir().join(format!("unpst-tee-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let mut a = DirTree::new(&out).unwrap();
        let mut b = DirTree::new(&out).unwrap();
        let rep2 =
            unpst::convert::convert_into(&pst, &mut a, Some(&mut b), &opts, name, &mut |_| true)
                .unwrap();
        a.finish().unwrap();
        b.finish().unwrap();
        assert_eq!(rep.to_json(), rep2.to_json(), "{name}: reports");
        let mut disk = std::collections::BTreeMap::new();
        let mut stack = vec![out.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    let rel = e
                        .path()
                        .strip_prefix(&out)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    disk.insert(rel, std::fs::read(e.path()).unwrap());
                }
            }
        }
        assert_eq!(
            disk.keys().collect::<Vec<_>>(),
            mem.files.keys().collect::<Vec<_>>(),
            "{name}: file names"
        );
        assert!(disk == mem.files, "{name}: file contents differ");
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// Lists a directory tree: relative path → bytes.
fn tree_of(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// `unpst convert A B C -o DIR`: each file in DIR/<its name>/ exactly as it converts alone,
/// one that is no PST reported (exit 2) while the others are converted.
#[test]
fn several_files_convert_each_as_alone() {
    let Some(dir) = common::corpus() else { return };
    let tmp = std::env::temp_dir().join(format!("unpst-batch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let not_pst = tmp.join("notes.pst");
    std::fs::write(&not_pst, b"not a pst at all").unwrap();
    let files = ["aspose-Outlook.pst", "tika-testPST.pst"].map(|f| dir.join(f));
    let unpst = env!("CARGO_BIN_EXE_unpst");
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new(unpst)
            .arg("convert")
            .args(args)
            .args(["--format", "mbox,eml,vcf,ics", "-q"])
            .output()
            .unwrap()
    };
    let batch = run(&[
        files[0].as_os_str(),
        not_pst.as_os_str(),
        files[1].as_os_str(),
        "-o".as_ref(),
        tmp.join("all").as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&batch.stdout).into_owned()
        + &String::from_utf8_lossy(&batch.stderr);
    assert_eq!(batch.status.code(), Some(2), "{text}");
    assert!(text.contains("3 files: 2 converted whole"), "{text}");
    assert!(text.contains("notes.pst: not a PST/OST file"), "{text}");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let alone = run(&[f.as_os_str(), "-o".as_ref(), tmp.join(&name).as_os_str()]);
        assert!(alone.status.success());
        assert_eq!(
            tree_of(&tmp.join("all").join(&name)),
            tree_of(&tmp.join(&name)),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Items no format takes (rules, views, FreeBusy data, …) are kept in the EML tree as text:
/// exactly those outlook-pst lists in the folders' contents tables with a class that is
/// neither mail nor a contact, calendar item, task or journal entry, each under its node id
/// and the class outlook-pst reads.
#[test]
fn items_no_format_takes_are_kept_as_text_under_their_class() {
    let Some(dir) = common::corpus() else { return };
    let (mut files, mut kept) = (0, 0);
    for path in common::corpus_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let pst = Pst::open_path(&path).unwrap();
        let nids = pst
            .folder_tree()
            .unwrap()
            .flatten()
            .iter()
            .map(|f| f.nid.get())
            .collect();
        // outlook-pst cannot read every file (see tests/differential.rs): those are left out.
        let Ok(theirs) = common::outlook::classes_within(&path, nids, 30) else {
            continue;
        };
        let want: std::collections::BTreeMap<u32, String> = theirs
            .into_iter()
            .filter(|(_, c)| {
                !unpst::pst::messaging::well_known::is_mail_class(c)
                    && unpst::items::Kind::of(c).is_none()
            })
            .collect();
        let out = std::env::temp_dir().join(format!("unpst-kept-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        Command::new(env!("CARGO_BIN_EXE_unpst"))
            .arg("convert")
            .arg(&path)
            .arg("-o")
            .arg(&out)
            .args(["--format", "eml,vcf,ics", "-q"])
            .output()
            .unwrap();
        let mut ours = std::collections::BTreeMap::new();
        for p in common::files_below(&out.join("eml")) {
            if p.extension().is_some_and(|x| x == "txt") {
                let text = std::fs::read_to_string(&p).unwrap();
                let field = |k: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(k))
                        .unwrap_or_default()
                        .to_string()
                };
                let id = u32::from_str_radix(field("Item 0x").trim(), 16).unwrap();
                ours.insert(id, field("Class: "));
            }
        }
        assert_eq!(ours, want, "{name}");
        files += 1;
        kept += ours.len();
        let _ = std::fs::remove_dir_all(&out);
    }
    assert!(files >= 15, "outlook-pst read only {files} files");
    // The corpus's two: FreeBusy data in aspose-Outlook and java-libpst-dist-list.
    assert!(
        kept >= 2,
        "only {kept} items kept as text in the whole corpus"
    );
}

/// `convert --thunderbird "Local Folders"`: the mail goes under a new top folder named after
/// the PST — an empty mbox file and its `.sbd` directory holding exactly the mbox tree that
/// `convert -o` writes — beside what the profile holds, untouched: a folder of the PST's name
/// already there makes it "NAME (2)". Nothing else lands in Local Folders (Thunderbird would
/// take any file there for a folder), and Python's mailbox reads each folder with readpst's
/// message count (the oracle).
#[test]
fn thunderbird_local_folders_get_the_mail_under_a_new_top_folder() {
    let Some(dir) = common::corpus() else { return };
    let name = "aspose-Outlook.pst";
    let tmp = std::env::temp_dir().join(format!("unpst-tb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let local = tmp.join("Local Folders");
    std::fs::create_dir_all(local.join("aspose-Outlook.sbd")).unwrap();
    for (f, text) in [
        ("aspose-Outlook", "From old\n"),
        ("aspose-Outlook.sbd/Inbox", "From kept\n"),
        ("Trash", ""),
    ] {
        std::fs::write(local.join(f), text).unwrap();
    }
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_unpst"))
            .arg("convert")
            .arg(dir.join(name))
            .args(args)
            .arg("-q")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = run(&["--thunderbird", local.to_str().unwrap()]);
    assert!(
        said.contains("Restart Thunderbird: “aspose-Outlook (2)” is then under Local Folders."),
        "{said}"
    );
    let plain = tmp.join("plain");
    run(&["-o", plain.to_str().unwrap(), "--format", "mbox"]);
    let tree = |root: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        common::files_below(root)
            .into_iter()
            .map(|p| {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                (rel, std::fs::read(&p).unwrap())
            })
            .collect()
    };
    let got = tree(&local);
    let mut want: Vec<(String, Vec<u8>)> = vec![
        ("Trash".into(), b"".to_vec()),
        ("aspose-Outlook".into(), b"From old\n".to_vec()),
        ("aspose-Outlook (2)".into(), Vec::new()),
        ("aspose-Outlook.sbd/Inbox".into(), b"From kept\n".to_vec()),
    ];
    for (rel, bytes) in tree(&plain.join("mbox")) {
        want.push((format!("aspose-Outlook (2).sbd/{rel}"), bytes));
    }
    want.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(
        got_sorted.iter().map(|f| &f.0).collect::<Vec<_>>(),
        want.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(
        got_sorted == want,
        "the mbox files differ from convert -o's"
    );
    // Python's mailbox, against readpst's count per folder (the oracle).
    let oracle = common::oracle(&dir, name, ".json");
    let inbox = local.join("aspose-Outlook (2).sbd/Inbox");
    let out = Command::new("python3")
        .args([
            "-c",
            "import mailbox, sys; print(len(mailbox.mbox(sys.argv[1], create=False)))",
        ])
        .arg(&inbox)
        .output()
        .unwrap();
    let n: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let folders = &oracle["tools"]["readpst"]["r"]["folders"];
    let want_n = folders
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.ends_with("/Inbox"))
        .map(|(_, v)| v["mbox_messages"].as_u64().unwrap())
        .unwrap();
    assert_eq!(n, want_n);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `convert -o DIR` on several threads (each folder's mail on one of them, the file opened
/// again per thread) writes exactly the files and exit status of one thread — the page's way,
/// checked against readpst and pffexport elsewhere — for every corpus and hostile file, and a
/// generated file whose sibling folders' names clash (named in tree order, wherever written).
#[test]
fn folders_converted_on_several_threads_are_the_files_one_thread_writes() {
    let Some(dir) = common::corpus() else { return };
    let tmp = std::env::temp_dir().join(format!("unpst-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let mut files = common::corpus_files(&dir);
    for h in common::hostile_files(&dir) {
        let p = tmp.join(format!("hostile-{}", h.name));
        std::fs::write(&p, &h.bytes).unwrap();
        files.push(p);
    }
    let clashing = pstgen::Spec {
        seed: 11,
        max_messages: 300,
        folders: 12,
        depth: 1,
        deleted: 5,
        names: ["Same", "same", "SAME", "Same.sbd", "Same", "CON", "con"]
            .map(String::from)
            .to_vec(),
        ..pstgen::Spec::default()
    };
    files.push(common::generated("threads-clashing", &clashing).0);
    let unpst = env!("CARGO_BIN_EXE_unpst");
    // Everything; and the mail alone, where only the threads read messages (what they find
    // wrong with the file must still reach the report).
    let formats = [
        &["--format", "mbox,eml,vcf,ics,signatures", "--recover"][..],
        &["--format", "mbox"][..],
    ];
    let run = |f: &std::path::Path, out: &std::path::Path, threads: &str, format: &[&str]| {
        let o = Command::new(unpst)
            .arg("convert")
            .arg(f)
            .arg("-o")
            .arg(out)
            .args(format)
            .args(["--threads", threads, "-q"])
            .output()
            .unwrap();
        o.status.code()
    };
    let mut several_folders = 0;
    for (i, (f, format)) in files
        .iter()
        .flat_map(|f| formats.map(|m| (f, m)))
        .enumerate()
    {
        let (one, three) = (tmp.join(format!("{i}-1")), tmp.join(format!("{i}-3")));
        let name = format!("{} {format:?}", f.file_name().unwrap().to_string_lossy());
        let status = run(f, &one, "1", format);
        assert_eq!(status, run(f, &three, "3", format), "{name}: exit status");
        if !one.exists() {
            continue;
        }
        let (a, b) = (tree_of(&one), tree_of(&three));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{name}"
        );
        for (k, v) in &a {
            assert!(b[k] == *v, "{name}: {k} differs");
        }
        several_folders += (a.keys().filter(|k| k.starts_with("mbox/")).count() > 2) as usize;
        let _ = std::fs::remove_dir_all(&one);
        let _ = std::fs::remove_dir_all(&three);
    }
    // Most files have folders enough for the threads to share.
    assert!(
        several_folders >= 15,
        "{several_folders} files with more than two mbox files"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// What a thread's own reading finds wrong with the file (here: a problem its opening of the
/// file is made to note) reaches the report once, as one thread's finding would.
#[test]
fn what_the_threads_find_wrong_with_the_file_is_reported() {
    let spec = pstgen::Spec {
        seed: 12,
        max_messages: 40,
        folders: 4,
        ..pstgen::Spec::default()
    };
    let (path, _) = common::generated("threads-problems", &spec);
    let out = std::env::temp_dir().join(format!("unpst-threads-problems-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let file = std::fs::File::open(&path).unwrap();
    let again = || -> unpst::Result<Pst> {
        let pst = Pst::open(Box::new(unpst::source::FileSource::new(file.try_clone()?)?))?;
        let seen = "damaged B-tree pages: seen by a thread".to_string();
        pst.ndb.problems.borrow_mut().push(seen);
        Ok(pst)
    };
    let pst = Pst::open_path(&path).unwrap();
    let workers = unpst::convert::parallel::Workers {
        count: 2,
        open: &again,
        root: &out,
    };
    let (mut sink, mut eml) = (DirTree::new(&out).unwrap(), DirTree::new(&out).unwrap());
    let opts = Options::from_formats(&["mbox"]).unwrap();
    let report = unpst::convert::convert_parallel(
        &pst,
        &mut sink,
        Some(&mut eml),
        &workers,
        &opts,
        "x",
        &mut |_| true,
    )
    .unwrap();
    sink.finish().unwrap();
    eml.finish().unwrap();
    let seen: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.contains("seen by a thread"))
        .collect();
    assert_eq!(seen.len(), 1, "{:?}", report.problems);
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(&path);
}

/// Two sibling folders of one name (Outlook refuses it; a PST may hold it) are two folders:
/// each gets its own mbox file and EML directory, and every message of both is written —
/// they were given one name, and the second folder's mbox replaced the first's.
#[test]
fn sibling_folders_of_one_name_each_keep_their_messages() {
    let spec = pstgen::Spec {
        seed: 4,
        max_messages: 40,
        folders: 2,
        depth: 1,
        items: false,
        names: vec!["Same".into(), "Same".into()],
        ..pstgen::Spec::default()
    };
    let (file, summary) = common::generated("same-name", &spec);
    let written: u32 = summary
        .folders
        .iter()
        .filter(|(p, _)| p == &["Same"])
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        summary
            .folders
            .iter()
            .filter(|(p, _)| p == &["Same"])
            .count(),
        2
    );
    assert!(written >= 4, "{written} messages in the two folders");
    let out = std::env::temp_dir().join(format!("unpst-same-name-{}", std::process::id()));
    for threads in ["1", "2"] {
        let _ = std::fs::remove_dir_all(&out);
        let o = Command::new(env!("CARGO_BIN_EXE_unpst"))
            .arg("convert")
            .arg(&file)
            .arg("-o")
            .arg(&out)
            .args(["--format", "mbox,eml", "--threads", threads, "-q"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let named = |dir: &str| -> Vec<std::path::PathBuf> {
            std::fs::read_dir(out.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("Same"))
                .collect()
        };
        let mboxes = named("mbox");
        assert_eq!(mboxes.len(), 2, "{mboxes:?}");
        let in_mbox: usize = mboxes
            .iter()
            .map(|p| {
                let text = std::fs::read(p).unwrap();
                text.split(|&b| b == b'\n')
                    .filter(|l| l.starts_with(b"From "))
                    .count()
            })
            .sum();
        let emls = named("eml");
        assert_eq!(emls.len(), 2, "{emls:?}");
        let in_eml: usize = emls
            .iter()
            .map(|d| std::fs::read_dir(d).unwrap().count())
            .sum();
        assert_eq!(in_mbox, written as usize, "{threads} thread(s): mbox");
        assert_eq!(in_eml, written as usize, "{threads} thread(s): EML");
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(&file);
}
