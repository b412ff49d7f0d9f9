//! LTP layer (MS-PST §2.3): heap-on-node, BTree-on-heap, property and table contexts.

pub mod bth;
pub mod heap;
pub mod pc;
pub mod prop;
pub mod tc;

pub use heap::Heap;
pub use pc::PropContext;
pub use prop::{PropData, PropType};
pub use tc::TableContext;
