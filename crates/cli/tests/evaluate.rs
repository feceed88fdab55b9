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

#[test]
fn missing_architecture_names_the_flags() {
    let stderr = failing(&["evaluate", "--data", "/nonexistent"]);
    assert!(stderr.contains("no architecture given"), "{stderr}");
    assert!(stderr.contains("--arch NAME"), "{stderr}");
    assert!(stderr.contains("--weights FILE"), "{stderr}");
}

#[test]
fn front_without_search_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().to_str().unwrap();
    let stderr = failing(&["evaluate", "--front", empty, "--index", "1"]);
    assert!(
        stderr.contains(&format!(
            "{empty} is not a search folder: config.json is missing"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("pass the --out folder of a `rwenas search` to --front"),
        "{stderr}"
    );
    assert!(!stderr.contains("to continue"), "{stderr}");

    let absent = dir.path().join("absent");
    let stderr = failing(&[
        "evaluate",
        "--front",
        absent.to_str().unwrap(),
        "--index",
        "1",
    ]);
    assert!(
        stderr.contains(&format!("search folder {} not found", absent.display())),
        "{stderr}"
    );

    // A config.json of neither kind is named with the parse error.
    std::fs::write(dir.path().join("config.json"), "{\"space\": 3}").unwrap();
    let stderr = failing(&["evaluate", "--front", empty, "--index", "1"]);
    assert!(
        stderr.contains("is not the config.json of a search"),
        "{stderr}"
    );
}

#[test]
fn weights_of_imagenet_run_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("model");
    std::fs::write(&weights, "not read").unwrap();
    let config = serde_json::json!({
        "architecture": "darts_v2",
        "space": "micro",
        "imagenet": true,
        "normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let stderr = failing(&["evaluate", "--weights", weights.to_str().unwrap()]);
    assert!(
        stderr.contains("records a run at ImageNet scale"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("rwenas train --resume {}", dir.path().display())),
        "{stderr}"
    );
}

#[test]
fn weights_with_missing_recorded_data_named() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("model");
    std::fs::write(&weights, "not read").unwrap();
    let absent = dir.path().join("absent-data");
    let config = serde_json::json!({
        "architecture": "darts_v2",
        "space": "micro",
        "data": absent,
        "normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let stderr = failing(&["evaluate", "--weights", weights.to_str().unwrap()]);
    assert!(
        stderr.contains(&format!(
            "data path {} that {} records does not exist",
            absent.display(),
            dir.path().join("config.json").display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("pass the data set of the training run with --data"),
        "{stderr}"
    );
}

#[test]
fn front_file_names_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("front.json");
    std::fs::write(&file, "[]").unwrap();
    let stderr = failing(&[
        "evaluate",
        "--front",
        file.to_str().unwrap(),
        "--index",
        "1",
    ]);
    assert!(stderr.contains("is a file"), "{stderr}");
    assert!(
        stderr.contains(&format!("--front {}", dir.path().display())),
        "{stderr}"
    );
}
