//! `rwenas export` and `rwenas evaluate --genotype` run as a program.

mod common;

use common::{cifar_batches, failing, read_json, run, rwenas, search_command};
use rwenas::flops::{Convention, count};
use rwenas::space::micro::catalogue;
use rwenas::space::network::Network;
use serde_json::Value;

fn darts_v2_text() -> String {
    catalogue::genotype("darts_v2")
        .expect("darts_v2 is in the catalogue")
        .to_string()
}

/// Runs `rwenas export` with `args` and returns stdout.
fn export_stdout(args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let output = run(&mut rwenas(&all));
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

/// Checks that the `network` of an exported document validates and that the header's
/// counts are the counter's.
fn check_document(document: &Value) -> Network {
    let network: Network =
        serde_json::from_value(document["network"].clone()).expect("network deserializes");
    network.validate().expect("the exported network is valid");
    let counts = count(&network, Convention::ConvLinear).expect("the network counts");
    assert_eq!(document["macs"], counts.macs);
    assert_eq!(document["params"], counts.params + counts.auxiliary_params);
    network
}

#[test]
fn export_darts_v2_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("darts_v2.json");
    let text = darts_v2_text();
    run(&mut rwenas(&[
        "export",
        "--genotype",
        &text,
        "--channels",
        "36",
        "--layers",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]));
    let document = read_json(&out);
    assert_eq!(document["genotype"], text.as_str());
    assert_eq!(document["space"], "micro");
    assert_eq!(document["scale"]["initial_channels"], 36);
    assert_eq!(document["scale"]["layers"], 20);
    check_document(&document);
    // DARTS V2 at 36 channels and 20 cells, as `rwenas flops` counts it.
    let flops = run(&mut rwenas(&[
        "flops",
        "--arch",
        "darts_v2",
        "--channels",
        "36",
        "--layers",
        "20",
    ]));
    let flops: Value = serde_json::from_slice(&flops.stdout).unwrap();
    assert_eq!(document["macs"], flops["macs"]);
    assert_eq!(document["params"], flops["params"]);
}

#[test]
fn export_arch_matches_genotype() {
    let by_name: Value = serde_json::from_str(&export_stdout(&["--arch", "darts_v2"])).unwrap();
    let by_text: Value =
        serde_json::from_str(&export_stdout(&["--genotype", &darts_v2_text()])).unwrap();
    assert_eq!(by_name["network"], by_text["network"]);
    assert_eq!(by_name["genotype"], by_text["genotype"]);
}

#[test]
fn export_auxiliary_counts_head_params() {
    let document: Value =
        serde_json::from_str(&export_stdout(&["--arch", "darts_v2", "--auxiliary"])).unwrap();
    let network = check_document(&document);
    assert!(network.auxiliary.is_some());
}

#[test]
fn export_genotype_file_json_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genotype.json");
    let genotype = catalogue::genotype("darts_v2").unwrap();
    std::fs::write(&path, serde_json::to_string(&genotype).unwrap()).unwrap();
    let document: Value =
        serde_json::from_str(&export_stdout(&["--genotype-file", path.to_str().unwrap()])).unwrap();
    assert_eq!(document["genotype"], darts_v2_text().as_str());
}

#[test]
fn export_dot_and_text() {
    let dot = export_stdout(&["--arch", "darts_v2", "--format", "dot"]);
    assert!(dot.starts_with("digraph"), "dot: {dot}");
    assert!(dot.contains("sep_conv_3x3"), "dot: {dot}");
    let text = export_stdout(&["--arch", "darts_v2", "--format", "text"]);
    assert!(text.contains("sep_conv_3x3"), "text: {text}");
}

#[test]
fn export_keeps_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("existing.json");
    std::fs::write(&out, "keep me").unwrap();
    let out_arg = out.to_str().unwrap();
    let stderr = failing(&["export", "--arch", "darts_v2", "--out", out_arg]);
    assert!(stderr.contains("already exists"), "stderr: {stderr}");
    assert!(stderr.contains("--force"), "stderr: {stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");

    run(&mut rwenas(&[
        "export", "--arch", "darts_v2", "--out", out_arg, "--force",
    ]));
    check_document(&read_json(&out));
}

#[test]
fn export_unknown_operation_is_named() {
    let text = darts_v2_text().replacen("sep_conv_3x3", "sep_conv_9x9", 1);
    let stderr = failing(&["export", "--genotype", &text]);
    assert!(stderr.contains("sep_conv_9x9"), "stderr: {stderr}");
    assert!(
        stderr.contains("sep_conv_3x3"),
        "the hint lists names: {stderr}"
    );
}

#[test]
fn export_future_input_names_node() {
    // Node 0 of the normal cell may read states 0 and 1 only.
    let text = darts_v2_text().replacen("('sep_conv_3x3', 0)", "('sep_conv_3x3', 4)", 1);
    let stderr = failing(&["export", "--genotype", &text]);
    assert!(stderr.contains("node 0"), "stderr: {stderr}");
    assert!(stderr.contains("states 0 to 1"), "stderr: {stderr}");
}

#[test]
fn export_garbled_genotype_says_form() {
    let stderr = failing(&[
        "export",
        "--genotype",
        "Genotype(normal=[('sep_conv_3x3' 0)])",
    ]);
    assert!(stderr.contains("cannot parse"), "stderr: {stderr}");
    assert!(stderr.contains("Genotype(normal="), "stderr: {stderr}");
}

#[test]
fn export_sources_conflict() {
    let stderr = failing(&["export", "--arch", "darts_v2", "--genotype", "x"]);
    assert!(stderr.contains("cannot be used with"), "stderr: {stderr}");
}

#[test]
fn export_macro_genome_rejects_layers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("macro.json");
    std::fs::write(&path, serde_json::to_string(&vec![0; 48]).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let document: Value =
        serde_json::from_str(&export_stdout(&["--genome", path, "--space", "macro"])).unwrap();
    assert_eq!(document["space"], "macro");
    assert_eq!(document["genome"].as_array().map(Vec::len), Some(48));
    assert!(document.get("genotype").is_none());
    check_document(&document);

    let stderr = failing(&[
        "export", "--genome", path, "--space", "macro", "--layers", "8",
    ]);
    assert!(stderr.contains("--layers"), "stderr: {stderr}");
}

#[test]
fn export_front_entry() {
    let dir = tempfile::tempdir().unwrap();
    let search = dir.path().join("search");
    run(&mut search_command(&search, "2", "4", "1", "1"));
    let front = read_json(&search.join("front.json"));
    let entries = front.as_array().expect("front is an array");
    let search_arg = search.to_str().unwrap();

    let document: Value =
        serde_json::from_str(&export_stdout(&["--front", search_arg, "--index", "1"])).unwrap();
    assert_eq!(document["genome"], entries[0]["genome"]);
    assert_eq!(document["space"], "micro");
    check_document(&document);

    let beyond = (entries.len() + 1).to_string();
    let stderr = failing(&["export", "--front", search_arg, "--index", &beyond]);
    assert!(stderr.contains("out of range"), "stderr: {stderr}");
    assert!(
        stderr.contains(&format!("from 1 to {}", entries.len())),
        "stderr: {stderr}"
    );
    let stderr = failing(&["export", "--front", search_arg, "--index", "0"]);
    assert!(stderr.contains("out of range"), "stderr: {stderr}");

    // The front gives the space; --space is rejected, not ignored.
    let stderr = failing(&[
        "export", "--front", search_arg, "--index", "1", "--space", "macro",
    ]);
    assert!(
        stderr.contains("--space applies only to a --genome file"),
        "stderr: {stderr}"
    );

    // A front entry, or the whole front.json, passed as a genome file points to --front.
    let entry = dir.path().join("entry.json");
    std::fs::write(&entry, entries[0].to_string()).unwrap();
    let front_file = search.join("front.json");
    for path in [&entry, &front_file] {
        let stderr = failing(&["export", "--genome", path.to_str().unwrap()]);
        assert!(stderr.contains("not a JSON array"), "stderr: {stderr}");
        assert!(stderr.contains("--front DIR --index K"), "stderr: {stderr}");
    }
}

#[test]
fn export_space_without_genome_rejected() {
    let stderr = failing(&["export", "--arch", "darts_v2", "--space", "macro"]);
    assert!(
        stderr.contains("--space applies only to a --genome file"),
        "stderr: {stderr}"
    );
    let stderr = failing(&["export", "--genotype", &darts_v2_text(), "--space", "micro"]);
    assert!(stderr.contains("--space applies only"), "stderr: {stderr}");
}

#[test]
fn export_index_without_front_rejected() {
    let stderr = failing(&["export", "--arch", "darts_v2", "--index", "2"]);
    assert!(
        stderr.contains("--index applies only to --front DIR"),
        "stderr: {stderr}"
    );
}

#[test]
fn export_negative_channels_name_flag() {
    let stderr = failing(&["export", "--arch", "darts_v2", "--channels", "-4"]);
    assert!(
        stderr.contains("invalid value '-4' for '--channels"),
        "stderr: {stderr}"
    );
}

#[test]
fn export_macro_channels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("macro.json");
    std::fs::write(&path, serde_json::to_string(&vec![1; 48]).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let phases = |extra: &[&str]| {
        let mut args = vec!["--genome", path, "--space", "macro"];
        args.extend_from_slice(extra);
        let document: Value = serde_json::from_str(&export_stdout(&args)).unwrap();
        check_document(&document);
        document["scale"]["channels"].clone()
    };
    assert_eq!(phases(&[]), serde_json::json!([32, 64, 128]));
    assert_eq!(
        phases(&["--channels", "16"]),
        serde_json::json!([16, 32, 64])
    );
    assert_eq!(
        phases(&["--channels", "128,128,128"]),
        serde_json::json!([128, 128, 128])
    );
}

#[test]
fn export_no_auxiliary_overrides_auxiliary() {
    let document: Value = serde_json::from_str(&export_stdout(&[
        "--arch",
        "darts_v2",
        "--auxiliary",
        "--no-auxiliary",
    ]))
    .unwrap();
    assert!(check_document(&document).auxiliary.is_none());
}

#[test]
fn export_front_needs_search_folder() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = failing(&[
        "export",
        "--front",
        dir.path().to_str().unwrap(),
        "--index",
        "1",
    ]);
    assert!(
        stderr.contains("config.json is missing"),
        "stderr: {stderr}"
    );
}

#[test]
fn evaluate_genotype_text_scores() {
    let text = darts_v2_text();
    let output = run(&mut rwenas(&[
        "evaluate",
        "--genotype",
        &text,
        "--data",
        cifar_batches().to_str().unwrap(),
        "--train-size",
        "100",
        "--valid-size",
        "50",
        "--epochs",
        "1",
        "--json",
    ]));
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let error = report["rwe_error"].as_f64().expect("rwe_error");
    assert!((0.0..=1.0).contains(&error), "error {error}");
    // The same counts as `evaluate --arch darts_v2` at 10 channels and 5 cells.
    assert_eq!(report["macs"], 10_899_520);
    assert_eq!(report["params"], 54_970);
}

#[test]
fn evaluate_genotype_conflicts_with_arch() {
    let text = darts_v2_text();
    let stderr = failing(&["evaluate", "--arch", "darts_v2", "--genotype", &text]);
    assert!(stderr.contains("cannot be used with"), "stderr: {stderr}");
}

#[test]
fn evaluate_bad_genotype_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, "Genotype(normal=[('conv_9x9', 0)])").unwrap();
    let stderr = failing(&[
        "evaluate",
        "--genotype-file",
        path.to_str().unwrap(),
        "--data",
        "/nonexistent",
    ]);
    assert!(stderr.contains("bad.txt"), "stderr: {stderr}");
    assert!(stderr.contains("conv_9x9"), "stderr: {stderr}");
}

#[test]
fn verbose_logs_export() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("darts_v2.dot");
    let output = run(&mut rwenas(&[
        "export",
        "--verbose",
        "--arch",
        "darts_v2",
        "--format",
        "dot",
        "--out",
        out.to_str().unwrap(),
    ]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("file written"), "stderr: {stderr}");
    let quiet = dir.path().join("quiet.dot");
    let output = run(&mut rwenas(&[
        "export",
        "--arch",
        "darts_v2",
        "--format",
        "dot",
        "--out",
        quiet.to_str().unwrap(),
    ]));
    assert!(output.stderr.is_empty(), "stderr: {:?}", output.stderr);
}
