//! Tests of `rwenas train` and `rwenas evaluate --weights` on a few hundred CIFAR-10 images.

mod common;

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use common::{cifar_batches, failing, read_json, run, rwenas};
use rwenas::nn::NetworkModule;
use rwenas::space::Network;
use rwenas::train::load_model;

/// `rwenas train` of DARTS V2 at 8 channels and 5 cells for 2 epochs on 300 training and
/// 200 test images, into `out`, with `extra` flags.
fn tiny_train(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut command = rwenas(&[
        "train",
        "--arch",
        "darts_v2",
        "--channels",
        "8",
        "--layers",
        "5",
        "--epochs",
        "2",
        "--train-size",
        "300",
        "--test-size",
        "200",
    ]);
    command.arg("--data").arg(cifar_batches());
    command.arg("--out").arg(out).args(extra);
    run(&mut command)
}

/// Returns the columns of metrics.csv that do not depend on timing: epoch, learning rate,
/// training loss, training error and test error.
fn metric_columns(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).expect("metrics.csv");
    text.lines()
        .map(|line| line.split(',').take(5).collect::<Vec<_>>().join(","))
        .collect()
}

/// Returns the bits of every float tensor of the model saved in `dir`.
fn model_bits(dir: &Path) -> Vec<Vec<u32>> {
    struct Bits(Vec<Vec<u32>>);
    impl ModuleVisitor for Bits {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param.val().into_data().try_into_vec::<f32>();
            let values = values.expect("f32 tensor");
            self.0
                .push(values.iter().map(|value| value.to_bits()).collect());
        }
    }
    let network: Network =
        serde_json::from_value(read_json(&dir.join("config.json"))["network"].clone())
            .expect("config.json holds the network");
    let model: NetworkModule =
        load_model(&network, &dir.join("model"), &Device::flex()).expect("model loads");
    let mut bits = Bits(Vec::new());
    model.visit(&mut bits);
    bits.0
}

fn evaluate_weights(dir: &Path, channels: &str) -> std::process::Output {
    let mut command = rwenas(&[
        "evaluate",
        "--arch",
        "darts_v2",
        "--channels",
        channels,
        "--layers",
        "5",
        "--test-size",
        "200",
        "--json",
    ]);
    command.arg("--data").arg(cifar_batches());
    command.arg("--weights").arg(dir.join("model"));
    command.output().expect("rwenas starts")
}

#[test]
fn train_resume_matches_straight_run() {
    let temporary = tempfile::tempdir().unwrap();
    let straight = temporary.path().join("straight");
    let output = tiny_train(&straight, &["--test-untrained"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("darts_v2: test error"), "stdout: {stdout}");
    for file in [
        "metrics.csv",
        "checkpoint",
        "config.json",
        "model",
        "untrained.json",
    ] {
        assert!(straight.join(file).is_file(), "{file} missing");
    }
    let config = read_json(&straight.join("config.json"));
    assert_eq!(config["train"]["epochs"], 2);
    assert_eq!(config["train_size"], 300);
    assert_eq!(config["scale"]["initial_channels"], 8);
    let untrained = read_json(&straight.join("untrained.json"))["test_error"]
        .as_f64()
        .expect("untrained test error");
    assert!((0.0..=1.0).contains(&untrained));
    let metrics = metric_columns(&straight);
    assert_eq!(metrics.len(), 3, "header and 2 epochs: {metrics:?}");
    assert!(metrics[1].starts_with("0,0.025,"), "{metrics:?}");

    // Interrupted after epoch 1, then resumed.
    let resumed = temporary.path().join("resumed");
    let output = tiny_train(&resumed, &["--stop-after", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--resume"), "stderr: {stderr}");
    assert_eq!(metric_columns(&resumed).len(), 2);
    assert!(!resumed.join("model").exists());
    let mut command = rwenas(&["train", "--resume"]);
    run(command.arg(&resumed));
    assert_eq!(metric_columns(&resumed), metrics);
    assert_eq!(model_bits(&resumed), model_bits(&straight));

    // The saved weights give the test error of the last epoch.
    let output = evaluate_weights(&straight, "8");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let last: f64 = metrics[2].split(',').nth(4).unwrap().parse().unwrap();
    assert_eq!(report["test_error"].as_f64(), Some(last));
    assert_eq!(report["test_size"], 200);

    // Another architecture than the run's config.json records is rejected with the flags to
    // fix, before any weight is read.
    let output = evaluate_weights(&straight, "10");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("differs"), "stderr: {stderr}");
    assert!(stderr.contains("--channels"), "stderr: {stderr}");

    // Without the config.json, weights of another size are rejected by their shapes.
    let moved = straight.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::copy(straight.join("model"), moved.join("model")).unwrap();
    let output = evaluate_weights(&moved, "10");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("do not fit"), "stderr: {stderr}");
}

#[test]
fn train_refuses_non_empty_out() {
    let temporary = tempfile::tempdir().unwrap();
    std::fs::write(temporary.path().join("notes.txt"), "keep").unwrap();
    let data = cifar_batches();
    let stderr = failing(&[
        "train",
        "--arch",
        "darts_v2",
        "--data",
        data.to_str().unwrap(),
        "--out",
        temporary.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("is not empty"), "stderr: {stderr}");
    assert!(stderr.contains("--resume"), "stderr: {stderr}");
    let kept = std::fs::read_to_string(temporary.path().join("notes.txt")).unwrap();
    assert_eq!(kept, "keep");
}

#[test]
fn resume_refuses_new_settings() {
    let temporary = tempfile::tempdir().unwrap();
    let stderr = failing(&[
        "train",
        "--resume",
        temporary.path().to_str().unwrap(),
        "--learning-rate",
        "0.1",
    ]);
    assert!(stderr.contains("--learning-rate"), "stderr: {stderr}");
    assert!(stderr.contains("config.json"), "stderr: {stderr}");
}
