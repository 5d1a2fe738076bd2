//! sim-gui's integration tests, one binary: the viewer driven as a user
//! would (`ui`), its pixels (`snapshot`), the timeline against
//! independent oracles (`timeline`), failures and node states from a
//! hand-written version-4 trace (`failures`), and a study's results, their
//! plot against the runner's rows and a point opened as its replication
//! (`study`).

use std::path::{Path, PathBuf};

mod failures;
mod snapshot;
mod study;
mod timeline;
mod ui;

/// A file of the workspace, by its path from the root.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}
