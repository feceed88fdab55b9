//! The example runs to the end on the real CIFAR-10 and prints a front.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cifar_root() -> PathBuf {
    std::env::var_os("RWENAS_CIFAR10").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cifar10"),
        PathBuf::from,
    )
}

#[test]
fn custom_space_search_prints_front() {
    let output = Command::new(env!("CARGO_BIN_EXE_example-custom-space"))
        .arg(cifar_root())
        .output()
        .expect("the example starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "example failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("generation 3:"), "stdout: {stdout}");
    assert!(stdout.contains("RWE error"), "stdout: {stdout}");
    assert!(stdout.contains("conv"), "stdout: {stdout}");
}
