//! The boundaries ARCHITECTURE.md states, checked on the source text so
//! that they hold by construction rather than by prose:
//!
//! - dependency direction: a module of `sim_core` imports only modules
//!   before it in [`LAYERS`] (its own children aside);
//! - model types carry no serde `Deserialize`: only `scenario` (the file
//!   schema), `metrics` (the trace reader) and `study/file.rs` (study files,
//!   shards and results) read serialized data;
//! - the viewer uses only the library's front door: `scenario`,
//!   `simulation`, `study`, `metrics` and `units`.
//!
//! Each check is also run on a deliberately bad input, so a check that
//! stopped finding anything would fail too.

use std::fs;
use std::path::Path;

use crate::support::path;

/// sim-core's modules, lowest first: each may import only those before it.
pub const LAYERS: [&str; 18] = [
    "engine",
    "text",
    "units",
    "hardware",
    "fabric",
    "power",
    "cost",
    "collective",
    "training",
    "reliability",
    "workload",
    "scheduler",
    "metrics",
    "scenario",
    "import",
    "simulation",
    "study",
    "tco",
];

/// What sim-gui may import from sim-core.
const VIEWER_MAY_USE: [&str; 5] = ["scenario", "simulation", "study", "metrics", "units"];

/// Every `.rs` file under `dir` with its text, sorted by path.
fn sources(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push((p.display().to_string(), fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The text without comments (line comments and doc comments), so that
/// prose naming a module is not taken for an import.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `prefix` (`crate` or `sim_core`) paths name in
/// `code`: `crate::a::b` gives `a`, `use crate::{a::x, b}` gives `a` and
/// `b`.
fn named_modules(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let needle = format!("{prefix}::");
    let mut rest = code;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `my_crate::`, not `crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            // A grouped import: the first segment of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphabetic() || c == '_') => {
                        let name: String = group[i..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        found.push(name);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// The layer a file of `sim-core/src` belongs to (`scheduler/backfill.rs`
/// is `scheduler`), or `None` for the crate root and the binary.
fn layer_of(relative: &str) -> Option<&'static str> {
    let first = relative.split('/').next()?.trim_end_matches(".rs");
    LAYERS.iter().copied().find(|&layer| layer == first)
}

/// Upward imports in `files` (path relative to `src`, text).
fn upward_imports(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (relative, text) in files {
        let Some(layer) = layer_of(relative) else {
            continue;
        };
        let rank = LAYERS.iter().position(|&l| l == layer).unwrap();
        for module in named_modules(&code_of(text), "crate") {
            let Some(theirs) = LAYERS.iter().position(|&l| l == module) else {
                continue;
            };
            if theirs > rank {
                problems.push(format!(
                    "{relative}: `{layer}` imports `{module}`, which sits above it"
                ));
            }
        }
    }
    problems
}

fn library_files() -> Vec<(String, String)> {
    let src = path("sim-core/src");
    sources(&src)
        .into_iter()
        .map(|(p, text)| {
            let relative = Path::new(&p).strip_prefix(&src).unwrap();
            (relative.display().to_string().replace('\\', "/"), text)
        })
        .filter(|(relative, _)| !relative.starts_with("bin/"))
        .collect()
}

#[test]
fn every_layer_of_the_library_is_known() {
    let mut unknown: Vec<String> = library_files()
        .iter()
        .map(|(relative, _)| relative.clone())
        .filter(|r| r != "lib.rs" && layer_of(r).is_none())
        .collect();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "files outside every layer (add their module to LAYERS and to ARCHITECTURE.md): {unknown:?}"
    );
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let problems = upward_imports(&library_files());
    assert!(
        problems.is_empty(),
        "the dependency order is {LAYERS:?}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_direction_check_catches_an_upward_import() {
    let bad = vec![
        (
            "metrics/trace.rs".to_string(),
            "use crate::engine::SimTime;\nuse crate::scheduler::NodeGpus;\n".to_string(),
        ),
        (
            "units.rs".to_string(),
            "// crate::simulation is only named in a comment\nuse crate::{engine::SimDuration, hardware::Catalog};\n"
                .to_string(),
        ),
        (
            "engine/run.rs".to_string(),
            "fn f() -> sim_core::metrics::Summary { todo!() }\n".to_string(),
        ),
    ];
    assert_eq!(
        upward_imports(&bad),
        vec!["units.rs: `units` imports `hardware`, which sits above it".to_string()],
        "metrics may use the scheduler, a comment is no import, and only `crate::` paths count"
    );
    let bad = vec![(
        "scheduler/mod.rs".to_string(),
        "use crate::metrics::JobState;".to_string(),
    )];
    assert_eq!(upward_imports(&bad).len(), 1);
}

/// Files deriving or implementing `Deserialize` outside the two layers
/// that read serialized data.
fn deserializing_model_files(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(relative, _)| {
            !(relative.starts_with("scenario/")
                || relative == "metrics/trace.rs"
                || relative == "study/file.rs")
        })
        .filter(|(_, text)| code_of(text).contains("Deserialize"))
        .map(|(relative, _)| relative.clone())
        .collect()
}

#[test]
fn no_model_type_derives_deserialize() {
    let files = library_files();
    assert_eq!(deserializing_model_files(&files), Vec::<String>::new());
    let bad = vec![(
        "training/layout.rs".to_string(),
        "#[derive(Clone, serde::Deserialize)]\npub struct Layout;".to_string(),
    )];
    assert_eq!(deserializing_model_files(&bad), vec!["training/layout.rs"]);
}

#[test]
fn the_viewer_uses_only_the_front_door() {
    let mut used: Vec<String> = sources(&path("sim-gui"))
        .iter()
        .flat_map(|(_, text)| named_modules(&code_of(text), "sim_core"))
        .collect();
    used.sort();
    used.dedup();
    let outside: Vec<&String> = used
        .iter()
        .filter(|m| !VIEWER_MAY_USE.contains(&m.as_str()))
        .collect();
    assert!(
        outside.is_empty(),
        "sim-gui uses sim_core::{outside:?}; it may use {VIEWER_MAY_USE:?} (ARCHITECTURE.md, API boundaries)"
    );
    assert!(used.contains(&"simulation".to_string()), "{used:?}");
}
