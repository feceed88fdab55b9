//! `rwenas train --imagenet` on a small image folder written by the test.

mod common;

use std::path::Path;

use common::{read_json, run, rwenas};
use image::{Rgb, RgbImage};

/// Writes `train/` and `test/` folders of two classes, three 60x40 images each.
fn write_folder(root: &Path) {
    for split in ["train", "test"] {
        for (class, name) in ["cat", "dog"].iter().enumerate() {
            let dir = root.join(split).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for index in 0..3u32 {
                let image = RgbImage::from_fn(60, 40, |x, y| {
                    let shade = (x * 4 + y * 2 + index * 20) as u8;
                    if class == 0 {
                        Rgb([shade, 40, 200])
                    } else {
                        Rgb([200, shade, 40])
                    }
                });
                image.save(dir.join(format!("{index}.png"))).unwrap();
            }
        }
    }
}

#[test]
fn imagenet_run_trains_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("images");
    write_folder(&data);
    let out = dir.path().join("run");
    let mut command = rwenas(&["train", "--imagenet", "--arch", "darts_v2"]);
    command.args(["--channels", "4", "--layers", "3", "--epochs", "2"]);
    // The recipe warms up for 5 epochs, longer than this run.
    command.args(["--warmup-epochs", "1"]);
    command.args(["--batch-size", "3", "--stop-after", "1"]);
    command.arg("--data").arg(&data).arg("--out").arg(&out);
    run(&mut command);

    let config = read_json(&out.join("config.json"));
    assert_eq!(config["imagenet"], true);
    assert_eq!(config["train"]["label_smoothing"], 0.1);
    assert_eq!(config["network"]["input"], serde_json::json!([3, 224, 224]));
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 2, "{metrics}");

    run(rwenas(&["train", "--resume"]).arg(&out));
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 3, "{metrics}");
    assert!(out.join("model").is_file());
}

#[test]
fn imagenet_rejects_the_macro_space() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("images");
    write_folder(&data);
    let genome = dir.path().join("genome.json");
    std::fs::write(
        &genome,
        "[1,0,0,1,0,0,1,1,0,1,0,0,1,0,0,1,1,0,1,0,0,1,0,0,1,1,0]",
    )
    .unwrap();
    let output = rwenas(&["train", "--imagenet", "--space", "macro"])
        .arg("--genome")
        .arg(&genome)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--imagenet applies to micro networks only"),
        "{stderr}"
    );
}

#[test]
fn imagenet_warmup_beyond_run_names_default() {
    let dir = tempfile::tempdir().unwrap();
    // The settings are checked before the data loads, so the folder need not exist.
    let output = rwenas(&["train", "--imagenet", "--arch", "darts_v2", "--epochs", "2"])
        .arg("--data")
        .arg(dir.path().join("absent"))
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--warmup-epochs is 5, the default of the ImageNet recipe"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pass --warmup-epochs from 0 to 2"),
        "{stderr}"
    );
}
