//! A search space of the user's own, plugged into the rwenas engine, evaluator and counter.
//!
//! The space is a plain chain of three stages. Each stage has a width (16, 24, 32 or 48
//! channels), a kernel size (3 or 5) and a depth (one or two convolution-BN-ReLU layers);
//! stages after the first start with 2x2 max pooling. Nine integer genes describe a network.
//!
//! Run: `cargo run --release -p example-custom-space -- [CIFAR-10 folder]`. The folder
//! defaults to `$RWENAS_CIFAR10`, then `../shared/data/cifar10`.

use std::path::PathBuf;

use burn::tensor::Device;
use rwenas::genome::{GeneBounds, Genome};
use rwenas::rwe::{DataSource, RweConfig, RweData, Split};
use rwenas::space::network::{Classifier, Graph, Layer, Network};
use rwenas::space::{SearchSpace, SpaceError};
use rwenas::{NasProblem, RweEstimator, Search, SearchConfig};

const WIDTHS: [usize; 4] = [16, 24, 32, 48];
const KERNELS: [usize; 2] = [3, 5];
const STAGES: usize = 3;

/// Three stages of convolutions; genes per stage: width index, kernel index, depth (1 or 2).
struct ChainSpace;

impl SearchSpace for ChainSpace {
    fn name(&self) -> &str {
        "chain"
    }

    fn bounds(&self) -> GeneBounds {
        let lower = [0, 0, 1].repeat(STAGES);
        let upper = [WIDTHS.len() as i64 - 1, KERNELS.len() as i64 - 1, 2].repeat(STAGES);
        GeneBounds::new(lower, upper).expect("bounds are ordered")
    }

    fn decode(&self, genome: &Genome) -> Result<Network, SpaceError> {
        self.bounds().validate(genome)?;
        let mut graph = Graph::new();
        let (mut node, mut channels) = (0, 3);
        for (stage, genes) in genome.genes().chunks(3).enumerate() {
            if stage > 0 {
                let pool = Layer::MaxPool2d {
                    kernel: [2, 2],
                    stride: [2, 2],
                    padding: [0, 0],
                };
                node = graph.layer(pool, node);
            }
            let width = WIDTHS[genes[0] as usize];
            let kernel = KERNELS[genes[1] as usize];
            for _ in 0..genes[2] {
                let conv = Layer::Conv2d {
                    in_channels: channels,
                    out_channels: width,
                    kernel: [kernel, kernel],
                    stride: [1, 1],
                    padding: [kernel / 2, kernel / 2],
                    dilation: [1, 1],
                    groups: 1,
                    bias: false,
                };
                let norm = Layer::BatchNorm2d { channels: width };
                node = graph.chain([conv, norm, Layer::Relu], node);
                channels = width;
            }
        }
        graph.output = graph.layer(Layer::GlobalAvgPool, node);
        let network = Network {
            input: [3, 32, 32],
            backbone: graph,
            classifier: Classifier {
                in_features: channels,
                classes: 10,
            },
            auxiliary: None,
        };
        network.validate()?;
        Ok(network)
    }

    fn describe(&self, genome: &Genome) -> Result<String, SpaceError> {
        self.bounds().validate(genome)?;
        let stages: Vec<String> = genome
            .genes()
            .chunks(3)
            .map(|genes| {
                let width = WIDTHS[genes[0] as usize];
                let kernel = KERNELS[genes[1] as usize];
                format!("{}x conv{kernel}x{kernel}-{width}", genes[2])
            })
            .collect();
        Ok(stages.join(" | "))
    }
}

fn data_folder() -> PathBuf {
    std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("RWENAS_CIFAR10"))
        .map_or_else(|| PathBuf::from("../shared/data/cifar10"), PathBuf::from)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // A small slice of CIFAR-10 keeps this example under a minute on a 2-core CPU.
    let sets = DataSource::detect(&data_folder())?.load(None)?;
    let split = Split::new(&sets.train, Some(500), Some(200))?;
    let data = RweData::new(sets.train, split)?;
    let estimator = RweEstimator::new(data, RweConfig::default(), vec![Device::flex()]);

    let space = ChainSpace;
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
        "{:>9}  {:>8}  {:>7}  architecture",
        "RWE error", "MFLOPs", "params"
    );
    for record in search.front() {
        let error = record.objective.unwrap_or(f64::NAN);
        let mflops = record.flops as f64 / 1e6;
        println!(
            "{error:>9.4}  {mflops:>8.2}  {:>7}  {}",
            record.params, record.architecture
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
