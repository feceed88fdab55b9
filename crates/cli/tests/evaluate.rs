//! The errors of `rwenas evaluate`: its size flags, its data and its weights file.

mod common;

use common::{cifar_batches, failing};

#[test]
fn zero_sizes_name_the_flag() {
    // The flags are checked before the data loads, so no data set is needed.
    for flag in ["--epochs", "--valid-size", "--train-size"] {
        let stderr = failing(&[
            "evaluate",
            "--arch",
            "darts_v2",
            "--data",
            "/nonexistent",
            flag,
            "0",
        ]);
        assert!(
            stderr.contains(&format!("{flag} is 0 but must be at least 1")),
            "{flag}: {stderr}"
        );
        assert!(!stderr.contains("configuration"), "{stderr}");
    }
}

#[test]
fn negative_seed_names_the_flag() {
    let stderr = failing(&["evaluate", "--arch", "darts_v2", "--seed", "-1"]);
    assert!(
        stderr.contains("invalid value '-1' for '--seed"),
        "{stderr}"
    );
}

#[test]
fn space_without_genome_is_rejected() {
    let stderr = failing(&["evaluate", "--arch", "darts_v2", "--space", "macro"]);
    assert!(
        stderr.contains("--space applies only to a --genome file"),
        "{stderr}"
    );
}

#[test]
fn absent_data_path_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent");
    let stderr = failing(&[
        "evaluate",
        "--arch",
        "darts_v2",
        "--data",
        absent.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains(&format!("data path {} does not exist", absent.display())),
        "{stderr}"
    );
    assert!(stderr.contains("--data"), "{stderr}");
    assert!(!stderr.contains("looked for"), "{stderr}");
}

#[test]
fn empty_data_folder_lists_layouts_once() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = failing(&[
        "evaluate",
        "--arch",
        "darts_v2",
        "--data",
        dir.path().to_str().unwrap(),
    ]);
    let error = stderr.lines().next().unwrap_or_default();
    assert!(error.contains("no dataset found"), "{stderr}");
    assert_eq!(stderr.matches("no dataset found").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("data set found").count(), 0, "{stderr}");
    assert!(error.contains("cifar-10-batches-bin"), "{stderr}");
    assert!(error.contains("train/"), "{stderr}");
}

#[test]
fn weights_not_a_model_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("weights.bin");
    std::fs::write(&weights, "plain text, not a model").unwrap();
    let stderr = failing(&[
        "evaluate",
        "--arch",
        "darts_v2",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--weights",
        weights.to_str().unwrap(),
    ]);
    assert!(stderr.contains("is not a saved model"), "{stderr}");
    assert!(stderr.contains("rwenas train"), "{stderr}");
    assert!(!stderr.contains("--channels"), "{stderr}");
}

#[test]
fn weights_folder_names_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = failing(&[
        "evaluate",
        "--arch",
        "darts_v2",
        "--weights",
        dir.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("is a folder"), "{stderr}");
    assert!(stderr.contains("`model` file"), "{stderr}");
}
