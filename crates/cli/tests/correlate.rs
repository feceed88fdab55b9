//! The `correlate` command on real CIFAR-10 images, at a size a test can afford.

mod common;

use std::path::Path;
use std::process::Command;

use common::{cifar_batches, run, rwenas};
use serde_json::Value;

/// Returns a study of 3 micro architectures scored by NASWOT and synflow, with one epoch
/// of training on 50 images as the ground truth.
fn small_study(out: &Path) -> Command {
    study_with_seed(out, "4")
}

fn study_with_seed(out: &Path, seed: &str) -> Command {
    let mut command = rwenas(&["correlate", "--space", "micro", "--samples", "3"]);
    command.args(["--estimators", "naswot,synflow", "--truth-epochs", "1"]);
    command.args(["--train-size", "100", "--valid-size", "50"]);
    command.args([
        "--truth-train-size",
        "50",
        "--proxy-batch",
        "16",
        "--seed",
        seed,
    ]);
    command
        .arg("--data")
        .arg(cifar_batches())
        .arg("--no-download");
    command.arg("--out").arg(out);
    command
}

fn log_lines(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("scores.jsonl"))
        .expect("the study writes its log")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn study_writes_correlations_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    let output = run(&mut small_study(&out));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("naswot") && table.contains("synflow"),
        "{table}"
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("correlation.json")).unwrap())
            .unwrap();
    for name in ["naswot", "synflow"] {
        let estimator = &report["estimators"][name];
        for field in ["spearman", "kendall", "seconds_per_arch"] {
            assert!(estimator[field].is_number(), "{name}.{field}: {estimator}");
        }
        let rho = estimator["spearman"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&rho), "{name}: {rho}");
        assert!(estimator["seconds_per_arch"].as_f64().unwrap() > 0.0);
        assert_eq!(estimator["architectures"], 3);
    }
    assert_eq!(report["samples"], 3);
    // 3 architectures x (2 estimators + the ground truth).
    assert_eq!(log_lines(&out).len(), 9);
    let svg = std::fs::read_to_string(out.join("correlation.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("naswot: rho"),
        "{svg}"
    );
}

#[test]
fn stopped_study_resumes_without_rescoring() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    run(&mut small_study(&out));
    let complete = log_lines(&out);

    // Keep the first 4 scores and half of the fifth line, as a study killed while writing it.
    let mut kept = complete[..4].join("\n");
    kept.push('\n');
    kept.push_str(&complete[4][..complete[4].len() / 2]);
    std::fs::write(out.join("scores.jsonl"), kept).unwrap();
    run(&mut small_study(&out));

    let resumed = log_lines(&out);
    assert_eq!(resumed.len(), complete.len());
    // The first 4 lines are the old ones, untouched; the rest were scored again.
    assert_eq!(resumed[..4], complete[..4]);
    let key = |line: &str| {
        let record: Value = serde_json::from_str(line).unwrap();
        (
            record["sample"].clone(),
            record["estimator"].clone(),
            record["genome"].clone(),
        )
    };
    let mut expected: Vec<_> = complete.iter().map(|line| key(line)).collect();
    let mut actual: Vec<_> = resumed.iter().map(|line| key(line)).collect();
    expected.sort_by_key(|k| format!("{k:?}"));
    actual.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(actual, expected);
}

#[test]
fn other_settings_in_the_same_folder_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    run(&mut small_study(&out));
    let output = study_with_seed(&out, "5").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("other settings"), "{stderr}");
    assert!(
        stderr.contains("seed 4 in config.json, 5 given"),
        "{stderr}"
    );
}

#[test]
fn rejected_command_leaves_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    let output = rwenas(&["correlate", "--samples", "1", "--no-download"])
        .arg("--data")
        .arg(cifar_batches())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("samples is 1"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn unknown_estimator_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let output = rwenas(&["correlate", "--estimators", "rwe,synflw", "--no-download"])
        .arg("--out")
        .arg(dir.path().join("study"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("synflw") && stderr.contains("choose from"),
        "{stderr}"
    );
}

#[test]
fn zero_counts_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    let cases = [
        ("--samples", "0", "--samples is 0 but must be at least 2"),
        (
            "--proxy-batch",
            "0",
            "--proxy-batch is 0 but must be at least 1",
        ),
        (
            "--train-epochs",
            "0",
            "--train-epochs is 0 but must be at least 1",
        ),
        ("--seed", "-1", "invalid value '-1' for '--seed"),
    ];
    for (flag, value, expected) in cases {
        let output = rwenas(&["correlate", "--no-download", flag, value])
            .arg("--data")
            .arg(dir.path().join("absent"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{flag}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{flag}: {stderr}");
        assert!(!out.exists());
    }
}

#[test]
fn absent_data_without_download_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent");
    let output = rwenas(&["correlate", "--no-download"])
        .arg("--data")
        .arg(&absent)
        .arg("--out")
        .arg(dir.path().join("study"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("data path {} does not exist", absent.display())),
        "{stderr}"
    );
    assert!(stderr.contains("drop --no-download"), "{stderr}");
    assert!(stderr.lines().count() <= 2, "{stderr}");
}
