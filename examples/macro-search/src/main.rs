//! A small search of NSGA-Net's macro (phase-based) space through the library API: NSGA-II
//! over 48-bit genomes, each scored by random-weight evaluation and FLOPs.
//!
//! Run: `cargo run --release -p example-macro-search -- [CIFAR-10 folder]`. The folder
//! defaults to `$RWENAS_CIFAR10`, then `../shared/data/cifar10`.

use std::path::PathBuf;

use burn::tensor::Device;
use rwenas::rwe::{DataSource, RweConfig, RweData, Split};
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::{NasProblem, RweEstimator, Search, SearchConfig};

fn data_folder() -> PathBuf {
    std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("RWENAS_CIFAR10"))
        .map_or_else(|| PathBuf::from("../shared/data/cifar10"), PathBuf::from)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // 500 training and 200 validation images and 6 architectures a generation keep this
    // example near a minute on a 2-core CPU.
    let sets = DataSource::detect(&data_folder())?.load(None)?;
    let split = Split::new(&sets.train, Some(500), Some(200))?;
    let data = RweData::new(sets.train, split)?;
    let estimator = RweEstimator::new(data, RweConfig::default(), vec![Device::flex()]);

    // Three phases of 32, 64 and 128 channels: NSGA-Net's search scale.
    let space = MacroSpace::nsga_net(MacroScale::search())?;
    let problem = NasProblem::new(&space, &estimator, 1);
    let config = SearchConfig {
        population: 6,
        generations: 3,
        seed: 1,
    };
    let mut search = Search::new(problem, &config)?;
    while !search.is_finished() {
        let summary = search.step()?;
        println!(
            "generation {}: {} evaluated, front of {}",
            summary.generation + 1,
            summary.evaluated.len(),
            summary.front.len()
        );
    }

    println!(
        "{:>9}  {:>8}  {:>7}  genome",
        "RWE error", "MFLOPs", "params"
    );
    for record in search.front() {
        let error = record.objective.unwrap_or(f64::NAN);
        let mflops = record.flops as f64 / 1e6;
        println!(
            "{error:>9.4}  {mflops:>8.2}  {:>7}  {:?}",
            record.params, record.genome
        );
    }
    Ok(())
}

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
