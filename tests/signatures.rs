//! Signatures: found in a PST's sent mail (corpus), and read from an Outlook signatures
//! folder (a fixture built here: `.htm` with its localized `_files` images, `.txt`),
//! exported with the images inlined — rendering like the original in Chromium.

mod common;

use std::path::Path;
use std::process::Command;
use unpst::convert::{Options, convert};
use unpst::pst::Pst;
use unpst::sink::MemTree;

/// A 24×12 PNG in four colour blocks.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAMCAIAAAD3UuoiAAAAIUlEQVR4nGM4oVFBEMkRgRhGDaKrQXcIIjki0KhBdDQIABIEbbBG6N28AAAAAElFTkSuQmCC";

fn png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(PNG)
        .unwrap()
}

#[test]
fn sent_mail_signatures_and_accounts_in_the_report() {
    let Some(dir) = common::corpus() else { return };
    let pst = Pst::open_path(dir.join("go-pst-support.pst")).unwrap();
    let mut sink = MemTree::default();
    let opts = Options {
        mbox: false,
        eml: false,
        vcf: false,
        ics: false,
        signatures: true,
        folders: None,
        recover: false,
    };
    let rep = convert(&pst, &mut sink, &opts, "x", &mut |_| true).unwrap();
    let accounts: Vec<(&str, u32)> = rep
        .accounts
        .iter()
        .map(|a| (a.address.as_str(), a.sent))
        .collect();
    assert_eq!(
        accounts,
        [
            ("support@hackingteam.com", 8),
            ("support@hackingteam.it", 3)
        ]
    );
    // The block that ends four different messages of the .com account (the announcements
    // it also sent several times over count once: a repeated text is no signature).
    let s = &rep.signatures[0];
    assert_eq!(
        (s.account.as_str(), s.name.as_str(), s.uses, s.html),
        ("support@hackingteam.com", "Signature 1", 4, false)
    );
    assert_eq!(
        s.text,
        "Kind regards,\nRCS Support\nSupport Center: https://support.hackingteam.com/index.php?"
    );
    let file = sink
        .files
        .get("signatures/support@hackingteam.com/Signature 1.txt")
        .unwrap();
    assert_eq!(String::from_utf8_lossy(file), format!("{}\n", s.text));
    let prefs = String::from_utf8_lossy(sink.files.get("signatures/thunderbird-user.js").unwrap())
        .into_owned();
    assert!(
        prefs.contains(
            "user_pref(\"mail.identity.idN.htmlSigText\", \"Kind regards,\\nRCS Support\\n"
        ),
        "{prefs}"
    );
    // Seven copies of one lorem-ipsum message are no signature.
    let pst = Pst::open_path(dir.join("pst2john-97-outlook-pass12345-ansi.pst")).unwrap();
    let rep = convert(&pst, &mut MemTree::default(), &opts, "x", &mut |_| true).unwrap();
    assert!(rep.signatures.is_empty(), "{:?}", rep.signatures);
    let pst = Pst::open_path(dir.join("aspose-Outlook.pst")).unwrap();
    let rep = convert(&pst, &mut MemTree::default(), &opts, "x", &mut |_| true).unwrap();
    assert_eq!(
        (
            rep.store.as_str(),
            rep.accounts[0].address.as_str(),
            rep.accounts[0].sent
        ),
        ("Outlook", "saqib.razzaq@xp.local", 6)
    );
}

/// An Outlook signatures folder as Outlook writes it (German Outlook: `-Dateien`).
fn fixture(dir: &Path) {
    std::fs::create_dir_all(dir.join("Büro-Dateien")).unwrap();
    std::fs::create_dir_all(dir.join("Privat_files")).unwrap();
    std::fs::write(dir.join("Büro-Dateien/image001.png"), png()).unwrap();
    std::fs::write(dir.join("Privat_files/my logo.png"), png()).unwrap();
    // Windows-1252, as Outlook saves it.
    let buero = "<html><head><meta http-equiv=Content-Type content=\"text/html; charset=windows-1252\">\
<style>p.MsoNormal{margin:0;font-family:sans-serif;font-size:14px;color:#1F3864}</style></head>\
<body lang=DE><div class=WordSection1><p class=MsoNormal>Jana Müller<br>Beispiel &amp; Partner GmbH</p>\
<p class=MsoNormal><img width=96 height=48 src=\"Büro-Dateien/image001.png\" alt=Logo></p></div></body></html>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(buero);
    std::fs::write(dir.join("Büro.htm"), bytes).unwrap();
    std::fs::write(
        dir.join("Büro.txt"),
        "Jana Müller\r\nBeispiel & Partner GmbH\r\n",
    )
    .unwrap();
    std::fs::write(dir.join("Büro.rtf"), "{\\rtf1 ignored}").unwrap();
    std::fs::write(
        dir.join("Privat.htm"),
        "<html><head><meta charset=utf-8></head><body><p style=\"font:16px serif\">Jana 🌻</p><img src='Privat_files/my%20logo.png' width=48 height=24></body></html>",
    )
    .unwrap();
}

#[test]
fn signatures_folder_exports_with_images_inlined_and_renders_the_same() {
    let root = std::env::temp_dir().join(format!("unpst-sig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let src = root.join("Signatures");
    fixture(&src);
    let out = root.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_unpst"))
        .args(["signatures", "--from"])
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("signatures/Büro/Büro.html")).unwrap();
    assert!(
        html.contains(&format!("src=\"data:image/png;base64,{PNG}\"")),
        "{html}"
    );
    assert!(html.contains("Jana Müller") && !html.contains("Dateien/"));
    assert_eq!(
        std::fs::read_to_string(out.join("signatures/Büro/Büro.txt")).unwrap(),
        "Jana Müller\r\nBeispiel & Partner GmbH\n"
    );
    let privat = std::fs::read_to_string(out.join("signatures/Privat/Privat.html")).unwrap();
    assert!(
        privat.contains(&format!("src='data:image/png;base64,{PNG}'")),
        "{privat}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("signatures/Privat/Privat.txt")).unwrap(),
        "Jana 🌻\n"
    );
    let prefs = std::fs::read_to_string(out.join("signatures/thunderbird-user.js")).unwrap();
    assert_eq!(prefs.matches("htmlSigFormat\", true").count(), 2);

    // The exported file renders exactly like the original with its image folder.
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let ready = e2e.join("node_modules/playwright-core").is_dir()
        && Path::new("/usr/bin/chromium").exists();
    if !ready {
        assert!(
            std::env::var("UNPST_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "Chromium or playwright-core missing"
        );
        common::skipped("no Chromium / playwright-core; the render comparison did not run");
    } else {
        for (orig, exported) in [
            ("Büro.htm", "signatures/Büro/Büro.html"),
            ("Privat.htm", "signatures/Privat/Privat.html"),
        ] {
            let o = Command::new("node")
                .arg("same_render.mjs")
                .arg(src.join(orig))
                .arg(out.join(exported))
                .current_dir(&e2e)
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&o.stdout).trim(),
                "same",
                "{orig}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}
