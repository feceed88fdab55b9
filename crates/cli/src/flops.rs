//! The `flops` command: multiply-accumulates and parameters of one architecture, printed
//! as one JSON object.

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, ValueEnum};
use rwenas::flops::{Convention, Counts, count};
use rwenas::genome::{Genome, GenomeError};
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{DartsGenotype, MicroLayout, MicroScale, MicroSpace, catalogue};
use rwenas::space::{Network, SearchSpace, SpaceError};
use serde::Serialize;
use serde_json::Value;
use tracing::debug;

use crate::CliError;
use crate::architecture::{
    ArchitectureSource, Channels, SOURCE_FLAGS, macro_channels, micro_channels, micro_layers,
    parse_channels, resolve, space_without_genome,
};
use crate::estimators::counted;
use crate::search::SpaceKind;

/// Arguments of `rwenas flops`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("architecture").required(true).args(SOURCE_FLAGS)),
    allow_negative_numbers = true
)]
pub struct FlopsArgs {
    /// Published cell of the catalogue: darts_v1, darts_v2, nasnet, amoebanet, enas, pnas,
    /// nsganet.
    #[arg(long, value_name = "NAME")]
    arch: Option<String>,
    /// JSON file with one genome as an array of integers: 40 genes for `--space micro`,
    /// 48 bits for `--space macro`.
    #[arg(long, value_name = "FILE")]
    genome: Option<PathBuf>,
    /// DARTS genotype in the Python text form, `Genotype(normal=[...], normal_concat=[...],
    /// reduce=[...], reduce_concat=[...])`.
    #[arg(long, value_name = "TEXT")]
    genotype: Option<String>,
    /// File with one DARTS genotype, in the Python text form or its JSON form.
    #[arg(long, value_name = "FILE")]
    genotype_file: Option<PathBuf>,
    /// Search output folder; the entry --index of its front.json is counted, in the space
    /// of its config.json, at the scale of the size flags. A micro search scores at 10
    /// channels and 5 cells, so `--channels 10 --layers 5` gives the MACs in front.json.
    #[arg(long, value_name = "DIR", requires = "index")]
    front: Option<PathBuf>,
    /// Entry of the front, from 1.
    #[arg(long, value_name = "K")]
    index: Option<usize>,
    /// Space of the `--genome` file [default: micro].
    // `run` rejects --space without --genome: a default value never triggers clap's
    // `requires`.
    #[arg(long, value_enum)]
    space: Option<FlopsSpace>,
    /// Initial channels C of a micro network, an even number. For the macro space, C gives
    /// the phases C, 2C and 4C channels, and three counts such as 128,128,128 set each
    /// phase [default: 36 micro, 48 with --imagenet; 32 macro, for phases of 32, 64 and 128].
    #[arg(long, value_name = "C", value_parser = parse_channels)]
    channels: Option<Channels>,
    /// Cells of a micro network, reduction cells included [default: 20, 14 with --imagenet].
    /// Rejected for the macro space, which has three phases.
    #[arg(long, value_name = "L")]
    layers: Option<usize>,
    /// Build the auxiliary head of a micro network; its parameters join `params`, never
    /// `macs`.
    #[arg(long)]
    auxiliary: bool,
    /// Classes of the classifier [default: 10, 1000 with --imagenet].
    #[arg(long)]
    classes: Option<usize>,
    /// Height and width of the square RGB input in pixels [default: 32, 224 with
    /// --imagenet].
    #[arg(long, value_name = "PIXELS")]
    input: Option<usize>,
    /// Counting convention of `macs`.
    #[arg(long, value_enum, default_value_t = ConventionArg::ConvLinear)]
    convention: ConventionArg,
    /// Use DARTS' ImageNet layout (two strided stems) for a micro network.
    #[arg(long)]
    imagenet: bool,
}

/// The spaces a genome file may belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FlopsSpace {
    /// NSGA-Net's cell-based space: 40 genes.
    Micro,
    /// NSGA-Net's phase-based space: 48 bits, 3 phases of 6 nodes.
    Macro,
}

/// The counting conventions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ConventionArg {
    /// Multiply-accumulates of convolutions and linear layers, bias terms not counted.
    ConvLinear,
    /// NSGA-Net's counter: conv-linear plus 1 per ReLU output element, 1 per pooling input
    /// element and 2 per batch-norm element.
    #[value(name = "nsganet")]
    NsgaNet,
}

impl ConventionArg {
    fn convention(self) -> Convention {
        match self {
            ConventionArg::ConvLinear => Convention::ConvLinear,
            ConventionArg::NsgaNet => Convention::NsgaNet,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ConventionArg::ConvLinear => "conv-linear",
            ConventionArg::NsgaNet => "nsganet",
        }
    }
}

/// The printed report.
#[derive(Debug, Serialize)]
struct Report {
    architecture: String,
    space: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    layout: Option<&'static str>,
    convention: &'static str,
    channels: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase_channels: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layers: Option<usize>,
    classes: usize,
    input: usize,
    auxiliary: bool,
    #[serde(flatten)]
    counts: CountsReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    genome: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    genotype: Option<String>,
}

/// The counts of the printed report.
#[derive(Debug, Serialize)]
struct CountsReport {
    /// Every trainable parameter, the auxiliary head's included when it is built.
    params: u64,
    /// Operations of the backbone and the classifier, never of the auxiliary head.
    macs: u64,
    backbone_macs: u64,
    backbone_params: u64,
    auxiliary_params: u64,
    features: usize,
}

impl From<Counts> for CountsReport {
    fn from(counts: Counts) -> Self {
        CountsReport {
            params: counts.params + counts.auxiliary_params,
            macs: counts.macs,
            backbone_macs: counts.backbone_macs,
            backbone_params: counts.backbone_params,
            auxiliary_params: counts.auxiliary_params,
            features: counts.features,
        }
    }
}

/// Runs `rwenas flops`.
pub fn run(args: FlopsArgs) -> Result<(), CliError> {
    if args.space.is_some() && args.genome.is_none() {
        return Err(space_without_genome());
    }
    for (flag, value) in [("--classes", args.classes), ("--input", args.input)] {
        if value == Some(0) {
            return Err(CliError::new(format!("{flag} is 0 but must be at least 1")));
        }
    }
    if args.index.is_some() && args.front.is_none() {
        return Err(CliError::new("--index applies only to --front DIR")
            .with_hint("remove --index, or pass the search folder with --front DIR"));
    }
    let report = match (&args.genome, args.space) {
        _ if args.genotype.is_some() || args.genotype_file.is_some() || args.front.is_some() => {
            resolved_report(&args)?
        }
        (Some(path), Some(FlopsSpace::Macro)) => macro_report(&args, path)?,
        _ => micro_report(&args)?,
    };
    let json = serde_json::to_string(&report)
        .map_err(|error| CliError::new(format!("cannot write the report as JSON: {error}")))?;
    crate::outln!("{json}")?;
    Ok(())
}

/// Returns the micro scale that the size flags give.
fn micro_scale(args: &FlopsArgs) -> Result<MicroScale, CliError> {
    let layout = if args.imagenet {
        MicroLayout::ImageNet
    } else {
        MicroLayout::Cifar
    };
    let imagenet = layout == MicroLayout::ImageNet;
    let scale = MicroScale {
        initial_channels: micro_channels(args.channels.as_ref(), if imagenet { 48 } else { 36 })?,
        layers: micro_layers(args.layers, if imagenet { 14 } else { 20 })?,
        classes: args.classes.unwrap_or(if imagenet { 1000 } else { 10 }),
        input_size: args.input.unwrap_or(if imagenet { 224 } else { 32 }),
        auxiliary: args.auxiliary,
        layout,
    };
    scale.validate().map_err(scale_error)?;
    Ok(scale)
}

/// Returns the macro scale that the size flags give, rejecting the flags that only a
/// micro network takes.
fn macro_scale(args: &FlopsArgs) -> Result<MacroScale, CliError> {
    let rejected = [
        (args.layers.is_some(), "--layers"),
        (args.auxiliary, "--auxiliary"),
        (args.imagenet, "--imagenet"),
    ];
    if let Some((_, flag)) = rejected.iter().find(|(given, _)| *given) {
        return Err(CliError::new(format!(
            "{flag} does not apply to the macro space, which has three phases and no \
             auxiliary head"
        ))
        .with_hint(format!(
            "remove {flag}, or count a micro genome with --space micro"
        )));
    }
    Ok(MacroScale {
        channels: macro_channels(args.channels.as_ref(), &MacroScale::search().channels)?,
        classes: args.classes.unwrap_or(10),
        input_size: args.input.unwrap_or(32),
    })
}

/// Counts an architecture given by a genotype or a search's front entry.
fn resolved_report(args: &FlopsArgs) -> Result<Report, CliError> {
    let source = ArchitectureSource {
        arch: args.arch.clone(),
        genome: args.genome.clone(),
        space: args.space.map(|space| match space {
            FlopsSpace::Micro => SpaceKind::Micro,
            FlopsSpace::Macro => SpaceKind::Macro,
        }),
        genotype: args.genotype.clone(),
        genotype_file: args.genotype_file.clone(),
        front: args.front.clone(),
        index: args.index,
    };
    let resolved = resolve(&source, &|| micro_scale(args), &|| macro_scale(args))?;
    let counts = count_network(&resolved.network, args.convention)?;
    let report = match resolved.space {
        SpaceKind::Micro => {
            let scale = micro_scale(args)?;
            Report {
                architecture: resolved.architecture,
                space: "micro",
                layout: Some(if args.imagenet { "imagenet" } else { "cifar" }),
                convention: args.convention.name(),
                channels: scale.initial_channels,
                phase_channels: None,
                layers: Some(scale.layers),
                classes: scale.classes,
                input: scale.input_size,
                auxiliary: scale.auxiliary,
                genome: resolved.genome.map(Genome::into_genes),
                counts: counts.into(),
                genotype: resolved.genotype.map(|genotype| genotype.to_string()),
            }
        }
        SpaceKind::Macro => {
            let scale = macro_scale(args)?;
            Report {
                architecture: resolved.architecture,
                space: "macro",
                layout: None,
                convention: args.convention.name(),
                channels: scale.channels[0],
                phase_channels: Some(scale.channels),
                layers: None,
                classes: scale.classes,
                input: scale.input_size,
                auxiliary: false,
                genome: resolved.genome.map(Genome::into_genes),
                counts: counts.into(),
                genotype: None,
            }
        }
    };
    Ok(report)
}

fn micro_report(args: &FlopsArgs) -> Result<Report, CliError> {
    let scale = micro_scale(args)?;
    let imagenet = scale.layout == MicroLayout::ImageNet;

    let (architecture, genotype, genome) = match (&args.arch, &args.genome) {
        (_, Some(path)) => {
            let space = MicroSpace::nsga_net(scale).map_err(scale_error)?;
            let genome = read_genome(path, &space, true)?;
            let genotype = space
                .genotype(&genome)
                .map_err(|error| genome_error(path, &space, error))?;
            (path.display().to_string(), genotype, Some(genome))
        }
        (Some(name), None) => (name.to_ascii_lowercase(), catalogue_cell(name)?, None),
        (None, None) => {
            return Err(CliError::new("no architecture given")
                .with_hint("pass --arch NAME or --genome FILE"));
        }
    };
    let build = |input_size, auxiliary| {
        let scale = MicroScale {
            input_size,
            auxiliary,
            ..scale
        };
        rwenas::space::micro::build_network(&genotype, &scale)
    };
    let network = build(scale.input_size, scale.auxiliary).map_err(|error| {
        let builds = |input, auxiliary| build(input, auxiliary).is_ok_and(builds_whole);
        input_error(
            &architecture,
            scale.input_size,
            args.auxiliary,
            &builds,
            error,
        )
    })?;
    let counts = count_network(&network, args.convention)?;
    Ok(Report {
        architecture,
        space: "micro",
        layout: Some(if imagenet { "imagenet" } else { "cifar" }),
        convention: args.convention.name(),
        channels: scale.initial_channels,
        phase_channels: None,
        layers: Some(scale.layers),
        classes: scale.classes,
        input: scale.input_size,
        auxiliary: scale.auxiliary,
        genome: genome.map(Genome::into_genes),
        counts: counts.into(),
        genotype: Some(genotype.to_string()),
    })
}

fn macro_report(args: &FlopsArgs, path: &Path) -> Result<Report, CliError> {
    let scale = macro_scale(args)?;
    let space = MacroSpace::nsga_net(scale.clone()).map_err(scale_error)?;
    let genome = read_genome(path, &space, true)?;
    let architecture = path.display().to_string();
    let network = space.decode(&genome).map_err(|error| {
        let builds = |input_size, _| {
            let scale = MacroScale {
                input_size,
                ..scale.clone()
            };
            MacroSpace::nsga_net(scale)
                .and_then(|space| space.decode(&genome))
                .is_ok_and(builds_whole)
        };
        match &error {
            SpaceError::InvalidNetwork(_) => {
                input_error(&architecture, scale.input_size, false, &builds, error)
            }
            _ => genome_error(path, &space, error),
        }
    })?;
    let counts = count_network(&network, args.convention)?;
    Ok(Report {
        architecture,
        space: "macro",
        layout: None,
        convention: args.convention.name(),
        channels: scale.channels[0],
        phase_channels: Some(scale.channels),
        layers: None,
        classes: scale.classes,
        input: scale.input_size,
        auxiliary: false,
        genome: Some(genome.into_genes()),
        counts: counts.into(),
        genotype: None,
    })
}

/// Returns whether every node of `network` has a valid shape.
fn builds_whole(network: Network) -> bool {
    network.validate().is_ok()
}

/// Largest input size, past twice the given one, that [`input_error`] tries.
const INPUT_SEARCH_MARGIN: usize = 64;

/// Turns the error of a network that does not build at `--input input` into one that
/// names the nearest input sizes at which it builds. `builds(size, auxiliary)` tries one
/// size, with or without the auxiliary head. When no size up to twice `input` plus a margin
/// builds, the input is not the cause and the error of the build is returned as it is.
fn input_error(
    architecture: &str,
    input: usize,
    auxiliary: bool,
    builds: &dyn Fn(usize, bool) -> bool,
    error: SpaceError,
) -> CliError {
    debug!(%error, input, "the network does not build");
    let smaller = (1..input).rev().find(|&size| builds(size, auxiliary));
    let larger =
        (input + 1..=2 * input + INPUT_SEARCH_MARGIN).find(|&size| builds(size, auxiliary));
    let head = if auxiliary && builds(input, false) {
        " with the auxiliary head"
    } else {
        ""
    };
    let (message, hint) = match (smaller, larger) {
        (None, Some(larger)) => (
            format!("--input {input} is too small for {architecture}{head}"),
            format!("the smallest --input at which it builds is {larger}"),
        ),
        (Some(smaller), Some(larger)) => (
            format!("{architecture}{head} does not build at --input {input}"),
            format!("the nearest sizes at which it builds are --input {smaller} and {larger}"),
        ),
        (Some(smaller), None) => (
            format!("{architecture}{head} does not build at --input {input}"),
            format!("the nearest size at which it builds is --input {smaller}"),
        ),
        (None, None) => {
            return CliError::new(format!("cannot build the network: {error}"));
        }
    };
    let hint = if head.is_empty() {
        hint
    } else {
        format!("{hint}; without --auxiliary it builds at --input {input}")
    };
    CliError::new(message).with_hint(hint)
}

pub(crate) fn catalogue_cell(name: &str) -> Result<DartsGenotype, CliError> {
    catalogue::genotype(name).map_err(|_| {
        CliError::new(format!("unknown architecture '{name}'")).with_hint(format!(
            "use one of {}, or pass --genome FILE",
            catalogue::NAMES.join(", ")
        ))
    })
}

fn count_network(network: &Network, convention: ConventionArg) -> Result<Counts, CliError> {
    count(network, convention.convention())
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))
}

/// Reads a genome file and checks its length and genes against `space`. `front_flags` is
/// whether the command takes `--front DIR --index K`, which the hint for a file of front
/// entries then names.
pub(crate) fn read_genome(
    path: &Path,
    space: &dyn SearchSpace,
    front_flags: bool,
) -> Result<Genome, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::new(format!(
            "cannot read genome file {}: {error}",
            path.display()
        ))
        .with_hint("pass the path of a JSON file that holds one array of integers")
    })?;
    let genes: Vec<i64> = serde_json::from_str(&text).map_err(|error| {
        let message = format!(
            "genome file {} is not a JSON array of integers: {error}",
            path.display()
        );
        let hint = match front_hint(&text, front_flags) {
            Some(hint) => hint,
            None => format!(
                "write the genome as an array of {} integers, such as [0, 1, ...]",
                space.bounds().len()
            ),
        };
        CliError::new(message).with_hint(hint)
    })?;
    let genome = Genome::new(genes);
    space
        .validate(&genome)
        .map_err(|error| genome_error(path, space, error))?;
    Ok(genome)
}

/// Returns the hint for a genome file that contains a search's `front.json` or one of its
/// entries, or `None` for other text.
fn front_hint(text: &str, front_flags: bool) -> Option<String> {
    let entry_has_genome = |value: &Value| value.get("genome").is_some_and(Value::is_array);
    let file_kind = match serde_json::from_str::<Value>(text).ok()? {
        Value::Object(entry) if entry_has_genome(&Value::Object(entry.clone())) => {
            "an entry of a search's front.json"
        }
        Value::Array(entries) if entries.first().is_some_and(entry_has_genome) => {
            "a search's front.json"
        }
        _ => return None,
    };
    Some(if front_flags {
        format!(
            "the file is {file_kind}; pass the search folder and the entry, from 1, with --front \
             DIR --index K, or write the entry's \"genome\" array alone to the file"
        )
    } else {
        format!(
            "the file is {file_kind}; write the entry's \"genome\" array alone to the file, or \
             run `rwenas export --front DIR --index K`, which reports params and macs too"
        )
    })
}

/// Turns an error of a genome file into one that names the file, the gene position and
/// the allowed range.
pub(crate) fn genome_error(path: &Path, space: &dyn SearchSpace, error: SpaceError) -> CliError {
    let file = path.display();
    let bounds = space.bounds();
    let out_of_range = match &error {
        SpaceError::Genome(
            GenomeError::BelowLowerBound {
                position, value, ..
            }
            | GenomeError::AboveUpperBound {
                position, value, ..
            }
            | GenomeError::NotABit { position, value },
        ) => Some((*position, *value)),
        _ => None,
    };
    match (&error, out_of_range) {
        (_, Some((position, value))) => {
            let (lower, upper) = bounds.range(position).unwrap_or((0, 0));
            CliError::new(format!(
                "genome file {file}: gene {position} is {value} but must lie in {lower} to \
                 {upper}"
            ))
            .with_hint(format!(
                "set gene {position} to a value from {lower} to {upper}"
            ))
        }
        (SpaceError::Genome(GenomeError::LengthMismatch { expected, actual }), _) => {
            CliError::new(format!(
                "genome file {file} has {} but the {} space expects {expected}",
                counted(*actual, "gene", "genes"),
                space.name()
            ))
            .with_hint(format!(
                "give {expected} genes, or choose the other space with --space"
            ))
        }
        (SpaceError::InvalidGene { position, .. }, _) => {
            let hint = match bounds.range(*position) {
                Some((lower, upper)) => {
                    format!("set gene {position} to a value from {lower} to {upper}")
                }
                None => format!("fix gene {position}"),
            };
            CliError::new(format!("genome file {file}: {error}")).with_hint(hint)
        }
        _ => CliError::new(format!("genome file {file}: {error}")),
    }
}

/// Turns an error of a scale that the flags passed their checks into one with a hint on
/// the size flags.
pub(crate) fn scale_error(error: SpaceError) -> CliError {
    CliError::new(error.to_string())
        .with_hint("check the size flags: --channels, --layers and the data set's classes")
}
