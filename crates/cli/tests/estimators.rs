//! Searches driven by an estimator other than RWE.

mod common;

use common::{failing, read_json, run, search_command};

#[test]
fn naswot_drives_a_search() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    let output = run(search_command(&out, "2", "4", "2", "1").args(["--estimator", "naswot"]));
    // A proxy's negated score has no fixed range, so no hypervolume is printed.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("hypervolume"), "stderr: {stderr}");

    let config = read_json(&out.join("config.json"));
    assert_eq!(config["estimator"], "naswot");
    let front = read_json(&out.join("front.json"));
    let front = front.as_array().expect("front.json is an array");
    assert!(!front.is_empty());
    for entry in front {
        // The objective of a proxy is its negated score; NASWOT's log-determinant of 16
        // images is far above 0 for any network with ReLUs.
        let objective = entry["objective"].as_f64().expect("a scored entry");
        assert!(objective < 0.0, "{entry}");
        assert_eq!(entry["estimator"], "naswot");
        assert!(entry["rwe_error"].is_null(), "{entry}");
    }
    let csv = std::fs::read_to_string(out.join("front.csv")).unwrap();
    assert!(csv.starts_with("rank,objective,"), "{csv}");
}

#[test]
fn resume_relabels_records_without_estimator() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    run(search_command(&out, "3", "4", "2", "1").args(["--estimator", "naswot"]));

    // Older versions wrote a proxy's objective to `rwe_error` and did not name the
    // estimator.
    let path = out.join("evaluations.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            let fields = record.as_object_mut().unwrap();
            let objective = fields.remove("objective").unwrap();
            fields.remove("estimator");
            fields.insert("rwe_error".into(), objective);
            record.to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    std::fs::remove_file(out.join("front.json")).unwrap();

    let mut resume = common::rwenas(&["search", "--resume"]);
    resume.arg(&out);
    run(&mut resume);
    let front = read_json(&out.join("front.json"));
    for entry in front.as_array().expect("front.json is an array") {
        assert_eq!(entry["estimator"], "naswot");
        assert!(entry["objective"].as_f64().is_some(), "{entry}");
        assert!(entry["rwe_error"].is_null(), "{entry}");
    }
    let csv = std::fs::read_to_string(out.join("front.csv")).unwrap();
    assert!(csv.starts_with("rank,objective,"), "{csv}");
    let records = std::fs::read_to_string(&path).unwrap();
    for line in records.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["estimator"], "naswot", "{line}");
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
