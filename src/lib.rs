//! unpst: a clean-room reader for Outlook PST/OST files and a faithful converter to
//! mbox and EML.
//!
//! The data walks one way: [`source`] (bytes) → [`pst`] (MS-PST) → `mime` (MS-OXCMAIL)
//! → `sink` (mbox, EML, zip), with a report of everything converted, deferred or skipped.

pub mod codepage;
pub mod convert;
pub mod error;
pub mod items;
pub mod mime;
pub mod preview;
pub mod pst;
#[cfg(not(target_arch = "wasm32"))]
pub mod relay;
pub mod report;
pub mod search;
pub mod signatures;
pub mod sink;
pub mod source;
pub mod upload;
pub mod util;

pub use error::{Error, Result};

#[cfg(target_arch = "wasm32")]
pub mod wasm;
