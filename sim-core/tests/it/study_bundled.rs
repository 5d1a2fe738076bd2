//! The bundled studies (`scenarios/studies/*.ron`): each loads without a
//! warning, and its opening comment says how to run it and how many runs
//! it makes, which must be what the file asks for; the teaching study's
//! points.csv is snapshotted.
//!
//! The run count a comment must state: points x replications for
//! `Fixed(n)` (`5,200 runs`), "at most" points x max for `Until`
//! (`at most 2,600 runs`).

use std::fs;

use sim_core::study::{self, RESULT_FILES, Rule, RunOptions};

use crate::support::{STUDIES, path, ron_files, scratch, with_commas, workspace_root};

/// The study files: `scenarios/studies/*.ron`, not the base scenarios in
/// its subdirectories.
fn study_files() -> Vec<String> {
    let files: Vec<String> = (ron_files("scenarios").into_iter())
        .filter(|f| {
            f.strip_prefix(STUDIES)
                .is_some_and(|rest| !rest.contains('/'))
        })
        .collect();
    assert!(!files.is_empty(), "no study in {STUDIES}");
    files
}

#[test]
fn every_bundled_study_loads_cleanly_and_its_comment_states_its_runs() {
    for file in study_files() {
        let loaded = study::load(&path(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(loaded.warnings.is_empty(), "{file}: {:?}", loaded.warnings);
        let text = fs::read_to_string(path(&file)).unwrap();
        let comment: String = (text.lines())
            .take_while(|l| l.starts_with("//"))
            .map(|l| format!("{}\n", l.trim_start_matches("//").trim()))
            .collect();
        let name = file.rsplit('/').next().unwrap();
        assert!(
            comment.starts_with(&format!("{name}: ")),
            "{file}: the comment opens with `// {name}: the question it answers`"
        );
        let command = format!("clustersim study {file}");
        assert!(
            comment.contains(&command),
            "{file}: the comment shows `{command}`"
        );
        let points = loaded.study.points.len() as u64;
        let runs = match loaded.study.rule {
            Rule::Fixed(n) => format!("{} runs", with_commas(points * n)),
            Rule::Until { max, .. } => format!("at most {} runs", with_commas(points * max)),
        };
        let flat = comment.replace('\n', " ");
        assert!(
            flat.contains(&runs),
            "{file}: {points} points under {:?}; the comment should say `{runs}`",
            loaded.study.rule
        );
    }
}

/// The teaching study (90 runs of the quickstart scenario) on one worker:
/// its per-point table, byte for byte. `UPDATE_EXPECT=1` rewrites it.
#[test]
fn the_teaching_study_points_match_their_snapshot() {
    let file = path("scenarios/studies/fcfs-easy-conservative.ron");
    let loaded = study::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let rows = study::run(&loaded, &RunOptions::quiet(1))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .rows;
    assert_eq!(rows.len(), 90);
    let out = scratch("study-bundled-teaching");
    study::write_results(&out, &loaded.study, &rows).unwrap();
    assert!(RESULT_FILES.contains(&"points.csv"));
    let points = fs::read_to_string(out.join("points.csv")).unwrap();
    let snapshot =
        workspace_root().join("sim-core/tests/snapshots/studies/fcfs-easy-conservative.points.csv");
    fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
    expect_test::expect_file![snapshot].assert_eq(&points);
    let _ = fs::remove_dir_all(&out);
}
