//! Helpers shared by the test programs that run the `rwenas` binary.

// Each test program uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Returns the folder of the real CIFAR-10 binary batches: `$RWENAS_CIFAR10` or
/// `../shared/data/cifar10` beside the checkout, with `cifar-10-batches-bin` appended.
pub fn cifar_batches() -> PathBuf {
    let root = std::env::var_os("RWENAS_CIFAR10").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cifar10"),
        PathBuf::from,
    );
    let batches = root.join("cifar-10-batches-bin");
    assert!(
        batches.is_dir(),
        "CIFAR-10 not found at {}; set RWENAS_CIFAR10 to the folder that contains \
         cifar-10-batches-bin",
        batches.display()
    );
    batches
}

/// Returns a command that runs the `rwenas` binary with `args`.
pub fn rwenas(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rwenas"));
    command.args(args);
    command
}

/// Returns a micro search of `population` architectures for `generations` generations on
/// 100 training and 50 validation images, with `epochs` classifier epochs.
pub fn search_command(
    out: &Path,
    seed: &str,
    population: &str,
    generations: &str,
    epochs: &str,
) -> Command {
    let mut command = rwenas(&["search", "--space", "micro", "--preset", "quick"]);
    command
        .arg("--data")
        .arg(cifar_batches())
        .arg("--no-download");
    command.arg("--out").arg(out);
    command.args(["--seed", seed, "--population", population]);
    command.args(["--generations", generations]);
    command.args([
        "--train-size",
        "100",
        "--valid-size",
        "50",
        "--epochs",
        epochs,
    ]);
    command
}

/// Returns a search small enough for a test: 4 architectures a generation for 3
/// generations on 100 images.
pub fn small_search(out: &Path, seed: &str) -> Command {
    search_command(out, seed, "4", "3", "2")
}

/// Runs `command`, checks that it succeeds and returns its output.
pub fn run(command: &mut Command) -> Output {
    let output = command.output().expect("rwenas starts");
    assert!(
        output.status.success(),
        "rwenas failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `rwenas` with `args`, checks that it fails and returns its stderr.
pub fn failing(args: &[&str]) -> String {
    let output = rwenas(args).output().expect("rwenas starts");
    assert!(!output.status.success(), "rwenas {args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Reads and parses the JSON file at `path`.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("file exists");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Writes into `dir/other` the CIFAR-10 batches with the first training record moved to
/// the end: as many images in another order, so other images fall into the splits.
pub fn rotated_batches(dir: &Path) -> PathBuf {
    let batches = cifar_batches();
    let other = dir.join("other");
    std::fs::create_dir(&other).unwrap();
    for name in ["batches.meta.txt", "test_batch.bin"] {
        std::fs::copy(batches.join(name), other.join(name)).unwrap();
    }
    let mut records = std::fs::read(batches.join("data_batch_1.bin")).unwrap();
    records.rotate_left(1 + 32 * 32 * 3);
    std::fs::write(other.join("data_batch_1.bin"), records).unwrap();
    other
}
