fn main() {
    let path = std::env::args().nth(1).unwrap();
    let pst = unpst::pst::Pst::open_path(&path).unwrap();
    println!("STORE");
    for (id, p) in &pst.store.pc.props {
        println!("  {id:#06x} {:#06x} {:?}", p.ptype, short(&p.data));
    }
    let tree = pst.folder_tree().unwrap();
    for f in tree.flatten() {
        if f.items == 0 {
            continue;
        }
        let folder = pst.folder(f.nid).unwrap();
        for id in pst.message_ids(&folder).unwrap().into_iter().take(1) {
            let m = pst.message(id).unwrap();
            println!("MSG {id:#x} in {:?}", f.path);
            for (id, p) in &m.obj.pc.props {
                println!("  {id:#06x} {:#06x} {:?}", p.ptype, short(&p.data));
            }
        }
    }
}
fn short(d: &unpst::pst::ltp::PropData) -> String {
    match d {
        unpst::pst::ltp::PropData::Bytes(b) => format!("{:02x?}", &b[..b.len().min(24)]),
        x => format!("{x:?}"),
    }
}
