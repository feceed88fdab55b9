//! The architecture a command works on, from the catalogue, a genome, a DARTS genotype or
//! a search's front, and the diagrams and readable descriptions of genotypes.

use std::path::{Path, PathBuf};

use clap::Args;
use rwenas::EvaluationRecord;
use rwenas::genome::Genome;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{DartsGenotype, MicroScale, MicroSpace, build_network};
use rwenas::space::{Network, SearchSpace, SpaceError};
use serde_json::Value;

use crate::CliError;
use crate::estimators::counted;
use crate::flops::{catalogue_cell, genome_error, read_genome, scale_error};
use crate::output::OutputFolder;
use crate::search::{SearchSettings, SpaceKind};
use crate::train::{FolderKind, folder_kind};

/// The flags that name an architecture, shared by `export` and `train`.
#[derive(Debug, Args)]
pub struct ArchitectureSource {
    /// Published cell of the catalogue: darts_v1, darts_v2, nasnet, amoebanet, enas, pnas,
    /// nsganet.
    #[arg(long, value_name = "NAME")]
    pub arch: Option<String>,
    /// JSON file with one genome as an array of integers, of the space given by --space.
    #[arg(long, value_name = "FILE")]
    pub genome: Option<PathBuf>,
    /// Space of the --genome file [default: micro].
    // `ArchitectureSource::check` rejects --space without --genome: with clap 4.6,
    // `requires = "genome"` accepts any flag of the `architecture` group in its place.
    #[arg(long, value_enum)]
    pub space: Option<SpaceKind>,
    /// DARTS genotype in the Python text form, `Genotype(normal=[...], normal_concat=[...],
    /// reduce=[...], reduce_concat=[...])`.
    #[arg(long, value_name = "TEXT")]
    pub genotype: Option<String>,
    /// File with one DARTS genotype, in the Python text form or its JSON form.
    #[arg(long, value_name = "FILE")]
    pub genotype_file: Option<PathBuf>,
    /// Search output folder; the entry --index of its front.json is used, in the space of
    /// its config.json.
    #[arg(long, value_name = "DIR", requires = "index")]
    pub front: Option<PathBuf>,
    /// Entry of the front, from 1.
    // `ArchitectureSource::check` rejects --index without --front, for the reason of
    // --space.
    #[arg(long, value_name = "K")]
    pub index: Option<usize>,
}

impl ArchitectureSource {
    /// Rejects `--space` without `--genome` and `--index` without `--front`, which would
    /// otherwise be ignored.
    pub fn check(&self) -> Result<(), CliError> {
        if self.space.is_some() && self.genome.is_none() {
            return Err(space_without_genome());
        }
        if self.index.is_some() && self.front.is_none() {
            return Err(CliError::new("--index applies only to --front DIR")
                .with_hint("remove --index, or pass the search folder with --front DIR"));
        }
        Ok(())
    }
}

/// Returns the error of a `--space` given without `--genome`.
pub fn space_without_genome() -> CliError {
    CliError::new("--space applies only to a --genome file").with_hint(
        "remove --space: --arch, --genotype and --genotype-file name micro cells, and --front \
         DIR takes the space from the search's config.json",
    )
}

/// Value of `--channels`: one count, or one count per phase of a macro network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Channels {
    /// The initial channels C of a micro network, or the phases C, 2C and 4C of a macro one.
    Single(usize),
    /// The channels of each macro phase.
    Phases(Vec<usize>),
}

impl std::fmt::Display for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channels::Single(count) => write!(f, "{count}"),
            Channels::Phases(counts) => f.write_str(&join_counts(counts)),
        }
    }
}

fn join_counts(counts: &[usize]) -> String {
    counts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `--channels`: one count such as `36`, or comma-separated counts such as
/// `32,64,128`.
pub fn parse_channels(text: &str) -> Result<Channels, String> {
    let counts = text
        .split(',')
        .map(|part| {
            let part = part.trim();
            match part.parse::<usize>() {
                Ok(0) => Err("channel counts must be at least 1".to_string()),
                Ok(count) => Ok(count),
                Err(_) => Err(format!(
                    "'{part}' is not a channel count; write a positive integer such as 36, or \
                     one per macro phase such as 32,64,128"
                )),
            }
        })
        .collect::<Result<Vec<usize>, String>>()?;
    Ok(match counts.as_slice() {
        [count] => Channels::Single(*count),
        _ => Channels::Phases(counts),
    })
}

/// Returns the initial channels of a micro network: `channels`, or `default` when not
/// given.
pub fn micro_channels(channels: Option<&Channels>, default: usize) -> Result<usize, CliError> {
    match channels {
        None => Ok(default),
        Some(Channels::Single(count)) if count % 2 == 1 => Err(CliError::new(format!(
            "--channels {count} is odd, but a micro network needs an even number"
        ))
        .with_hint(format!(
            "factorized reductions split the channels into two halves; pass --channels {}",
            even_neighbours(*count)
        ))),
        Some(Channels::Single(count)) => Ok(*count),
        Some(list @ Channels::Phases(_)) => Err(CliError::new(format!(
            "--channels {list} sets macro phases, but a micro network takes one initial count"
        ))
        .with_hint("pass one even number, such as --channels 36")),
    }
}

/// Returns the even numbers next to the odd `count`, such as `34 or 36`, leaving out 0.
fn even_neighbours(count: usize) -> String {
    match count {
        1 => "2".to_string(),
        _ => format!("{} or {}", count - 1, count + 1),
    }
}

/// Number of phases of the macro space.
pub const MACRO_PHASES: usize = 3;

/// Returns the channels of the macro phases: C, 2C and 4C for one count C, the list as
/// given, or `default` when not given.
pub fn macro_channels(
    channels: Option<&Channels>,
    default: &[usize],
) -> Result<Vec<usize>, CliError> {
    match channels {
        None => Ok(default.to_vec()),
        Some(Channels::Single(count)) => [1, 2, 4]
            .iter()
            .map(|factor| count.checked_mul(*factor))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                CliError::new(format!("--channels {count} is too large"))
                    .with_hint("pass a smaller --channels")
            }),
        Some(Channels::Phases(counts)) if counts.len() != MACRO_PHASES => {
            Err(CliError::new(format!(
                "--channels {} lists {} phases, but the macro space has {MACRO_PHASES}",
                join_counts(counts),
                counts.len()
            ))
            .with_hint(
                "pass three counts such as --channels 128,128,128, or one count C for C, 2C \
                 and 4C",
            ))
        }
        Some(Channels::Phases(counts)) => Ok(counts.clone()),
    }
}

/// Writes the channels of macro phases as the `--channels` value that gives them.
pub fn phases_flag(phases: &[usize]) -> String {
    match phases {
        [first, second, third] if *second == 2 * first && *third == 4 * first => first.to_string(),
        _ => join_counts(phases),
    }
}

/// Returns the cells of a micro network: `layers`, or `default` when not given.
pub fn micro_layers(layers: Option<usize>, default: usize) -> Result<usize, CliError> {
    match layers {
        Some(0) => Err(CliError::new("--layers is 0 but must be at least 1")
            .with_hint("pass the number of cells, reduction cells included, such as --layers 20")),
        Some(layers) => Ok(layers),
        None => Ok(default),
    }
}

/// The ids of the flags of [`ArchitectureSource`] that name an architecture; exactly one of
/// them may be given.
pub const SOURCE_FLAGS: [&str; 5] = ["arch", "genome", "genotype", "genotype_file", "front"];

/// An architecture resolved from its flags, with the network built at the command's scale.
pub struct Resolved {
    /// Readable name: the catalogue name, the genome file, the front entry.
    pub architecture: String,
    /// Space of the architecture.
    pub space: SpaceKind,
    /// The genome, when the architecture came from a genome file or a front.
    pub genome: Option<Genome>,
    /// The cells, for a micro architecture.
    pub genotype: Option<DartsGenotype>,
    /// The scale, as JSON.
    pub scale: Value,
    /// The network.
    pub network: Network,
    /// The space that decodes `genome`, or the scale that builds `genotype`.
    origin: Origin,
}

enum Origin {
    Space(Box<dyn SearchSpace>),
    Genotype(MicroScale),
}

impl Resolved {
    /// Returns the Graphviz drawing of the cells or phases.
    pub fn dot(&self) -> Result<String, CliError> {
        match (&self.origin, &self.genome, &self.genotype) {
            (Origin::Space(space), Some(genome), _) => space
                .to_dot(genome)
                .map_err(|error| self.genome_error(space.as_ref(), error)),
            (Origin::Genotype(scale), _, Some(genotype)) => {
                Ok(genotype_dot(genotype, *scale, &self.network))
            }
            _ => Ok(rwenas::space::dot::network_dot(&self.network)),
        }
    }

    /// Returns the readable description.
    pub fn text(&self) -> Result<String, CliError> {
        match (&self.origin, &self.genome, &self.genotype) {
            (Origin::Space(space), Some(genome), _) => space
                .describe(genome)
                .map_err(|error| self.genome_error(space.as_ref(), error)),
            (Origin::Genotype(scale), _, Some(genotype)) => {
                Ok(genotype_text(genotype, *scale, &self.network))
            }
            _ => Ok(format!("{}\n", self.architecture)),
        }
    }

    fn genome_error(&self, space: &dyn SearchSpace, error: SpaceError) -> CliError {
        genome_error(&PathBuf::from(&self.architecture), space, error)
    }
}

/// Resolves the architecture that `source` names. `micro` and `macro_scale` give the
/// command's scale of each space; only the one of the architecture's space is called.
pub fn resolve(
    source: &ArchitectureSource,
    micro: &dyn Fn() -> Result<MicroScale, CliError>,
    macro_scale: &dyn Fn() -> Result<MacroScale, CliError>,
) -> Result<Resolved, CliError> {
    source.check()?;
    if let Some(dir) = &source.front {
        let (space, genome, architecture) = front_entry(dir, source.index.unwrap_or(0))?;
        let genome = GenomeSource::Front(genome);
        return resolve_genome(space, genome, architecture, micro, macro_scale);
    }
    if let Some(path) = &source.genome {
        let space = source.space.unwrap_or(SpaceKind::Micro);
        let architecture = path.display().to_string();
        return resolve_genome(
            space,
            GenomeSource::File(path),
            architecture,
            micro,
            macro_scale,
        );
    }
    let (architecture, genotype) = match (&source.arch, &source.genotype, &source.genotype_file) {
        (Some(name), _, _) => (name.to_ascii_lowercase(), catalogue_cell(name)?),
        (_, Some(text), _) => ("genotype".to_string(), parse_genotype(text, "--genotype")?),
        (_, _, Some(path)) => (path.display().to_string(), read_genotype_file(path)?),
        (None, None, None) => {
            return Err(CliError::new("no architecture given").with_hint(
                "pass --arch NAME, --genome FILE, --genotype TEXT, --genotype-file FILE or \
                 --front DIR --index K",
            ));
        }
    };
    resolve_genotype(architecture, genotype, micro)
}

/// An architecture as the `config.json` of a training run records it.
pub struct RecordedArchitecture {
    /// Readable name.
    pub architecture: String,
    /// Space of the architecture.
    pub space: SpaceKind,
    /// The genome, when the run trained a genome or a front entry.
    pub genome: Option<Vec<i64>>,
    /// The cells of a micro network in the Python text form.
    pub genotype: Option<String>,
}

/// Resolves an architecture that a training run recorded, built at the command's scale.
/// A genome is decoded in its space, and a micro architecture without one is built from
/// its genotype.
pub fn resolve_recorded(
    recorded: RecordedArchitecture,
    micro: &dyn Fn() -> Result<MicroScale, CliError>,
    macro_scale: &dyn Fn() -> Result<MacroScale, CliError>,
) -> Result<Resolved, CliError> {
    let RecordedArchitecture {
        architecture,
        space,
        genome,
        genotype,
    } = recorded;
    if let Some(genes) = genome {
        let genome = GenomeSource::Front(Genome::new(genes));
        return resolve_genome(space, genome, architecture, micro, macro_scale);
    }
    match (space, genotype) {
        (SpaceKind::Micro, Some(text)) => {
            let genotype = parse_genotype(&text, &format!("genotype of {architecture}"))?;
            resolve_genotype(architecture, genotype, micro)
        }
        _ => Err(CliError::new(format!(
            "the training run records neither the genome nor the genotype of {architecture}"
        ))
        .with_hint(
            "pass the architecture of the training run with --arch, --genome, --genotype, \
             --genotype-file or --front",
        )),
    }
}

/// Builds the micro network of `genotype` at the command's scale.
fn resolve_genotype(
    architecture: String,
    genotype: DartsGenotype,
    micro: &dyn Fn() -> Result<MicroScale, CliError>,
) -> Result<Resolved, CliError> {
    let scale = micro()?;
    let network = build_network(&genotype, &scale)
        .map_err(|error| CliError::new(format!("cannot build {architecture}: {error}")))?;
    Ok(Resolved {
        architecture,
        space: SpaceKind::Micro,
        genome: None,
        genotype: Some(genotype),
        scale: serde_json::to_value(scale)?,
        network,
        origin: Origin::Genotype(scale),
    })
}

/// The origin of a genome.
enum GenomeSource<'a> {
    /// A genome file, validated on reading.
    File(&'a Path),
    /// A front entry, validated here.
    Front(Genome),
}

fn resolve_genome(
    kind: SpaceKind,
    source: GenomeSource<'_>,
    architecture: String,
    micro: &dyn Fn() -> Result<MicroScale, CliError>,
    macro_scale: &dyn Fn() -> Result<MacroScale, CliError>,
) -> Result<Resolved, CliError> {
    let label = PathBuf::from(&architecture);
    let (space, scale): (Box<dyn SearchSpace>, Value) = match kind {
        SpaceKind::Micro => {
            let scale = micro()?;
            let space = MicroSpace::nsga_net(scale).map_err(scale_error)?;
            (Box::new(space), serde_json::to_value(scale)?)
        }
        SpaceKind::Macro => {
            let scale = macro_scale()?;
            let value = serde_json::to_value(&scale)?;
            let space = MacroSpace::nsga_net(scale).map_err(scale_error)?;
            (Box::new(space), value)
        }
    };
    let genome = match source {
        GenomeSource::File(path) => read_genome(path, space.as_ref(), true)?,
        GenomeSource::Front(genome) => {
            space
                .validate(&genome)
                .map_err(|error| genome_error(&label, space.as_ref(), error))?;
            genome
        }
    };
    let decode_error = |error| genome_error(&label, space.as_ref(), error);
    let network = space.decode(&genome).map_err(decode_error)?;
    let genotype = match kind {
        SpaceKind::Micro => Some(
            MicroSpace::nsga_net(micro()?)
                .map_err(scale_error)?
                .genotype(&genome)
                .map_err(decode_error)?,
        ),
        SpaceKind::Macro => None,
    };
    Ok(Resolved {
        architecture,
        space: kind,
        genome: Some(genome),
        genotype,
        scale,
        network,
        origin: Origin::Space(space),
    })
}

/// Hint for a `--front` folder that contains no search.
const FRONT_HINT: &str = "pass the --out folder of a `rwenas search` to --front";

/// Reads the settings of the search in `dir`, naming the kind of folder when `dir`
/// contains no search.
pub fn read_search_settings(dir: &Path) -> Result<SearchSettings, CliError> {
    if dir.is_file() {
        let folder = dir.parent().unwrap_or(Path::new("."));
        return Err(CliError::new(format!(
            "--front {} is a file, but --front takes the search's folder",
            dir.display()
        ))
        .with_hint(format!(
            "pass the folder that contains it: --front {}",
            folder.display()
        )));
    }
    if !dir.is_dir() {
        return Err(
            CliError::new(format!("search folder {} not found", dir.display()))
                .with_hint(FRONT_HINT),
        );
    }
    match folder_kind(dir) {
        None => Err(CliError::new(format!(
            "{} is not a search folder: config.json is missing",
            dir.display()
        ))
        .with_hint(FRONT_HINT)),
        Some(FolderKind::Training) => Err(CliError::new(format!(
            "{} contains a training run (`rwenas train`), not a search",
            dir.display()
        ))
        .with_hint(format!(
            "{FRONT_HINT}; `rwenas evaluate --weights {}` reports the test error of the \
             trained network",
            dir.join("model").display()
        ))),
        Some(FolderKind::Search | FolderKind::Other) => {
            let path = dir.join("config.json");
            let text = std::fs::read_to_string(&path).map_err(|error| {
                CliError::new(format!("cannot read {}: {error}", path.display()))
            })?;
            serde_json::from_str(&text).map_err(|error| {
                CliError::new(format!(
                    "{} is not the config.json of a search: {error}",
                    path.display()
                ))
                .with_hint(FRONT_HINT)
            })
        }
    }
}

/// Reads entry `index` (from 1) of `dir/front.json` and the space of `dir/config.json`.
fn front_entry(dir: &Path, index: usize) -> Result<(SpaceKind, Genome, String), CliError> {
    let settings = read_search_settings(dir)?;
    let folder = OutputFolder::open(dir)?;
    if !dir.join("front.json").is_file() {
        return Err(CliError::new(format!(
            "{} has no front.json: the search has not finished",
            dir.display()
        ))
        .with_hint(if dir.join("fronts").is_dir() {
            format!(
                "finish it with `rwenas search --resume {}`, or pass a genome from {} with \
                 --genome",
                dir.display(),
                dir.join("fronts").display()
            )
        } else {
            format!("finish it with `rwenas search --resume {}`", dir.display())
        }));
    }
    let front: Vec<EvaluationRecord> = folder.read_json("front.json")?;
    if index == 0 || index > front.len() {
        return Err(CliError::new(format!(
            "--index {index} is out of range: {} has {}",
            dir.join("front.json").display(),
            counted(front.len(), "entry", "entries")
        ))
        .with_hint(format!("pass --index from 1 to {}", front.len())));
    }
    let record = &front[index - 1];
    let architecture = format!("{} entry {index}", dir.join("front.json").display());
    Ok((
        settings.space,
        Genome::new(record.genome.clone()),
        architecture,
    ))
}

/// Hint that shows the text form of a genotype.
const GENOTYPE_FORM: &str = "write it as Python prints DARTS' Genotype: \
     Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], \
     reduce=[('max_pool_3x3', 0), ...], reduce_concat=[2, 3, 4, 5]), or as its JSON form";

/// Parses a genotype in the Python text form, or in the JSON form when `text` starts with
/// `{`. `source` names the flag or file in errors.
pub fn parse_genotype(text: &str, source: &str) -> Result<DartsGenotype, CliError> {
    if text.trim_start().starts_with('{') {
        let genotype: DartsGenotype = serde_json::from_str(text).map_err(|error| {
            CliError::new(format!("{source}: invalid JSON genotype: {error}")).with_hint(
                "give the keys normal, normal_concat, reduce and reduce_concat, with units as \
                 [\"sep_conv_3x3\", 0] pairs",
            )
        })?;
        genotype
            .validate()
            .map_err(|error| genotype_error(source, text, error))?;
        return Ok(genotype);
    }
    text.parse()
        .map_err(|error| genotype_error(source, text, error))
}

/// Reads a file that contains one genotype in the Python text form or the JSON form.
pub fn read_genotype_file(path: &Path) -> Result<DartsGenotype, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::new(format!(
            "cannot read genotype file {}: {error}",
            path.display()
        ))
        .with_hint("pass the path of a file that contains one Genotype(...) text or its JSON form")
    })?;
    parse_genotype(&text, &format!("genotype file {}", path.display()))
}

/// Turns a parse or validation error into one that names the operation, the byte offset
/// or the node, and the fix.
fn genotype_error(source: &str, text: &str, error: SpaceError) -> CliError {
    match error {
        SpaceError::UnknownOperation { name, expected } => {
            CliError::new(format!("{source}: unknown operation '{name}'"))
                .with_hint(format!("use one of {expected}"))
        }
        SpaceError::Parse { offset, message } => {
            let near: String = text.get(offset..).unwrap_or("").chars().take(24).collect();
            let hint = if message.starts_with("unknown operation") {
                "replace it with one of the listed operations"
            } else {
                GENOTYPE_FORM
            };
            CliError::new(format!(
                "{source}: cannot parse the genotype at byte {offset} (near '{near}'): {message}"
            ))
            .with_hint(hint)
        }
        SpaceError::InvalidGenotype(reason) => {
            CliError::new(format!("{source}: invalid genotype: {reason}")).with_hint(
                "node k (from 0) may read states 0 to k + 1, and a concat list may name \
                 states 0 to nodes + 1",
            )
        }
        other => CliError::new(format!("{source}: {other}")).with_hint(GENOTYPE_FORM),
    }
}

/// Returns the genome of `genotype` in a built-in micro encoding at `scale` that turns back
/// into the same genotype, so that the space's diagram and description are the genotype's.
fn matching_space(genotype: &DartsGenotype, scale: MicroScale) -> Option<(MicroSpace, Genome)> {
    let spaces = [
        MicroSpace::nsga_net(scale),
        MicroSpace::nas_bench_301(scale),
    ];
    spaces.into_iter().flatten().find_map(|space| {
        let genome = space.genome(genotype).ok()?;
        let same = space.genotype(&genome).is_ok_and(|back| back == *genotype);
        same.then_some((space, genome))
    })
}

/// Renders the cells of `genotype` as Graphviz DOT, or the whole backbone of `network`
/// when no built-in encoding represents the genotype.
pub fn genotype_dot(genotype: &DartsGenotype, scale: MicroScale, network: &Network) -> String {
    matching_space(genotype, scale)
        .and_then(|(space, genome)| space.to_dot(&genome).ok())
        .unwrap_or_else(|| rwenas::space::dot::network_dot(network))
}

/// Describes the cells of `genotype` and the size of `network` in readable text.
pub fn genotype_text(genotype: &DartsGenotype, scale: MicroScale, network: &Network) -> String {
    if let Some(text) =
        matching_space(genotype, scale).and_then(|(space, genome)| space.describe(&genome).ok())
    {
        return text;
    }
    format!(
        "genotype: {genotype}\n{} initial channels, {}, {} in the backbone\n",
        scale.initial_channels,
        counted(scale.layers, "cell", "cells"),
        counted(network.backbone.nodes.len(), "node", "nodes")
    )
}

/// Size of a network trained from scratch, shared by `train` and `evaluate --weights`.
#[derive(Clone, Debug)]
pub struct TrainingScale {
    /// The `--channels` value: initial channels of a micro network (default 34), or the
    /// macro phases (default 128 channels each).
    pub channels: Option<Channels>,
    /// Cells of a micro network (default 20).
    pub layers: Option<usize>,
    /// Whether a micro network has the auxiliary head.
    pub auxiliary: bool,
    /// Side of the square input images.
    pub input_size: usize,
    /// Classes of the data set.
    pub classes: usize,
}

/// Channels of every macro phase when training, NSGA-Net's training scale.
pub const TRAINING_MACRO_CHANNELS: [usize; MACRO_PHASES] = [128; MACRO_PHASES];

impl TrainingScale {
    /// Returns the micro scale: CIFAR layout, 34 initial channels and 20 cells unless given.
    pub fn micro(&self) -> Result<MicroScale, CliError> {
        let scale = MicroScale {
            initial_channels: micro_channels(self.channels.as_ref(), 34)?,
            layers: micro_layers(self.layers, 20)?,
            classes: self.classes,
            input_size: self.input_size,
            auxiliary: self.auxiliary,
            ..MicroScale::search()
        };
        scale.validate().map_err(scale_error)?;
        Ok(scale)
    }

    /// Returns DARTS' ImageNet scale of a micro network: three strided stem convolutions,
    /// 48 initial channels and 14 cells unless given.
    pub fn imagenet_micro(&self) -> Result<MicroScale, CliError> {
        let scale = MicroScale {
            classes: self.classes,
            input_size: self.input_size,
            ..MicroScale::imagenet(
                micro_channels(self.channels.as_ref(), 48)?,
                micro_layers(self.layers, 14)?,
                self.auxiliary,
            )
        };
        scale.validate().map_err(scale_error)?;
        Ok(scale)
    }

    /// Returns the macro scale: three phases of 128 channels each unless given, the
    /// method's size for training.
    pub fn macro_scale(&self) -> Result<MacroScale, CliError> {
        if self.layers.is_some() {
            return Err(CliError::new(
                "--layers does not apply to the macro space, which has three phases",
            )
            .with_hint("remove --layers"));
        }
        Ok(MacroScale {
            channels: macro_channels(self.channels.as_ref(), &TRAINING_MACRO_CHANNELS)?,
            classes: self.classes,
            input_size: self.input_size,
        })
    }
}
