fn main() {
    let path = std::env::args().nth(1).unwrap();
    let pst = match unpst::pst::Pst::open_path(&path) {
        Ok(p) => p,
        Err(e) => {
            println!("ERR {e}");
            return;
        }
    };
    println!(
        "{:?} cp={} name={:?} ipm={:?}",
        pst.header().format,
        pst.codepage,
        pst.display_name,
        pst.ipm_subtree
    );
    let tree = pst.folder_tree().unwrap();
    for f in tree.flatten() {
        println!(
            "  {:?} items={} unread={} assoc={} class={:?} err={:?}",
            f.path.join("/"),
            f.items,
            f.unread,
            f.associated,
            f.class,
            f.error
        );
    }
}
