//! `rwenas evaluate --front` against the search that wrote the front, and the commands
//! pointed at a search folder in place of a training run.

mod common;

use common::{failing, read_json, run, rwenas, small_search};
use rwenas::genome::Genome;

/// Runs `rwenas evaluate` with `args` from `cwd` and returns its `--json` report.
fn evaluate_json(cwd: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut command = rwenas(&["evaluate", "--json"]);
    command.args(args).current_dir(cwd);
    let output = run(&mut command);
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

#[test]
fn front_entry_reproduces_search_score() {
    let temporary = tempfile::tempdir().unwrap();
    let search = temporary.path().join("search");
    run(&mut small_search(&search, "3"));
    let front = read_json(&search.join("front.json"));
    let first = &front[0];
    let genes: Vec<i64> = serde_json::from_value(first["genome"].clone()).expect("genome");
    let expected_seed = 3 ^ Genome::new(genes).stable_hash();
    let search_dir = search.to_str().unwrap();

    // No --data: the data path, sizes and epochs come from the search's config.json. The
    // working directory has no data/cifar10, so the default path cannot be read.
    let report = evaluate_json(temporary.path(), &["--front", search_dir, "--index", "1"]);
    assert_eq!(report["seed"].as_u64(), Some(expected_seed));
    assert_eq!(report["train_size"], 100);
    assert_eq!(report["valid_size"], 50);
    assert_eq!(report["rwe_error"], first["rwe_error"]);

    // Flags override the search's settings.
    let report = evaluate_json(
        temporary.path(),
        &[
            "--front",
            search_dir,
            "--index",
            "1",
            "--seed",
            "5",
            "--valid-size",
            "100",
        ],
    );
    assert_eq!(report["seed"], 5);
    assert_eq!(report["valid_size"], 100);
    assert_eq!(report["train_size"], 100);

    // `train --out` on the search folder does not suggest resuming it as a training run.
    let stderr = failing(&["train", "--arch", "darts_v2", "--out", search_dir]);
    assert!(
        stderr.contains("it contains a search (`rwenas search`), not a training run"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--front {search_dir}")),
        "{stderr}"
    );
    assert!(!stderr.contains("--resume"), "{stderr}");

    // `train --resume` on it names the kind of folder instead of a parse error.
    let stderr = failing(&["train", "--resume", search_dir]);
    assert!(
        stderr.contains(&format!(
            "{search_dir} contains a search (`rwenas search`), not a training run"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("missing field"), "{stderr}");
}

#[test]
fn other_data_is_reported() {
    let temporary = tempfile::tempdir().unwrap();
    let search = temporary.path().join("search");
    run(&mut small_search(&search, "4"));

    let other = common::rotated_batches(temporary.path());

    let mut command = rwenas(&["evaluate", "--json", "--front"]);
    command.arg(&search).args(["--index", "1"]);
    let output = run(&mut command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("not the data"), "{stderr}");

    command.arg("--data").arg(&other);
    let output = run(&mut command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the data is not the data the search read"),
        "{stderr}"
    );
}
