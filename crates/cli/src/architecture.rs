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
use crate::flops::{catalogue_cell, genome_error, read_genome, scale_error};
use crate::output::OutputFolder;
use crate::search::{SearchSettings, SpaceKind};

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
    #[arg(long, value_enum, requires = "genome")]
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
    #[arg(long, value_name = "K", requires = "front")]
    pub index: Option<usize>,
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
        GenomeSource::File(path) => read_genome(path, space.as_ref())?,
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

/// Reads entry `index` (from 1) of `dir/front.json` and the space of `dir/config.json`.
fn front_entry(dir: &Path, index: usize) -> Result<(SpaceKind, Genome, String), CliError> {
    let folder = OutputFolder::open(dir)?;
    let settings: SearchSettings = folder.read_json("config.json")?;
    if !dir.join("front.json").is_file() {
        return Err(CliError::new(format!(
            "{} has no front.json: the search has not finished",
            dir.display()
        ))
        .with_hint(format!(
            "finish it with `rwenas search --resume {}`, or pass a genome from {} with --genome",
            dir.display(),
            dir.join("fronts").display()
        )));
    }
    let front: Vec<EvaluationRecord> = folder.read_json("front.json")?;
    if index == 0 || index > front.len() {
        return Err(CliError::new(format!(
            "--index {index} is out of range: {} has {} entries",
            dir.join("front.json").display(),
            front.len()
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
        "genotype: {genotype}\n{} initial channels, {} cells, {} nodes in the backbone\n",
        scale.initial_channels,
        scale.layers,
        network.backbone.nodes.len()
    )
}

/// Size of a network trained from scratch, shared by `train` and `evaluate --weights`.
#[derive(Clone, Copy, Debug)]
pub struct TrainingScale {
    /// Initial channels of a micro network (default 34), or the channels of every macro
    /// phase (default 128).
    pub channels: Option<usize>,
    /// Cells of a micro network (default 20).
    pub layers: Option<usize>,
    /// Whether a micro network has the auxiliary head.
    pub auxiliary: bool,
    /// Side of the square input images.
    pub input_size: usize,
    /// Classes of the data set.
    pub classes: usize,
}

impl TrainingScale {
    /// Returns the micro scale: CIFAR layout, 34 initial channels and 20 cells unless given.
    pub fn micro(&self) -> Result<MicroScale, CliError> {
        let scale = MicroScale {
            initial_channels: self.channels.unwrap_or(34),
            layers: self.layers.unwrap_or(20),
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
                self.channels.unwrap_or(48),
                self.layers.unwrap_or(14),
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
        let channels = self.channels.unwrap_or(128);
        Ok(MacroScale {
            channels: vec![channels; 3],
            classes: self.classes,
            input_size: self.input_size,
        })
    }
}
