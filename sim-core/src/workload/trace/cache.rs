//! Parsed traces shared by the scenarios of one study.
//!
//! A study loads one scenario per point, and the points of a trace study
//! differ in options applied after parsing (`interarrival_scale`, the
//! window, the machine's size), never in the file. A [`TraceCache`] reads
//! and parses each file once and converts the shared records for each
//! point with that point's options.
//!
//! Invariants:
//! - what [`TraceCache::import_file`] returns is what
//!   [`super::import_file`] returns for the same arguments: the same jobs,
//!   report and errors;
//! - an entry is keyed by the file's canonical path, length, modification
//!   time and format, so a file changed between two loads is read again;
//!   errors are not kept;
//! - the cache holds what it parsed until it is dropped: make one per
//!   study load, not one per process.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use super::{
    ImportOptions, ImportReport, Parsed, TraceFormat, TraceJob, check_options, convert_records,
    parse_file,
};
use crate::text::FileError;

/// Parsed trace files, by file and format.
#[derive(Default)]
pub struct TraceCache {
    entries: Mutex<Vec<(Key, Arc<Parsed>)>>,
    files_read: AtomicU64,
}

/// What identifies a file's content without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Key {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
    format: TraceFormat,
}

impl std::fmt::Debug for TraceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceCache")
            .field("files_read", &self.files_read())
            .finish_non_exhaustive()
    }
}

impl TraceCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many trace files it has read and parsed.
    pub fn files_read(&self) -> u64 {
        self.files_read.load(Ordering::Relaxed)
    }

    /// [`super::import_file`], parsing `path` only the first time it is
    /// asked for (in `format`).
    pub fn import_file(
        &self,
        path: &Path,
        format: TraceFormat,
        options: &ImportOptions,
    ) -> Result<(Vec<TraceJob>, ImportReport), FileError> {
        let shown = path.display().to_string();
        check_options(&shown, options)?;
        // A file whose metadata cannot be read is not kept: the import
        // then says why it cannot be read.
        let Some(key) = key(path, format.clone()) else {
            return super::import_file(path, format, options);
        };
        let parsed = match self.find(&key) {
            Some(parsed) => parsed,
            None => {
                self.files_read.fetch_add(1, Ordering::Relaxed);
                let parsed = Arc::new(parse_file(path, format)?);
                let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
                entries.push((key, Arc::clone(&parsed)));
                parsed
            }
        };
        Ok(convert_records(
            &parsed,
            parsed.jobs.iter().cloned(),
            options,
        ))
    }

    fn find(&self, key: &Key) -> Option<Arc<Parsed>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        (entries.iter())
            .find(|(k, _)| k == key)
            .map(|(_, parsed)| Arc::clone(parsed))
    }
}

fn key(path: &Path, format: TraceFormat) -> Option<Key> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(Key {
        path: path.canonicalize().ok()?,
        len: metadata.len(),
        modified: metadata.modified().ok(),
        format,
    })
}
