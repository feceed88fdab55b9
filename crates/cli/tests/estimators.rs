//! Searches driven by an estimator other than RWE.

mod common;

use common::{failing, read_json, run, search_command};

#[test]
fn naswot_drives_a_search() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    run(search_command(&out, "2", "4", "2", "1").args(["--estimator", "naswot"]));

    let config = read_json(&out.join("config.json"));
    assert_eq!(config["estimator"], "naswot");
    let front = read_json(&out.join("front.json"));
    let front = front.as_array().expect("front.json is an array");
    assert!(!front.is_empty());
    for entry in front {
        // The objective of a proxy is its negated score; NASWOT's log-determinant of 16
        // images is far above 0 for any network with ReLUs.
        let objective = entry["rwe_error"].as_f64().expect("a scored entry");
        assert!(objective < 0.0, "{entry}");
    }
}

#[test]
fn unknown_estimator_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    let data = common::cifar_batches();
    let stderr = failing(&[
        "search",
        "--estimator",
        "synflw",
        "--data",
        data.to_str().unwrap(),
        "--no-download",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("synflw") && stderr.contains("choose from"),
        "{stderr}"
    );
}
