//! End-to-end runs of `rwenas search` on a small slice of the real CIFAR-10.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{cifar_batches, failing, read_json, run, small_search};
use serde_json::Value;

/// Reads the front without its timings, which differ from run to run.
fn front_of(dir: &Path) -> Vec<Value> {
    let front = read_json(&dir.join("front.json"));
    front
        .as_array()
        .expect("front is an array")
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            let fields = entry.as_object_mut().expect("front entries are objects");
            fields.remove("feature_seconds");
            fields.remove("classifier_seconds");
            entry
        })
        .collect()
}

#[test]
fn search_writes_front_and_evaluations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let output = run(&mut small_search(&out, "3"));

    let front = front_of(&out);
    assert!(!front.is_empty());
    for entry in &front {
        assert!(
            entry["genome"]
                .as_array()
                .is_some_and(|genome| genome.len() == 40)
        );
        let error = entry["rwe_error"].as_f64().expect("rwe_error is a number");
        assert!((0.0..=1.0).contains(&error));
        assert!(entry["flops"].as_u64().is_some_and(|flops| flops > 0));
        assert!(entry["params"].as_u64().is_some_and(|params| params > 0));
    }

    let lines = std::fs::read_to_string(out.join("evaluations.jsonl")).unwrap();
    let records: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(records.len() >= 4, "{} evaluations", records.len());
    assert!(records.iter().all(|record| record["generation"].is_u64()));
    assert_eq!(records[0]["generation"], 0);

    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("RWE error"), "table: {table}");
}

#[test]
fn same_seed_gives_same_front() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    run(&mut small_search(&first, "5"));
    run(&mut small_search(&second, "5"));
    assert_eq!(front_of(&first), front_of(&second));
}

#[test]
fn killed_search_resumes_to_same_front() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let stopped = dir.path().join("stopped");
    run(&mut small_search(&whole, "7"));

    // Kill the second run with SIGKILL once its first generation is checkpointed.
    let mut child = small_search(&stopped, "7")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("rwenas starts");
    let start = Instant::now();
    while !stopped.join("checkpoint.json").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no checkpoint was written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill the search");
    child.wait().unwrap();
    assert!(
        !stopped.join("front.json").exists(),
        "the search finished before the kill"
    );

    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume.arg("search").arg("--resume").arg(&stopped);
    run(&mut resume);
    assert_eq!(front_of(&whole), front_of(&stopped));

    // Every genome is evaluated once, before and after the kill together.
    let lines = std::fs::read_to_string(stopped.join("evaluations.jsonl")).unwrap();
    let mut genomes: Vec<String> = lines
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["genome"].to_string())
        .collect();
    let count = genomes.len();
    genomes.sort();
    genomes.dedup();
    assert_eq!(genomes.len(), count, "a genome was evaluated twice");
}

/// Waits until the search writing to `dir` has checkpointed its first generation.
fn wait_for_checkpoint(dir: &Path) {
    let start = Instant::now();
    while !dir.join("checkpoint.json").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no checkpoint was written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn interrupted_search_prints_resume_hint() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let stopped = dir.path().join("stopped");
    run(&mut small_search(&whole, "8"));

    let child = small_search(&stopped, "8")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rwenas starts");
    wait_for_checkpoint(&stopped);
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted"), "stderr: {stderr}");
    assert!(
        stderr.contains("rwenas search --resume"),
        "stderr: {stderr}"
    );
    assert!(!stopped.join("front.json").exists());

    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume.arg("search").arg("--resume").arg(&stopped);
    run(&mut resume);
    assert_eq!(front_of(&whole), front_of(&stopped));
}

#[test]
fn terminated_search_prints_resume_hint() {
    let dir = tempfile::tempdir().unwrap();
    let stopped = dir.path().join("stopped");
    let child = small_search(&stopped, "8")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rwenas starts");
    wait_for_checkpoint(&stopped);
    let signal = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr: {stderr}");
    assert!(
        stderr.contains("interrupted; ") && stderr.contains("rwenas search --resume"),
        "stderr: {stderr}"
    );
    assert!(stopped.join("checkpoint.json").exists());
}

#[test]
fn search_stopped_before_checkpoint_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run(&mut small_search(&whole, "9"));

    // A search stopped during its first generation: its settings and part of the first
    // generation's evaluations, with no checkpoint.
    let stopped = dir.path().join("stopped");
    std::fs::create_dir(&stopped).unwrap();
    std::fs::copy(whole.join("config.json"), stopped.join("config.json")).unwrap();
    let lines = std::fs::read_to_string(whole.join("evaluations.jsonl")).unwrap();
    let first: String = lines
        .lines()
        .take(2)
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(stopped.join("evaluations.jsonl"), first).unwrap();

    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume.arg("search").arg("--resume").arg(&stopped);
    let output = run(&mut resume);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("starting it again"), "stderr: {stderr}");
    assert_eq!(front_of(&whole), front_of(&stopped));
    let evaluations = std::fs::read_to_string(stopped.join("evaluations.jsonl")).unwrap();
    assert_eq!(evaluations.lines().count(), lines.lines().count());
}

#[test]
fn resume_works_from_another_directory() {
    let dir = tempfile::tempdir().unwrap();
    // The data is given relative to the first working directory.
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for file in ["data_batch_1.bin", "test_batch.bin", "batches.meta.txt"] {
        std::fs::copy(cifar_batches().join(file), data.join(file)).unwrap();
    }
    let out = dir.path().join("search");
    let mut child = common::rwenas(&["search", "--preset", "quick", "--data", "data"])
        .current_dir(dir.path())
        .arg("--out")
        .arg(&out)
        .args(["--no-download", "--seed", "10", "--population", "4"])
        .args([
            "--generations",
            "3",
            "--train-size",
            "100",
            "--valid-size",
            "50",
        ])
        .args(["--epochs", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("rwenas starts");
    wait_for_checkpoint(&out);
    child.kill().expect("kill the search");
    child.wait().unwrap();
    let saved = read_json(&out.join("config.json"));
    assert_eq!(saved["data"], data.to_str().unwrap());

    // Resumed from the filesystem root, where `data` means nothing.
    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume
        .current_dir("/")
        .arg("search")
        .arg("--resume")
        .arg(&out);
    run(&mut resume);
    assert!(out.join("front.json").exists());
}

#[test]
fn resume_reads_moved_data() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run(&mut small_search(&whole, "11"));
    let stopped = dir.path().join("stopped");
    std::fs::create_dir(&stopped).unwrap();
    let mut config = read_json(&whole.join("config.json"));
    config["data"] = serde_json::json!(dir.path().join("moved").to_str().unwrap());
    std::fs::write(stopped.join("config.json"), config.to_string()).unwrap();

    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume.arg("search").arg("--resume").arg(&stopped);
    let output = resume.output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--data"), "stderr: {stderr}");

    // A mistyped new path fails and leaves the saved path alone.
    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume.arg("search").arg("--resume").arg(&stopped);
    resume.arg("--data").arg(dir.path().join("typo"));
    let output = resume.output().unwrap();
    assert!(!output.status.success());
    let saved = read_json(&stopped.join("config.json"));
    assert_eq!(saved["data"], config["data"]);

    let mut resume = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    resume.arg("search").arg("--resume").arg(&stopped);
    resume.arg("--data").arg(cifar_batches());
    run(&mut resume);
    assert_eq!(front_of(&whole), front_of(&stopped));
    let saved = read_json(&stopped.join("config.json"));
    assert_eq!(saved["data"], cifar_batches().to_str().unwrap());
}

#[test]
fn missing_data_path_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    let out = dir.path().join("out");
    // --no-download keeps the test off the network.
    let stderr = failing(&[
        "search",
        "--no-download",
        "--data",
        missing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("nothing-here"), "stderr: {stderr}");
    assert!(stderr.contains("does not exist"), "stderr: {stderr}");
    assert!(stderr.contains("--data"), "stderr: {stderr}");
    assert!(stderr.contains("--no-download"), "stderr: {stderr}");
    assert!(!out.exists(), "a rejected search created its output folder");
}

#[test]
fn truncated_data_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let batches = dir.path().join("cifar-10-batches-bin");
    std::fs::create_dir(&batches).unwrap();
    let original = std::fs::read(cifar_batches().join("data_batch_1.bin")).unwrap();
    std::fs::write(
        batches.join("data_batch_1.bin"),
        &original[..3073 * 10 + 100],
    )
    .unwrap();
    std::fs::copy(
        cifar_batches().join("batches.meta.txt"),
        batches.join("batches.meta.txt"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let stderr = failing(&[
        "search",
        "--data",
        batches.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("data_batch_1.bin"), "stderr: {stderr}");
}

#[test]
fn zero_population_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stderr = failing(&[
        "search",
        "--population",
        "0",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("--population is 0"), "stderr: {stderr}");
}

#[test]
fn existing_search_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("front.json"), "[]").unwrap();
    let stderr = failing(&[
        "search",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("already contains a search"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("--resume"), "stderr: {stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("front.json")).unwrap(),
        "[]"
    );
}

/// Runs a search with a config file of `text` that must be rejected, and returns its
/// stderr. The rejected search must not create its output folder.
fn rejected_config(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("search.toml");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("out");
    let stderr = failing(&[
        "search",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.exists(), "stderr: {stderr}");
    stderr
}

#[test]
fn config_file_typo_is_rejected() {
    let stderr = rejected_config("population = 6\ngenerashuns = 3\n");
    assert!(stderr.contains("search.toml"), "stderr: {stderr}");
    assert!(stderr.contains("generashuns"), "stderr: {stderr}");
}

#[test]
fn config_file_type_error_names_line() {
    let stderr = rejected_config("seed = 3\npopulation = \"four\"\n");
    assert!(stderr.contains("line 2"), "stderr: {stderr}");
    assert!(stderr.contains("key population"), "stderr: {stderr}");
}

#[test]
fn config_file_settings_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("search.toml");
    let data = cifar_batches();
    let text = format!(
        "preset = \"quick\"\ndata = {:?}\npopulation = 4\ngenerations = 1\n\
         train_size = 100\nvalid_size = 50\nepochs = 1\nseed = 2\n",
        data.to_str().unwrap()
    );
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("out");
    let mut command = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    command.args(["search", "--config", config.to_str().unwrap()]);
    command.args(["--out", out.to_str().unwrap(), "--epochs", "2"]);
    run(&mut command);
    let saved = read_json(&out.join("config.json"));
    assert_eq!(saved["population"], 4);
    assert_eq!(saved["train_size"], 100);
    assert_eq!(saved["seed"], 2);
    // The flag wins over the file.
    assert_eq!(saved["epochs"], 2);
}

#[test]
fn unknown_option_value_is_rejected() {
    let stderr = failing(&["search", "--space", "mega"]);
    assert!(stderr.contains("mega"), "stderr: {stderr}");
    assert!(stderr.contains("micro"), "stderr: {stderr}");
}

#[test]
fn evaluate_prints_json_score() {
    let output = run(Command::new(env!("CARGO_BIN_EXE_rwenas")).args([
        "evaluate",
        "--arch",
        "darts_v2",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--train-size",
        "200",
        "--valid-size",
        "100",
        "--json",
    ]));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let error = report["rwe_error"].as_f64().expect("rwe_error");
    assert!((0.0..0.9).contains(&error), "error {error}");
    assert_eq!(report["macs"], 10_899_520);
    assert_eq!(report["params"], 54_970);
    assert!(report["feature_seconds"].as_f64().is_some_and(|s| s > 0.0));
    assert!(
        report["classifier_seconds"]
            .as_f64()
            .is_some_and(|s| s > 0.0)
    );
}
