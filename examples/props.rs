//! Developer tool: `cargo run --example props FILE` lists every item (NID, class, subject);
//! `cargo run --example props FILE NID` dumps one item's properties (named ones resolved
//! to their set and id).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(file) = args.get(1) else {
        eprintln!("usage: props FILE [NID]");
        std::process::exit(2);
    };
    let pst = match unpst::pst::Pst::open_path(file) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{file}: {e}");
            std::process::exit(2);
        }
    };
    let Some(nid) = args.get(2) else {
        let Ok(tree) = pst.folder_tree() else { return };
        for f in tree.flatten() {
            for (row, _) in unpst::convert::FolderItems::new(&pst, f.nid) {
                println!(
                    "{:#x}\t{}\t{}\t{}",
                    row.nid,
                    f.path.join("/"),
                    row.class,
                    row.subject
                );
            }
        }
        return;
    };
    let raw = u32::from_str_radix(nid.trim_start_matches("0x"), 16).unwrap_or(0);
    let nid = match unpst::pst::messaging::Nid::try_from(raw) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let m = match pst.message(nid) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{nid:#x}: {e}");
            std::process::exit(2);
        }
    };
    let names = pst.named.names();
    for (id, p) in &m.obj.pc.props {
        let name = names.get(id).map(|n| format!("{n:?}")).unwrap_or_default();
        let value = m
            .obj
            .string(&pst.ndb, *id, m.codepage)
            .or_else(|| m.obj.i32(*id).map(|v| v.to_string()))
            .or_else(|| m.obj.time(*id).map(|t| format!("unix {t}")))
            .unwrap_or_default();
        let value: String = value.chars().take(100).collect();
        println!("{id:#06x} {:#06x} {name} {value}", p.ptype);
    }
}
