//! S/MIME (MS-OXOSMIME): a clear-signed, an opaque-signed and an encrypted message, made by
//! openssl with a throwaway certificate and stored by the generator as Outlook stores them
//! (the class, and the entity or CMS blob as the one attachment), come out of mbox, EML and
//! an IMAP upload so that `openssl smime -verify` passes on the signed ones and `-decrypt`
//! with the key gives back the content — openssl, not our code, is the judge.

mod common;

use common::dovecot::{Dovecot, USER};
use std::path::Path;
use std::process::Command;

const TEXT: &str = "The quarterly figures, as agreed.";

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs")
}

fn openssl_ok(dir: &Path, args: &[&str]) {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (subject, how openssl opens it) of each message.
const MESSAGES: [(&str, &str); 3] = [
    ("Signed report", "verify"),
    ("Opaque report", "verify"),
    ("Encrypted report", "decrypt"),
];

/// The three messages, signed and encrypted by openssl with a new certificate in `dir`.
fn make_messages(dir: &Path) -> Vec<pstgen::Wrapped> {
    openssl_ok(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=unpst test signer",
            "-days",
            "2",
        ],
    );
    let content = format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{TEXT}\r\n");
    std::fs::write(dir.join("content.txt"), content).unwrap();
    let sign = [
        "smime",
        "-sign",
        "-in",
        "content.txt",
        "-signer",
        "cert.pem",
        "-inkey",
        "key.pem",
    ];
    openssl_ok(dir, &[&sign[..], &["-out", "signed.txt"]].concat());
    openssl_ok(
        dir,
        &[
            &sign[..],
            &["-nodetach", "-outform", "DER", "-out", "opaque.der"],
        ]
        .concat(),
    );
    openssl_ok(
        dir,
        &[
            "smime",
            "-encrypt",
            "-aes256",
            "-in",
            "content.txt",
            "-outform",
            "DER",
            "-out",
            "encrypted.der",
            "cert.pem",
        ],
    );
    // The entity as a mail server delivers it, with CRLF line ends.
    let signed = String::from_utf8(std::fs::read(dir.join("signed.txt")).unwrap())
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let wrap = |class: &str, subject: &str, mime: &str, data: Vec<u8>| pstgen::Wrapped {
        class: class.into(),
        subject: subject.into(),
        file_name: "smime.p7m".into(),
        mime_tag: mime.into(),
        data,
    };
    vec![
        wrap(
            "IPM.Note.SMIME.MultipartSigned",
            MESSAGES[0].0,
            "multipart/signed",
            signed.into_bytes(),
        ),
        wrap(
            "IPM.Note.SMIME",
            MESSAGES[1].0,
            "application/pkcs7-mime",
            std::fs::read(dir.join("opaque.der")).unwrap(),
        ),
        wrap(
            "IPM.Note.SMIME",
            MESSAGES[2].0,
            "application/pkcs7-mime",
            std::fs::read(dir.join("encrypted.der")).unwrap(),
        ),
    ]
}

/// openssl verifies (against the certificate) or decrypts (with the key) `message`, and
/// gives back the content.
fn opens(dir: &Path, how: &str, message: &[u8], label: &str) {
    let file = dir.join("check.eml");
    std::fs::write(&file, message).unwrap();
    let args: Vec<&str> = if how == "verify" {
        vec![
            "smime",
            "-verify",
            "-CAfile",
            "cert.pem",
            "-in",
            "check.eml",
        ]
    } else {
        vec![
            "smime",
            "-decrypt",
            "-recip",
            "cert.pem",
            "-inkey",
            "key.pem",
            "-in",
            "check.eml",
        ]
    };
    let out = openssl(dir, &args);
    assert!(
        out.status.success(),
        "{label}: openssl {how}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(message)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(TEXT),
        "{label}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The page's preview says what openssl found: signed by the certificate's subject (the
/// name given to `openssl req`), with the signed text; or encrypted.
fn shows(message: &[u8], how: &str, subject: &str) {
    let p = unpst::preview::preview(message).unwrap();
    let s = p
        .security
        .unwrap_or_else(|| panic!("{subject}: no S/MIME in the preview"));
    if how == "verify" {
        assert_eq!(s.kind, "signed", "{subject}");
        assert_eq!(s.signer.as_deref(), Some("unpst test signer"), "{subject}");
    } else {
        assert_eq!(s.kind, "encrypted", "{subject}");
    }
    if subject == MESSAGES[0].0 {
        assert!(
            p.text.unwrap_or_default().contains(TEXT),
            "{subject}: the signed text"
        );
    }
}

/// The entries of an mboxrd file, unquoted.
fn mbox_entries(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in mbox.split(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(Vec::new());
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let quoted = line.starts_with(b">")
            && line[line.iter().position(|&b| b != b'>').unwrap_or(0)..].starts_with(b"From ");
        cur.extend_from_slice(if quoted { &line[1..] } else { line });
        cur.push(b'\n');
    }
    out
}

fn subject_of(message: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    text.lines()
        .take_while(|l| !l.trim().is_empty())
        .find_map(|l| l.strip_prefix("Subject: ").map(|s| s.trim().to_string()))
}

#[test]
fn signed_and_encrypted_messages_verify_and_decrypt_from_every_output() {
    let tmp = std::env::temp_dir().join(format!("unpst-smime-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let spec = pstgen::Spec {
        seed: 23,
        max_messages: 5,
        folders: 0,
        items: false,
        wrapped: make_messages(&tmp),
        ..pstgen::Spec::default()
    };
    let pst = tmp.join("smime.pst");
    let f = std::fs::File::create(&pst).unwrap();
    pstgen::generate(std::io::BufWriter::new(f), &spec, |_, _| {}).unwrap();
    let unpst = env!("CARGO_BIN_EXE_unpst");
    let out = tmp.join("out");
    let run = Command::new(unpst)
        .arg("convert")
        .arg(&pst)
        .arg("-o")
        .arg(&out)
        .args(["--format", "mbox,eml", "-q"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let mut seen = Vec::new();
    for f in common::files_below(&out) {
        let bytes = std::fs::read(&f).unwrap();
        let entries = if f.extension().is_some_and(|e| e == "eml") {
            vec![bytes]
        } else if f.starts_with(out.join("mbox")) {
            mbox_entries(&bytes)
        } else {
            continue;
        };
        for m in entries {
            let Some(subject) = subject_of(&m) else {
                continue;
            };
            if let Some((_, how)) = MESSAGES.iter().find(|(s, _)| *s == subject) {
                opens(&tmp, how, &m, &format!("{subject} in {}", f.display()));
                shows(&m, how, &subject);
                seen.push(subject);
            }
        }
    }
    seen.sort();
    assert_eq!(
        seen.len(),
        6,
        "each message in the mbox and as EML: {seen:?}"
    );

    if let Some(server) = Dovecot::start('/', "") {
        let up = server.upload(USER, &pst, &[]);
        assert!(
            up.status.success(),
            "{}",
            String::from_utf8_lossy(&up.stderr)
        );
        let mut stored = Vec::new();
        for f in common::files_below(&server.maildir(USER)) {
            let m = std::fs::read(&f).unwrap();
            let Some(subject) = subject_of(&m) else {
                continue;
            };
            if let Some((_, how)) = MESSAGES.iter().find(|(s, _)| *s == subject) {
                opens(&tmp, how, &m, &format!("{subject} on the server"));
                stored.push(subject);
            }
        }
        assert_eq!(stored.len(), 3, "{stored:?}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
