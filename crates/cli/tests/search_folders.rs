//! Output folders, config files and data checks of `rwenas search`.

mod common;

use std::path::Path;

use common::{cifar_batches, failing, read_json, run, rwenas, search_command};

/// Runs a one-generation search of 4 architectures into `out`.
fn tiny_search(out: &Path) {
    run(&mut search_command(out, "5", "4", "1", "1"));
}

/// Runs `rwenas search --resume dir` with `extra` arguments and returns its stderr, which
/// must report a failure.
fn failing_resume(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["search", "--resume", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    failing(&args)
}

#[test]
fn non_empty_folder_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("front.csv"), "mine").unwrap();
    let stderr = failing(&[
        "search",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("is not empty"), "stderr: {stderr}");
    assert!(stderr.contains("front.csv"), "stderr: {stderr}");
    let content = std::fs::read_to_string(out.join("front.csv")).unwrap();
    assert_eq!(content, "mine");
}

#[test]
fn file_as_output_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    let stderr = failing(&[
        "search",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("is a file, not a folder"),
        "stderr: {stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn training_run_is_not_called_a_search() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("config.json"), r#"{"architecture": "darts_v2"}"#).unwrap();
    let stderr = failing(&[
        "search",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("is not empty"), "stderr: {stderr}");
    assert!(!stderr.contains("--resume"), "stderr: {stderr}");

    let stderr = failing_resume(&out, &[]);
    assert!(stderr.contains("another command"), "stderr: {stderr}");
}

#[test]
fn resume_of_missing_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    let stderr = failing_resume(&missing, &[]);
    assert!(stderr.contains("does not exist"), "stderr: {stderr}");
    assert!(stderr.contains("nothing-here"), "stderr: {stderr}");
}

#[test]
fn resume_rejects_other_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    tiny_search(&out);
    let saved = read_json(&out.join("config.json"));
    assert!(
        saved["data_identity"]["training_images"].is_u64(),
        "{saved}"
    );

    let other = common::rotated_batches(dir.path());

    let stderr = failing_resume(&out, &["--data", other.to_str().unwrap()]);
    assert!(
        stderr.contains("not the data the search started with"),
        "stderr: {stderr}"
    );
    assert_eq!(read_json(&out.join("config.json")), saved);
}

#[test]
fn resume_accepts_same_images_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    tiny_search(&out);

    // The training batch as PNG files, one folder per class: the same images, sorted by
    // class instead of interleaved as in the batch.
    let batches = cifar_batches();
    let names = std::fs::read_to_string(batches.join("batches.meta.txt")).unwrap();
    let names: Vec<&str> = names.lines().filter(|name| !name.is_empty()).collect();
    let files = dir.path().join("files");
    let records = std::fs::read(batches.join("data_batch_1.bin")).unwrap();
    let tests = std::fs::read(batches.join("test_batch.bin")).unwrap();
    for (split, bytes, count) in [("train", &records, usize::MAX), ("test", &tests, 100)] {
        for (index, record) in bytes.chunks_exact(1 + 3072).take(count).enumerate() {
            let class = names[usize::from(record[0])];
            let folder = files.join(split).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            let pixels = &record[1..];
            let image = image::RgbImage::from_fn(32, 32, |x, y| {
                let at = (y * 32 + x) as usize;
                image::Rgb([pixels[at], pixels[1024 + at], pixels[2048 + at]])
            });
            image.save(folder.join(format!("{index:05}.png"))).unwrap();
        }
    }

    let mut resume = rwenas(&["search", "--resume"]);
    resume.arg(&out).arg("--data").arg(&files);
    run(&mut resume);
    let saved = read_json(&out.join("config.json"));
    assert_eq!(saved["data"], files.to_str().unwrap());
}

#[test]
fn config_json_of_a_search_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    tiny_search(&first);
    let second = dir.path().join("second");
    let mut command = rwenas(&["search", "--config"]);
    command
        .arg(first.join("config.json"))
        .arg("--out")
        .arg(&second);
    run(&mut command);
    assert_eq!(
        read_json(&first.join("config.json")),
        read_json(&second.join("config.json"))
    );
    assert_eq!(scores(&first), scores(&second));
}

/// Returns the genome and objective of every entry of the front in `dir`.
fn scores(dir: &Path) -> Vec<(String, String)> {
    let front = read_json(&dir.join("front.json"));
    front
        .as_array()
        .expect("front.json is an array")
        .iter()
        .map(|entry| (entry["genome"].to_string(), entry["objective"].to_string()))
        .collect()
}

#[test]
fn json_in_toml_file_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("search.toml");
    std::fs::write(&config, r#"{"population": 4}"#).unwrap();
    let out = dir.path().join("out");
    let stderr = failing(&[
        "search",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("looks like JSON"), "stderr: {stderr}");
}

#[cfg(unix)]
#[test]
fn config_data_path_is_relative_to_file() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings");
    std::fs::create_dir(&settings).unwrap();
    std::os::unix::fs::symlink(cifar_batches(), settings.join("cifar")).unwrap();
    let config = settings.join("search.toml");
    let text = "preset = \"quick\"\ndata = \"cifar\"\npopulation = 4\ngenerations = 1\n\
                train_size = 100\nvalid_size = 50\nepochs = 1\n";
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("out");
    // The working directory is the crate's folder, not the config file's.
    let mut command = rwenas(&["search", "--no-download", "--config"]);
    command.arg(&config).arg("--out").arg(&out);
    run(&mut command);
    let saved = read_json(&out.join("config.json"));
    let data = Path::new(saved["data"].as_str().unwrap());
    assert!(data.is_absolute(), "{saved}");
    assert!(data.ends_with("settings/cifar"), "{saved}");
}

#[test]
fn cut_short_record_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    tiny_search(&out);
    let path = out.join("evaluations.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"genome\":[1,");
    std::fs::write(&path, text).unwrap();

    let mut resume = rwenas(&["search", "--resume"]);
    resume.arg(&out);
    let output = run(&mut resume);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cut short"), "stderr: {stderr}");
}

#[test]
fn damaged_checkpoint_hint_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    tiny_search(&out);
    std::fs::write(out.join("checkpoint.json"), "{").unwrap();
    let stderr = failing_resume(&out, &[]);
    assert!(
        stderr.contains(&format!("remove {}", out.join("checkpoint.json").display())),
        "stderr: {stderr}"
    );
}

#[test]
fn config_without_identity_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("search");
    tiny_search(&out);
    let mut config = read_json(&out.join("config.json"));
    config.as_object_mut().unwrap().remove("data_identity");
    std::fs::write(out.join("config.json"), config.to_string()).unwrap();

    let mut resume = rwenas(&["search", "--resume"]);
    resume.arg(&out);
    let output = run(&mut resume);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot be checked"), "stderr: {stderr}");
    let saved = read_json(&out.join("config.json"));
    assert_eq!(
        saved["data_identity"]["sample_means"]
            .as_array()
            .unwrap()
            .len(),
        48
    );
}

#[test]
fn resume_of_a_file_names_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(&file, "{}").unwrap();
    let stderr = failing_resume(&file, &[]);
    assert!(stderr.contains("is a file"), "stderr: {stderr}");
    assert!(
        stderr.contains(&format!("contains it: {}", dir.path().display())),
        "stderr: {stderr}"
    );
}

#[cfg(unix)]
#[test]
fn dangling_link_as_output_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
    let stderr = failing(&[
        "search",
        "--data",
        cifar_batches().to_str().unwrap(),
        "--out",
        link.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("symbolic link to a missing target"),
        "stderr: {stderr}"
    );
}

#[test]
fn damaged_config_is_not_called_another_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{").unwrap();
    let stderr = failing_resume(dir.path(), &[]);
    assert!(stderr.contains("invalid"), "stderr: {stderr}");
    assert!(!stderr.contains("another command"), "stderr: {stderr}");
}
