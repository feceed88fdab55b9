//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// CIFAR-10 folder: `RWENAS_CIFAR10`, else `../shared/data/cifar10` beside the workspace.
pub fn cifar10_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RWENAS_CIFAR10") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "RWENAS_CIFAR10 is {}, which is not a folder; point it at the CIFAR-10 data folder",
            dir.display()
        );
        return dir;
    }
    let fallback = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cifar10");
    assert!(
        fallback.is_dir(),
        "CIFAR-10 not found: set RWENAS_CIFAR10 to a folder with `cifar-10-batches-bin/` and \
         `cifar-10-images.tar.gz`, or place it at {}",
        fallback.display()
    );
    fallback
}
