fn main() {
    let pst = unpst::pst::Pst::open_path(std::env::args().nth(1).unwrap()).unwrap();
    for f in pst.folder_tree().unwrap().flatten() {
        if f.items == 0 {
            continue;
        }
        let folder = pst.folder(f.nid).unwrap();
        for id in pst.message_ids(&folder).unwrap() {
            let m = pst.message(id).unwrap();
            println!(
                "{:?} body={} html={} rtf={} native={:?}",
                m.subject(&pst),
                m.obj.has(0x1000),
                m.obj.has(0x1013),
                m.obj.has(0x1009),
                m.obj.i32(0x1016)
            );
        }
    }
}
