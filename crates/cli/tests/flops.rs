//! `rwenas flops` run as a program: counts of published cells and genome files, and the
//! errors of bad input.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn rwenas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rwenas"))
        .args(args)
        .output()
        .expect("the rwenas binary runs")
}

/// Runs `rwenas flops` with `args`, checks that it succeeds and returns the printed object.
fn flops(args: &[&str]) -> Value {
    let mut all = vec!["flops"];
    all.extend_from_slice(args);
    let output = rwenas(&all);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "rwenas {all:?} failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON line expected: {stdout}"
    );
    serde_json::from_str(&stdout).expect("stdout is one JSON object")
}

/// Runs `rwenas flops` with `args`, checks that it fails and returns its stderr.
fn flops_error(args: &[&str]) -> String {
    let mut all = vec!["flops"];
    all.extend_from_slice(args);
    let output = rwenas(&all);
    assert!(!output.status.success(), "rwenas {all:?} succeeded");
    assert!(output.stdout.is_empty(), "a failed count prints no JSON");
    String::from_utf8(output.stderr).expect("stderr is UTF-8")
}

fn write_genome(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the genome file is written");
    path.to_str().expect("the path is UTF-8").to_owned()
}

const DARTS_V2: [&str; 6] = ["--arch", "darts_v2", "--channels", "36", "--layers", "20"];

#[test]
fn darts_v2_conv_linear() {
    let mut args = DARTS_V2.to_vec();
    args.extend([
        "--classes",
        "10",
        "--input",
        "32",
        "--convention",
        "conv-linear",
    ]);
    let report = flops(&args);
    assert_eq!(report["params"], 3_349_342);
    assert_eq!(report["macs"], 528_359_040);
    // The classifier adds 576 features x 10 classes.
    assert_eq!(report["backbone_macs"], 528_359_040 - 5_760);
    assert_eq!(report["auxiliary_params"], 0);
    assert_eq!(report["features"], 576);
    assert_eq!(report["convention"], "conv-linear");
    assert_eq!(report["architecture"], "darts_v2");
    assert_eq!(report["layout"], "cifar");
}

#[test]
fn darts_v2_nsganet() {
    let mut args = DARTS_V2.to_vec();
    args.extend(["--convention", "nsganet"]);
    let report = flops(&args);
    assert_eq!(report["macs"], 547_473_024);
    assert_eq!(report["params"], 3_349_342);
    assert_eq!(report["convention"], "nsganet");
}

#[test]
fn darts_v2_auxiliary_adds_params_only() {
    let mut args = DARTS_V2.to_vec();
    args.extend(["--auxiliary", "--convention", "conv-linear"]);
    let report = flops(&args);
    assert_eq!(report["params"], 3_349_342 + 476_426);
    assert_eq!(report["auxiliary_params"], 476_426);
    assert_eq!(report["macs"], 528_359_040);
    assert_eq!(report["auxiliary"], true);
}

#[test]
fn darts_v2_imagenet() {
    let report = flops(&[
        "--arch",
        "darts_v2",
        "--channels",
        "48",
        "--layers",
        "14",
        "--imagenet",
        "--input",
        "224",
        "--classes",
        "1000",
        "--convention",
        "conv-linear",
    ]);
    assert_eq!(report["params"], 4_718_752);
    assert_eq!(report["macs"], 529_911_552);
    assert_eq!(report["features"], 768);
    assert_eq!(report["layout"], "imagenet");
}

#[test]
fn every_catalogue_name_counts() {
    for name in [
        "darts_v1",
        "darts_v2",
        "nasnet",
        "amoebanet",
        "enas",
        "pnas",
        "nsganet",
    ] {
        let report = flops(&["--arch", name, "--convention", "conv-linear"]);
        assert_eq!(report["architecture"], name);
        assert!(report["macs"].as_u64().unwrap() > 0, "{name}");
    }
}

#[test]
fn micro_genome_file_matches_its_cell() {
    // The NSGA-Net cell as a 40-gene genome: per block op_a, in_a, op_b, in_b with
    // operations 0 max_pool_3x3, 1 avg_pool_3x3, 2 skip_connect, 3 sep_conv_3x3,
    // 4 sep_conv_5x5, 5 dil_conv_3x3, 6 dil_conv_5x5. Its concat lists are its loose ends,
    // as the published genotype lists them.
    let genome = "[2,0,0,0, 6,0,0,0, 6,1,3,3, 0,1,4,3, 3,1,3,0, \
                  1,0,3,1, 5,1,0,0, 2,2,6,1, 2,2,1,1, 6,1,5,1]";
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(dir.path(), "nsganet.json", genome);
    let from_genome = flops(&["--genome", &path, "--space", "micro"]);
    let from_name = flops(&["--arch", "nsganet"]);
    assert_eq!(from_genome["macs"], from_name["macs"]);
    assert_eq!(from_genome["params"], from_name["params"]);
    assert_eq!(from_genome["genome"].as_array().unwrap().len(), 40);
}

#[test]
fn macro_genome_uses_c_2c_4c() {
    // Phase 0: only node 2 reads node 1. Phases 1 and 2: all connection bits zero, so they
    // are inactive and dropped.
    let mut bits = vec![0; 48];
    bits[0] = 1;
    let dir = tempfile::tempdir().unwrap();
    let text = serde_json::to_string(&bits).unwrap();
    let path = write_genome(dir.path(), "macro.json", &text);
    let report = flops(&["--genome", &path, "--space", "macro", "--channels", "16"]);
    assert_eq!(report["phase_channels"], serde_json::json!([16, 32, 64]));
    // One active phase at 16 channels on 32x32 maps: the input convolution 3x3 without
    // padding (3 -> 16, 30x30 maps) and two 3x3 nodes, 16 features, 10 classes.
    let input_conv = 30 * 30 * 16 * 27;
    let nodes = 2 * 30 * 30 * 16 * 16 * 9;
    assert_eq!(report["features"], 16);
    assert_eq!(report["macs"], input_conv + nodes + 16 * 10);
}

#[test]
fn unknown_arch_lists_names() {
    let stderr = flops_error(&["--arch", "resnet"]);
    assert!(stderr.contains("'resnet'"), "{stderr}");
    assert!(stderr.contains("darts_v1, darts_v2, nasnet"), "{stderr}");
    assert!(stderr.contains("--genome"), "{stderr}");
}

#[test]
fn missing_genome_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.json");
    let path = path.to_str().unwrap();
    let stderr = flops_error(&["--genome", path]);
    assert!(stderr.contains(path), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn genome_file_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(dir.path(), "bad.json", "not json");
    let stderr = flops_error(&["--genome", &path]);
    assert!(stderr.contains(&path), "{stderr}");
    assert!(stderr.contains("not a JSON array of integers"), "{stderr}");
}

#[test]
fn genome_file_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(dir.path(), "short.json", "[0, 1, 0]");
    let stderr = flops_error(&["--genome", &path, "--space", "micro"]);
    assert!(stderr.contains(&path), "{stderr}");
    assert!(stderr.contains("3 genes"), "{stderr}");
    assert!(stderr.contains("expects 40"), "{stderr}");
    let stderr = flops_error(&["--genome", &path, "--space", "macro"]);
    assert!(stderr.contains("expects 48"), "{stderr}");
}

#[test]
fn micro_gene_out_of_bounds() {
    let mut genes = vec![0; 40];
    // Gene 5 is the first input of block 1 of the normal cell, which reads inputs 0 to 2.
    genes[5] = 7;
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(
        dir.path(),
        "micro.json",
        &serde_json::to_string(&genes).unwrap(),
    );
    let stderr = flops_error(&["--genome", &path]);
    assert!(stderr.contains(&path), "{stderr}");
    assert!(stderr.contains("gene 5 is 7"), "{stderr}");
    assert!(stderr.contains("0 to 2"), "{stderr}");
}

#[test]
fn macro_gene_out_of_bounds() {
    let mut bits = vec![1; 48];
    bits[20] = 2;
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(
        dir.path(),
        "macro.json",
        &serde_json::to_string(&bits).unwrap(),
    );
    let stderr = flops_error(&["--genome", &path, "--space", "macro"]);
    assert!(stderr.contains(&path), "{stderr}");
    assert!(stderr.contains("gene 20 is 2"), "{stderr}");
    assert!(stderr.contains("0 to 1"), "{stderr}");
}

#[test]
fn macro_rejects_layers() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(
        dir.path(),
        "macro.json",
        &serde_json::to_string(&vec![1; 48]).unwrap(),
    );
    let stderr = flops_error(&["--genome", &path, "--space", "macro", "--layers", "20"]);
    assert!(stderr.contains("--layers"), "{stderr}");
}

#[test]
fn odd_channels_are_rejected() {
    let stderr = flops_error(&["--arch", "darts_v2", "--channels", "35"]);
    assert!(stderr.contains("35"), "{stderr}");
    assert!(stderr.contains("--channels"), "{stderr}");
}

#[test]
fn unknown_convention_is_rejected() {
    let stderr = flops_error(&["--arch", "darts_v2", "--convention", "thop"]);
    assert!(stderr.contains("thop"), "{stderr}");
    assert!(stderr.contains("conv-linear"), "{stderr}");
}

#[test]
fn space_without_genome_is_rejected() {
    let stderr = flops_error(&["--arch", "darts_v2", "--space", "macro"]);
    assert!(
        stderr.contains("--space applies only to a --genome file"),
        "{stderr}"
    );
    assert!(stderr.contains("remove --space"), "{stderr}");
}

#[test]
fn negative_numbers_name_the_flag() {
    for (flag, value) in [("--channels", "-4"), ("--layers", "-1"), ("--input", "-32")] {
        let stderr = flops_error(&["--arch", "darts_v2", flag, value]);
        assert!(
            stderr.contains(&format!("invalid value '{value}' for '{flag}")),
            "{flag}: {stderr}"
        );
    }
}

#[test]
fn zero_sizes_name_the_flag() {
    for flag in ["--layers", "--classes", "--input"] {
        let stderr = flops_error(&["--arch", "darts_v2", flag, "0"]);
        assert!(
            stderr.contains(&format!("{flag} is 0 but must be at least 1")),
            "{flag}: {stderr}"
        );
        assert!(!stderr.contains("even number of channels"), "{stderr}");
    }
    let stderr = flops_error(&["--arch", "darts_v2", "--channels", "0"]);
    assert!(stderr.contains("at least 1"), "{stderr}");
}

#[test]
fn tiny_input_names_smallest_size() {
    let stderr = flops_error(&["--arch", "darts_v2", "--input", "1"]);
    assert!(
        stderr.contains("--input 1 is too small for darts_v2"),
        "{stderr}"
    );
    // The two reductions of the CIFAR layout halve the maps twice, so 4x4 is the least input.
    assert!(
        stderr.contains("the smallest --input at which it builds is 4"),
        "{stderr}"
    );
    assert!(!stderr.contains("auxiliary"), "{stderr}");
}

#[test]
fn odd_input_names_nearest_sizes() {
    let stderr = flops_error(&["--arch", "darts_v2", "--input", "30"]);
    assert!(
        stderr.contains("darts_v2 does not build at --input 30"),
        "{stderr}"
    );
    assert!(stderr.contains("--input 28 and 32"), "{stderr}");
    let report = flops(&["--arch", "darts_v2", "--input", "28"]);
    assert_eq!(report["input"], 28);
}

#[test]
fn auxiliary_head_needs_larger_input() {
    let stderr = flops_error(&["--arch", "darts_v2", "--auxiliary", "--input", "16"]);
    assert!(stderr.contains("with the auxiliary head"), "{stderr}");
    assert!(
        stderr.contains("the smallest --input at which it builds is 32"),
        "{stderr}"
    );
    assert!(
        stderr.contains("without --auxiliary it builds at --input 16"),
        "{stderr}"
    );
}

#[test]
fn macro_tiny_input_names_smallest_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(
        dir.path(),
        "macro.json",
        &serde_json::to_string(&vec![1; 48]).unwrap(),
    );
    let stderr = flops_error(&["--genome", &path, "--space", "macro", "--input", "2"]);
    assert!(stderr.contains("--input 2 is too small"), "{stderr}");
    assert!(stderr.contains("smallest --input"), "{stderr}");
}

#[test]
fn macro_channel_list_sets_each_phase() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(
        dir.path(),
        "macro.json",
        &serde_json::to_string(&vec![1; 48]).unwrap(),
    );
    let report = flops(&[
        "--genome",
        &path,
        "--space",
        "macro",
        "--channels",
        "16,16,16",
    ]);
    assert_eq!(report["phase_channels"], serde_json::json!([16, 16, 16]));
    let stderr = flops_error(&["--genome", &path, "--space", "macro", "--channels", "16,16"]);
    assert!(
        stderr.contains("lists 2 phases, but the macro space has 3"),
        "{stderr}"
    );
    let stderr = flops_error(&["--arch", "darts_v2", "--channels", "16,32,64"]);
    assert!(stderr.contains("one initial count"), "{stderr}");
}

#[test]
fn front_entry_as_genome_points_to_front() {
    let dir = tempfile::tempdir().unwrap();
    let entry = serde_json::json!({ "genome": vec![0; 40], "macs": 1 });
    let path = write_genome(dir.path(), "entry.json", &entry.to_string());
    let stderr = flops_error(&["--genome", &path]);
    assert!(stderr.contains("not a JSON array of integers"), "{stderr}");
    assert!(
        stderr.contains("an entry of a search's front.json"),
        "{stderr}"
    );
    assert!(stderr.contains("--front DIR --index K"), "{stderr}");
    let front = serde_json::json!([entry]);
    let path = write_genome(dir.path(), "front.json", &front.to_string());
    let stderr = flops_error(&["--genome", &path]);
    assert!(stderr.contains("a search's front.json"), "{stderr}");
}

#[test]
fn single_gene_is_singular() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(dir.path(), "one.json", "[0]");
    let stderr = flops_error(&["--genome", &path]);
    assert!(stderr.contains("has 1 gene but"), "{stderr}");
}

#[test]
fn genotype_counts_like_its_catalogue_name() {
    let genotype = rwenas::space::micro::catalogue::genotype("darts_v2")
        .unwrap()
        .to_string();
    let from_name = flops(&["--arch", "darts_v2"]);
    let from_text = flops(&["--genotype", &genotype]);
    assert_eq!(from_text["macs"], from_name["macs"]);
    assert_eq!(from_text["params"], from_name["params"]);

    let dir = tempfile::tempdir().unwrap();
    let path = write_genome(dir.path(), "cell.txt", &genotype);
    let from_file = flops(&["--genotype-file", &path]);
    assert_eq!(from_file["macs"], from_name["macs"]);
}

#[test]
fn front_entry_counts_its_genome() {
    // A finished search folder: its settings and a front of one entry, the NSGA-Net cell.
    let dir = tempfile::tempdir().unwrap();
    let settings = serde_json::json!({
        "space": "micro", "preset": "quick", "data": "/data", "seed": 0,
        "population": 4, "generations": 1, "train_size": 100, "valid_size": 50,
        "epochs": 1, "device": "cpu",
    });
    std::fs::write(dir.path().join("config.json"), settings.to_string()).unwrap();
    let genome: Vec<i64> = vec![
        2, 0, 0, 0, 6, 0, 0, 0, 6, 1, 3, 3, 0, 1, 4, 3, 3, 1, 3, 0, 1, 0, 3, 1, 5, 1, 0, 0, 2, 2,
        6, 1, 2, 2, 1, 1, 6, 1, 5, 1,
    ];
    let entry = serde_json::json!({
        "genome": genome, "estimator": "rwe", "objective": 0.6, "rwe_error": 0.6,
        "flops": 1, "params": 1, "architecture": "nsganet", "feature_seconds": 0.0,
        "classifier_seconds": 0.0,
    });
    std::fs::write(
        dir.path().join("front.json"),
        serde_json::json!([entry]).to_string(),
    )
    .unwrap();

    let folder = dir.path().to_str().unwrap();
    let from_front = flops(&["--front", folder, "--index", "1"]);
    let from_name = flops(&["--arch", "nsganet"]);
    assert_eq!(from_front["macs"], from_name["macs"]);
    assert_eq!(from_front["params"], from_name["params"]);
    assert_eq!(from_front["genome"], serde_json::json!(genome));

    let stderr = flops_error(&["--front", folder, "--index", "2"]);
    assert!(stderr.contains("--index 2 is out of range"), "{stderr}");
}

#[test]
fn index_without_front_is_rejected() {
    let stderr = flops_error(&["--arch", "darts_v2", "--index", "1"]);
    assert!(
        stderr.contains("--index applies only to --front"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rwenas"))
        .args(["export", "--arch", "darts_v2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rwenas binary runs");
    // The document is about 300 KB, more than a pipe buffers, so the program writes to a
    // closed pipe whether it started writing before the close or not.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn full_stdout_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    let output = Command::new(env!("CARGO_BIN_EXE_rwenas"))
        .args(["flops", "--arch", "darts_v2"])
        .stdout(full)
        .output()
        .expect("the rwenas binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
