//! sim-gui's integration tests, one binary: the viewer driven as a user
//! would (`ui`), its pixels (`snapshot`), and the timeline against
//! independent oracles (`timeline`).

use std::path::{Path, PathBuf};

mod snapshot;
mod timeline;
mod ui;

/// A file of the workspace, by its path from the root.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}
