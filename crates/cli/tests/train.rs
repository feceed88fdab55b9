//! Tests of `rwenas train` and `rwenas evaluate --weights` on a few hundred CIFAR-10 images.

mod common;

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use common::{cifar_batches, failing, read_json, run, rwenas};
use rwenas::flops::{Convention, count};
use rwenas::nn::NetworkModule;
use rwenas::space::Network;
use rwenas::train::load_model;

/// `rwenas train` of DARTS V2 at 8 channels and 5 cells for 2 epochs on 300 training and
/// 200 test images, into `out`, with `extra` flags. It runs in the folder above the data
/// and passes `--data` relative to it, so that commands run elsewhere find the data only
/// through the absolute path in config.json.
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
    let batches = cifar_batches();
    command.current_dir(batches.parent().expect("data folder has a parent"));
    command
        .arg("--data")
        .arg(batches.file_name().expect("data folder name"));
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
    let data = config["data"].as_str().expect("data path");
    assert!(Path::new(data).is_absolute(), "data path {data}");
    let untrained = read_json(&straight.join("untrained.json"))["test_error"]
        .as_f64()
        .expect("untrained test error");
    assert!((0.0..=1.0).contains(&untrained));
    let metrics = metric_columns(&straight);
    assert_eq!(metrics.len(), 3, "header and 2 epochs: {metrics:?}");
    // Epochs count from 1, as the console prints `epoch 1/2`.
    assert!(metrics[1].starts_with("1,0.025,"), "{metrics:?}");
    assert!(metrics[2].starts_with("2,"), "{metrics:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("epoch 1/2:"), "stderr: {stderr}");

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

    // Without flags, the architecture, scale, data and test size come from config.json.
    let mut command = rwenas(&["evaluate", "--json", "--weights"]);
    let output = command
        .arg(straight.join("model"))
        .output()
        .expect("rwenas starts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["architecture"], "darts_v2");
    assert_eq!(report["test_size"], 200);
    assert_eq!(report["test_error"].as_f64(), Some(last));

    // An architecture flag alone takes the scale of the run.
    let mut command = rwenas(&["evaluate", "--arch", "darts_v2", "--json", "--weights"]);
    let output = command
        .arg(straight.join("model"))
        .output()
        .expect("rwenas starts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["test_error"].as_f64(), Some(last));

    // A training run passed as a search folder is named as such.
    let stderr = failing(&[
        "evaluate",
        "--front",
        straight.to_str().unwrap(),
        "--index",
        "1",
    ]);
    assert!(
        stderr.contains("contains a training run (`rwenas train`), not a search"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains(&format!("--weights {}", straight.join("model").display())),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("missing field"), "stderr: {stderr}");

    // Another architecture than the run's config.json records is rejected with the setting
    // that differs and the flag to fix it, before any weight is read.
    let output = evaluate_weights(&straight, "10");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("were trained for another network"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("channels 8 in the training run, 10 given"),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("layers"), "only channels differ: {stderr}");
    assert!(stderr.contains("pass --channels 8"), "stderr: {stderr}");

    // Several settings are named, each with its fix.
    let mut command = rwenas(&[
        "evaluate",
        "--arch",
        "darts_v2",
        "--channels",
        "8",
        "--layers",
        "6",
        "--no-auxiliary",
        "--test-size",
        "200",
    ]);
    command.arg("--data").arg(cifar_batches());
    command.arg("--weights").arg(straight.join("model"));
    let output = command.output().expect("rwenas starts");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("layers 5 in the training run, 6 given"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("auxiliary head: with in the training run, without given"),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("remove --no-auxiliary"), "stderr: {stderr}");

    // Another cell is named as the architecture.
    let mut command = rwenas(&[
        "evaluate",
        "--arch",
        "darts_v1",
        "--channels",
        "8",
        "--layers",
        "5",
        "--test-size",
        "200",
    ]);
    command.arg("--data").arg(cifar_batches());
    command.arg("--weights").arg(straight.join("model"));
    let output = command.output().expect("rwenas starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("architecture darts_v2 in the training run, darts_v1 given"),
        "stderr: {stderr}"
    );

    // The run's folder in place of its model file names the file.
    let mut command = rwenas(&["evaluate", "--arch", "darts_v2", "--weights"]);
    let output = command.arg(&straight).output().expect("rwenas starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is a folder"), "stderr: {stderr}");
    assert!(
        stderr.contains(&format!("--weights {}", straight.join("model").display())),
        "stderr: {stderr}"
    );

    // Without the config.json, weights of another size are rejected by their shapes.
    let moved = straight.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::copy(straight.join("model"), moved.join("model")).unwrap();
    let output = evaluate_weights(&moved, "10");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("do not fit"), "stderr: {stderr}");

    // Without the config.json, the architecture flags are needed.
    let mut command = rwenas(&["evaluate", "--weights"]);
    command
        .arg(moved.join("model"))
        .arg("--data")
        .arg(cifar_batches());
    let output = command.output().expect("rwenas starts");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no architecture given"), "stderr: {stderr}");
    assert!(stderr.contains("--arch"), "stderr: {stderr}");
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
    // The folder contains no training run, so `--resume` could not continue it.
    assert!(!stderr.contains("--resume"), "stderr: {stderr}");
    assert!(stderr.contains("choose another --out"), "stderr: {stderr}");
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

#[test]
fn non_finite_settings_rejected() {
    let temporary = tempfile::tempdir().unwrap();
    let out = temporary.path().join("run");
    let flags = [
        "--learning-rate",
        "--min-learning-rate",
        "--exponential-decay",
        "--momentum",
        "--dampening",
        "--weight-decay",
        "--grad-clip",
        "--auxiliary-weight",
        "--drop-path",
        "--label-smoothing",
    ];
    for flag in flags {
        for value in ["nan", "NaN", "inf", "-inf", "infinity", "1e400"] {
            // `=` joins the value, because clap reads a separate `-inf` as a flag.
            let stderr = failing(&[
                "train",
                "--arch",
                "darts_v2",
                "--out",
                out.to_str().unwrap(),
                &format!("{flag}={value}"),
            ]);
            assert!(
                stderr.contains(&format!("invalid value '{value}' for '{flag}")),
                "{flag} {value}: {stderr}"
            );
            assert!(stderr.contains("finite number"), "{flag} {value}: {stderr}");
            assert!(!stderr.contains("default of"), "{flag} {value}: {stderr}");
            assert!(!out.exists(), "{flag} {value} created the run folder");
        }
    }
}

#[test]
fn resume_rejects_non_finite_setting() {
    let temporary = tempfile::tempdir().unwrap();
    for value in ["nan", "inf"] {
        let stderr = failing(&[
            "train",
            "--resume",
            temporary.path().to_str().unwrap(),
            "--learning-rate",
            value,
        ]);
        assert!(
            stderr.contains(&format!("invalid value '{value}' for '--learning-rate")),
            "{value}: {stderr}"
        );
    }
}

#[test]
fn resume_refuses_each_setting_flag() {
    // Each flag is detected as given, whatever its value.
    let temporary = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 5] = [
        ("--learning-rate", "0"),
        ("--weight-decay", "0"),
        ("--grad-clip", "0"),
        ("--nesterov", "false"),
        ("--bn-recalibration-images", "0"),
    ];
    for (flag, value) in cases {
        let stderr = failing(&[
            "train",
            "--resume",
            temporary.path().to_str().unwrap(),
            flag,
            value,
        ]);
        assert!(
            stderr.contains(&format!("{flag} cannot change a resumed run")),
            "{flag}: {stderr}"
        );
    }
}

#[test]
fn config_file_non_finite_setting_rejected() {
    let temporary = tempfile::tempdir().unwrap();
    let config = temporary.path().join("settings.toml");
    for (text, expected) in [
        (
            "learning_rate = nan\n",
            "settings.toml: learning_rate is nan",
        ),
        ("weight_decay = inf\n", "settings.toml: weight_decay is inf"),
        (
            "schedule = { Exponential = { gamma = -inf } }\n",
            "settings.toml: schedule is",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let stderr = train_failing(temporary.path(), &["--config", config.to_str().unwrap()]);
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(
            stderr.contains("must be a finite number"),
            "{text}: {stderr}"
        );
        assert!(!stderr.contains("null"), "{text}: {stderr}");
    }
}

#[test]
fn resume_of_empty_folder_names_it() {
    let temporary = tempfile::tempdir().unwrap();
    let stderr = failing(&["train", "--resume", temporary.path().to_str().unwrap()]);
    assert!(
        stderr.contains("is not a training run folder: config.json is missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`rwenas train` run to --resume"),
        "{stderr}"
    );
}

/// Runs `rwenas train` with `args` on CIFAR-10 into a new folder under `dir`, expecting
/// it to fail, and returns stderr after checking that no run folder was created.
fn train_failing(dir: &Path, args: &[&str]) -> String {
    let out = dir.join("run");
    let mut command = rwenas(&["train", "--arch", "darts_v2"]);
    command.args(args).arg("--data").arg(cifar_batches());
    command.arg("--out").arg(&out);
    let output = command.output().expect("rwenas starts");
    assert!(!output.status.success(), "rwenas train {args:?} succeeded");
    assert!(!out.exists(), "a rejected run leaves no folder");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn invalid_settings_name_the_flag() {
    let temporary = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--learning-rate=-1"],
            "--learning-rate is -1 but must be a finite value >= 0",
        ),
        (&["--lr", "-1"], "--learning-rate is -1"),
        (
            &["--batch-size", "0"],
            "--batch-size is 0 but must be at least 1",
        ),
        (&["--epochs", "0"], "--epochs is 0 but must be at least 1"),
        (
            &["--grad-clip", "-1"],
            "--grad-clip is -1 but must be a finite value > 0, or 0 to disable clipping",
        ),
        (&["--seed", "-1"], "invalid value '-1' for '--seed"),
    ];
    for (args, expected) in cases {
        let stderr = train_failing(temporary.path(), args);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("learning_rate"), "{args:?}: {stderr}");
    }
}

#[test]
fn cutout_over_whole_image_rejected() {
    let temporary = tempfile::tempdir().unwrap();
    let stderr = train_failing(temporary.path(), &["--cutout", "100"]);
    assert!(
        stderr.contains("--cutout is 100 but must be below 64"),
        "{stderr}"
    );
    assert!(stderr.contains("--cutout 0"), "{stderr}");
    // 63 leaves part of a 32x32 image unmasked wherever the square is centred.
    let stderr = train_failing(temporary.path(), &["--cutout", "63", "--batch-size", "0"]);
    assert!(stderr.contains("--batch-size"), "{stderr}");
}

#[test]
fn warmup_longer_than_run_rejected() {
    let temporary = tempfile::tempdir().unwrap();
    let stderr = train_failing(temporary.path(), &["--warmup-epochs", "5", "--epochs", "1"]);
    assert!(
        stderr.contains("--warmup-epochs is 5 but must be at most the 1 epoch of the run"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pass --warmup-epochs from 0 to 1, or raise --epochs"),
        "{stderr}"
    );
}

#[test]
fn config_file_setting_names_the_key() {
    let temporary = tempfile::tempdir().unwrap();
    let config = temporary.path().join("settings.toml");
    std::fs::write(&config, "learning_rate = -1.0\n").unwrap();
    let stderr = train_failing(temporary.path(), &["--config", config.to_str().unwrap()]);
    assert!(
        stderr.contains("settings.toml: learning_rate is -1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("or override it with --learning-rate"),
        "{stderr}"
    );
}

#[test]
fn space_without_genome_rejected() {
    let temporary = tempfile::tempdir().unwrap();
    let stderr = train_failing(temporary.path(), &["--space", "macro"]);
    assert!(
        stderr.contains("--space applies only to a --genome file"),
        "{stderr}"
    );
}

/// Returns the `network` that `rwenas export` writes for `flags`, with its parameter
/// count.
fn exported_network(flags: &[&str]) -> (serde_json::Value, u64) {
    let mut args = vec!["export"];
    args.extend_from_slice(flags);
    let output = run(&mut rwenas(&args));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let params = document["params"].as_u64().expect("params");
    (document["network"].clone(), params)
}

/// Trains one epoch on 20 images with `flags` into `out` and returns the `network` of its
/// config.json.
fn trained_network(out: &Path, flags: &[&str]) -> serde_json::Value {
    let mut command = rwenas(&["train"]);
    command.args(flags);
    command.args(["--epochs", "1", "--train-size", "20", "--test-size", "20"]);
    command.args(["--batch-size", "10", "--bn-recalibration-images", "0"]);
    command
        .arg("--data")
        .arg(cifar_batches())
        .arg("--out")
        .arg(out);
    let output = run(&mut command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("after 1 epoch on 20 training images"),
        "stdout: {stdout}"
    );
    read_json(&out.join("config.json"))["network"].clone()
}

#[test]
fn export_and_train_build_same_network() {
    let temporary = tempfile::tempdir().unwrap();
    let genome = temporary.path().join("macro.json");
    std::fs::write(&genome, serde_json::to_string(&vec![1; 48]).unwrap()).unwrap();
    let genome = genome.to_str().unwrap();
    let cases: [&[&str]; 4] = [
        &["--genome", genome, "--space", "macro", "--channels", "8"],
        &[
            "--genome",
            genome,
            "--space",
            "macro",
            "--channels",
            "8,8,8",
        ],
        &[
            "--arch",
            "darts_v2",
            "--channels",
            "8",
            "--layers",
            "5",
            "--auxiliary",
        ],
        &[
            "--arch",
            "darts_v2",
            "--channels",
            "8",
            "--layers",
            "5",
            "--no-auxiliary",
        ],
    ];
    for (index, flags) in cases.into_iter().enumerate() {
        let (exported, params) = exported_network(flags);
        let trained = trained_network(&temporary.path().join(format!("run{index}")), flags);
        assert_eq!(exported, trained, "{flags:?}");
        let network: Network = serde_json::from_value(trained).expect("a network");
        let counts = count(&network, Convention::ConvLinear).expect("counts");
        assert_eq!(counts.params + counts.auxiliary_params, params, "{flags:?}");
    }
}
