//! Thunderbird's "Local Folders" as an output: the mail folders under one new top folder named
//! after the PST — an empty mbox file `NAME` beside the directory `NAME.sbd` holding the tree
//! in Thunderbird's own layout (the mbox tree [`crate::convert`] writes) — which Thunderbird
//! lists after a restart, as folders ImportExportTools NG imports are laid out. Nothing
//! already there is touched: the name is one that is free both as `NAME` and `NAME.sbd`.

use super::names::sanitize;
use super::tree::TreeSink;
use crate::error::Result;

/// The top folder's name for a PST named `file` (`Outlook.pst` → `Outlook`), the first of
/// `Outlook`, `Outlook (2)`, … for which `taken` says neither `NAME` nor `NAME.sbd` exists.
pub fn top_name(file: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let stem = file
        .rsplit_once('.')
        .filter(|(s, ext)| {
            !s.is_empty() && matches!(ext.to_ascii_lowercase().as_str(), "pst" | "ost")
        })
        .map_or(file, |(s, _)| s);
    let stem = sanitize(stem);
    (1u32..)
        .map(|n| match n {
            1 => stem.clone(),
            n => format!("{stem} ({n})"),
        })
        .find(|name| !taken(name) && !taken(&format!("{name}.sbd")))
        .unwrap_or(stem)
}

/// A sink that puts the `mbox/` tree of a conversion under the top folder `NAME` of Local
/// Folders, and leaves out everything else (the EML tree, cards, report.json: Thunderbird
/// would take any file there for a folder).
pub struct LocalFolders<'a> {
    inner: &'a mut dyn TreeSink,
    sbd: String,
    skipping: bool,
}

impl<'a> LocalFolders<'a> {
    /// Writes the top folder's (empty) mbox file `top` into `inner`, the Local Folders
    /// directory; `top` comes from [`top_name`].
    pub fn new(inner: &'a mut dyn TreeSink, top: &str) -> Result<Self> {
        inner.begin(&[top.to_string()])?;
        inner.end()?;
        Ok(Self {
            inner,
            sbd: format!("{top}.sbd"),
            skipping: false,
        })
    }
}

impl TreeSink for LocalFolders<'_> {
    fn begin(&mut self, path: &[String]) -> Result<()> {
        match path.split_first() {
            Some((root, rest)) if root == "mbox" && !rest.is_empty() => {
                self.skipping = false;
                let mut p = vec![self.sbd.clone()];
                p.extend_from_slice(rest);
                self.inner.begin(&p)
            }
            _ => {
                self.skipping = true;
                Ok(())
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match self.skipping {
            true => Ok(()),
            false => self.inner.write(bytes),
        }
    }

    fn end(&mut self) -> Result<()> {
        match std::mem::take(&mut self.skipping) {
            true => Ok(()),
            false => self.inner.end(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::MemTree;

    #[test]
    fn the_top_folder_takes_a_free_name_and_only_the_mbox_tree_goes_under_it() {
        let taken = |n: &str| ["Outlook", "Archive (2).sbd"].contains(&n);
        assert_eq!(top_name("Outlook.pst", &taken), "Outlook (2)");
        assert_eq!(top_name("Archive.OST", &taken), "Archive");
        assert_eq!(
            top_name("Archive.pst", &|n| n.starts_with("Archive")
                && !n.starts_with("Archive (3)")),
            "Archive (3)"
        );
        assert_eq!(top_name("a/b:c.pst", &|_| false), "a_b_c");
        assert_eq!(top_name("mail.backup", &|_| false), "mail.backup");
        let mut mem = MemTree::default();
        {
            let mut lf = LocalFolders::new(&mut mem, "Outlook (2)").unwrap();
            for (path, text) in [
                (&["mbox", "Inbox"][..], "From a\n"),
                (&["eml", "Inbox", "00001 x.eml"][..], "no"),
                (&["mbox", "Inbox.sbd", "Sub"][..], "From b\n"),
                (&["report.json"][..], "{}"),
            ] {
                let p: Vec<String> = path.iter().map(|s| s.to_string()).collect();
                lf.begin(&p).unwrap();
                lf.write(text.as_bytes()).unwrap();
                lf.end().unwrap();
            }
        }
        let files: Vec<(&str, &[u8])> = mem
            .files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        assert_eq!(
            files,
            [
                ("Outlook (2)", &b""[..]),
                ("Outlook (2).sbd/Inbox", b"From a\n"),
                ("Outlook (2).sbd/Inbox.sbd/Sub", b"From b\n"),
            ]
        );
    }
}
