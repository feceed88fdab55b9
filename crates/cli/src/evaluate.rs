//! The `evaluate` command: the random-weight evaluation of one architecture.

use std::path::PathBuf;

use clap::Args;
use rwenas::RweEstimator;
use rwenas::flops::{Convention, count};
use rwenas::nn::{Initializer, NormMode};
use rwenas::rwe::RweConfig;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{MicroScale, MicroSpace, build_network};
use rwenas::space::{Network, SearchSpace};
use serde::Serialize;

use crate::CliError;
use crate::architecture::{parse_genotype, read_genotype_file};
use crate::flops::{catalogue_cell, genome_error, read_genome, scale_error};
use crate::search::{SpaceKind, load_data};

/// Arguments of `rwenas evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Published cell of the catalogue: darts_v1, darts_v2, nasnet, amoebanet, enas, pnas,
    /// nsganet.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present_any = ["genome", "genotype", "genotype_file"]
    )]
    arch: Option<String>,
    /// JSON file with one genome as an array of integers, of the space given by --space.
    #[arg(long, value_name = "FILE", conflicts_with = "arch")]
    genome: Option<PathBuf>,
    /// DARTS genotype in the Python text form, `Genotype(normal=[...], normal_concat=[...],
    /// reduce=[...], reduce_concat=[...])`.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["arch", "genome", "genotype_file"])]
    genotype: Option<String>,
    /// File with one DARTS genotype, in the Python text form or its JSON form.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["arch", "genome"])]
    genotype_file: Option<PathBuf>,
    /// Space of the --genome file.
    #[arg(long, value_enum, default_value_t = SpaceKind::Micro)]
    space: SpaceKind,
    /// Initial channels of a micro network (default 10); for the macro space the phases
    /// have C, 2C and 4C channels (default 32).
    #[arg(long, value_name = "C")]
    channels: Option<usize>,
    /// Cells of a micro network, reduction cells included.
    #[arg(long, value_name = "L", default_value_t = 5)]
    layers: usize,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one.
    #[arg(long, default_value = "data/cifar10")]
    data: PathBuf,
    /// Training images for the classifiers, a multiple of the number of classes.
    #[arg(long, default_value_t = 40_000)]
    train_size: usize,
    /// Validation images that give the RWE error, a multiple of the number of classes.
    #[arg(long, default_value_t = 10_000)]
    valid_size: usize,
    /// Epochs of each linear classifier.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Seed of the random weights and of the classifiers.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Weight initialiser: pytorch_default, kaiming_normal, kaiming_uniform,
    /// xavier_normal, xavier_uniform.
    #[arg(long, default_value = "pytorch_default")]
    init: String,
    /// Batch norm while features are extracted: `batch` statistics or initial `running`
    /// statistics.
    #[arg(long, default_value = "batch")]
    bn: String,
    /// Device: cpu, wgpu or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The printed result.
#[derive(Debug, Serialize)]
struct Report {
    architecture: String,
    rwe_error: f64,
    feature_seconds: f64,
    classifier_seconds: f64,
    macs: u64,
    params: u64,
    features: usize,
    train_size: usize,
    valid_size: usize,
    seed: u64,
}

/// Runs `rwenas evaluate`.
pub fn run(args: EvaluateArgs) -> Result<(), CliError> {
    let initializer = Initializer::from_name(&args.init).ok_or_else(|| {
        CliError::new(format!("unknown initialiser `{}`", args.init)).with_hint(format!(
            "use one of {}",
            Initializer::ALL.map(Initializer::name).join(", ")
        ))
    })?;
    let norm = match args.bn.as_str() {
        "batch" => NormMode::BatchStatistics,
        "running" => NormMode::RunningStatistics,
        other => {
            return Err(CliError::new(format!("unknown batch norm mode `{other}`"))
                .with_hint("use batch or running"));
        }
    };
    let (architecture, network) = network_of(&args)?;
    let counts = count(&network, Convention::ConvLinear)
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))?;

    let data = load_data(&args.data, args.train_size, args.valid_size)?;
    let device = crate::device::parse(&args.device)?;
    let mut config = RweConfig::default();
    config.ensemble.epochs = args.epochs;
    let estimator = RweEstimator::new(data, config, vec![device.clone()])
        .with_initializer(initializer)
        .with_norm(norm);
    let score = estimator
        .evaluate_on(&network, args.seed, &device)
        .map_err(|error| CliError::new(format!("evaluation of {architecture} failed: {error}")))?;

    let report = Report {
        architecture,
        rwe_error: score.error,
        feature_seconds: score.feature_seconds,
        classifier_seconds: score.classifier_seconds,
        macs: counts.macs,
        params: counts.params,
        features: counts.features,
        train_size: args.train_size,
        valid_size: args.valid_size,
        seed: args.seed,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: RWE error {:.4} (features {:.1} s, classifiers {:.1} s), {:.2}M MACs, {} \
             parameters",
            report.architecture,
            report.rwe_error,
            report.feature_seconds,
            report.classifier_seconds,
            report.macs as f64 / 1e6,
            report.params
        );
    }
    Ok(())
}

fn network_of(args: &EvaluateArgs) -> Result<(String, Network), CliError> {
    let genotype = match (&args.genotype, &args.genotype_file) {
        (Some(text), _) => Some(("genotype".to_string(), parse_genotype(text, "--genotype")?)),
        (None, Some(path)) => Some((path.display().to_string(), read_genotype_file(path)?)),
        (None, None) => None,
    };
    if let Some((name, genotype)) = genotype {
        if args.space == SpaceKind::Macro {
            return Err(CliError::new(
                "a DARTS genotype describes micro cells, but --space is macro",
            )
            .with_hint("remove --space macro, or pass a macro genome with --genome FILE"));
        }
        let scale = MicroScale {
            initial_channels: args.channels.unwrap_or(10),
            layers: args.layers,
            ..MicroScale::search()
        };
        scale.validate().map_err(scale_error)?;
        let network = build_network(&genotype, &scale)
            .map_err(|error| CliError::new(format!("cannot build {name}: {error}")))?;
        return Ok((name, network));
    }
    match (args.space, &args.genome) {
        (SpaceKind::Macro, Some(path)) => {
            let channels = args.channels.unwrap_or(32);
            let scale = MacroScale {
                channels: vec![channels, 2 * channels, 4 * channels],
                ..MacroScale::search()
            };
            let space = MacroSpace::nsga_net(scale).map_err(scale_error)?;
            let genome = read_genome(path, &space)?;
            let network = space
                .decode(&genome)
                .map_err(|error| genome_error(path, &space, error))?;
            Ok((path.display().to_string(), network))
        }
        (SpaceKind::Micro, genome) => {
            let scale = MicroScale {
                initial_channels: args.channels.unwrap_or(10),
                layers: args.layers,
                ..MicroScale::search()
            };
            scale.validate().map_err(scale_error)?;
            let (name, genotype) = match (genome, &args.arch) {
                (Some(path), _) => {
                    let space = MicroSpace::nsga_net(scale).map_err(scale_error)?;
                    let genome = read_genome(path, &space)?;
                    let genotype = space
                        .genotype(&genome)
                        .map_err(|error| genome_error(path, &space, error))?;
                    (path.display().to_string(), genotype)
                }
                (None, Some(name)) => (name.to_ascii_lowercase(), catalogue_cell(name)?),
                (None, None) => {
                    return Err(CliError::new("no architecture given")
                        .with_hint("pass --arch NAME, --genome FILE or --genotype TEXT"));
                }
            };
            let network = build_network(&genotype, &scale)
                .map_err(|error| CliError::new(format!("cannot build {name}: {error}")))?;
            Ok((name, network))
        }
        (SpaceKind::Macro, None) => Err(CliError::new(
            "the catalogue contains micro cells only; a macro architecture needs --genome FILE",
        )
        .with_hint("pass --space macro --genome FILE, or --space micro with --arch")),
    }
}
