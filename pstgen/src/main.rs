//! `unpst-gen OUT.pst [--size 100M] [--seed N] [--messages N] [--encryption none|compressible|high]
//! [--format unicode|ansi|4k] [--max-attachment 50M] [--first-attachment 2G] [--wrap CLASS,SUBJECT,MIME,FILE]… [--folders N] [--depth N] [--no-items] [--one-folder]
//! [--deleted N] [--deleted-cards N]`; with deleted items, each one's folder and subject
//! follow the summary line, one per line (`deleted: FOLDER/PATH\tSUBJECT`).

use std::process::ExitCode;

fn bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    Some((num.parse::<f64>().ok()? * mult as f64) as u64)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut spec = pstgen::Spec::default();
    let mut out = None;
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--size" => spec.target_bytes = bytes(&v).unwrap_or(spec.target_bytes),
            "--seed" => spec.seed = v.parse().unwrap_or(1),
            "--messages" => spec.max_messages = v.parse().unwrap_or(u64::MAX),
            "--max-attachment" => spec.max_attachment = bytes(&v).unwrap_or(spec.max_attachment),
            "--first-attachment" => spec.first_attachment = bytes(&v),
            "--wrap" => {
                // CLASS,SUBJECT,MIME-TYPE,FILE: an S/MIME message with FILE as its content.
                let f: Vec<&str> = v.splitn(4, ',').collect();
                let data = f.get(3).and_then(|p| std::fs::read(p).ok());
                let (Some(data), [class, subject, mime, _]) = (data, f.as_slice()) else {
                    eprintln!("unpst-gen: --wrap CLASS,SUBJECT,MIME-TYPE,FILE (a readable file)");
                    return ExitCode::from(2);
                };
                spec.wrapped.push(pstgen::Wrapped {
                    class: class.to_string(),
                    subject: subject.to_string(),
                    file_name: "smime.p7m".into(),
                    mime_tag: mime.to_string(),
                    data,
                });
            }
            "--format" => {
                spec.format = match v.as_str() {
                    "ansi" => pstgen::Format::Ansi,
                    "4k" => pstgen::Format::Unicode4k,
                    _ => pstgen::Format::Unicode,
                }
            }
            "--folders" => spec.folders = v.parse().unwrap_or(spec.folders),
            "--depth" => spec.depth = v.parse().unwrap_or(spec.depth),
            "--per-folder" => spec.per_folder = v.parse().unwrap_or(spec.per_folder),
            "--deleted" => spec.deleted = v.parse().unwrap_or(0),
            "--deleted-cards" => spec.deleted_cards = v.parse().unwrap_or(0),
            "--encryption" => {
                spec.encryption = match v.as_str() {
                    "none" => pstgen::Encryption::None,
                    "high" | "cyclic" => pstgen::Encryption::Cyclic,
                    _ => pstgen::Encryption::Permute,
                }
            }
            "--no-items" => {
                spec.items = false;
                i += 1;
                continue;
            }
            "--one-folder" => {
                spec.one_folder = true;
                i += 1;
                continue;
            }
            "-h" | "--help" => {
                eprintln!(
                    "usage: unpst-gen OUT.pst [--size 100M] [--seed N] [--messages N] [--encryption none|compressible|high] [--format unicode|ansi|4k] [--max-attachment 50M] [--first-attachment 2G] [--wrap CLASS,SUBJECT,MIME,FILE]… [--folders N] [--depth N] [--per-folder N] [--no-items] [--one-folder] [--deleted N] [--deleted-cards N]"
                );
                return ExitCode::SUCCESS;
            }
            p => {
                out = Some(p.to_string());
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    let Some(out) = out else {
        eprintln!("unpst-gen: give an output file (see --help)");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::create(&out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("unpst-gen: {out}: {e}");
            return ExitCode::from(2);
        }
    };
    let t = std::time::Instant::now();
    let mut last = 0;
    let res = pstgen::generate(
        std::io::BufWriter::with_capacity(1 << 20, file),
        &spec,
        |size, n| {
            if size >> 28 != last {
                last = size >> 28;
                eprint!("\r{} MB, {n} messages", size >> 20);
            }
        },
    );
    match res {
        Ok(s) => {
            eprintln!();
            println!(
                "{out}: {} bytes, {} messages ({} attachments, {} embedded), {} contacts, {} appointments, {} folders, {:.1} s",
                s.bytes,
                s.messages,
                s.attachments,
                s.embedded,
                s.contacts,
                s.appointments,
                s.folders.len(),
                t.elapsed().as_secs_f64()
            );
            for (folder, subject) in s.deleted.iter().chain(&s.deleted_cards) {
                println!("deleted: {}\t{subject}", folder.join("/"));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("unpst-gen: {e}");
            ExitCode::from(1)
        }
    }
}
