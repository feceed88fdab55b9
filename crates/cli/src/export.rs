//! The `export` command: one architecture as a standalone network description.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, ValueEnum};
use rwenas::EvaluationRecord;
use rwenas::flops::{Convention, count};
use rwenas::genome::Genome;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{DartsGenotype, MicroLayout, MicroScale, MicroSpace, build_network};
use rwenas::space::{Network, SearchSpace};
use serde::Serialize;
use serde_json::Value;
use tracing::{debug, info};

use crate::CliError;
use crate::architecture::{genotype_dot, genotype_text, parse_genotype, read_genotype_file};
use crate::flops::{catalogue_cell, genome_error, read_genome, scale_error};
use crate::output::OutputFolder;
use crate::search::{SearchSettings, SpaceKind};

/// Arguments of `rwenas export`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("source")
        .required(true)
        .args(["arch", "genome", "genotype", "genotype_file", "front"])
))]
pub struct ExportArgs {
    /// Published cell of the catalogue: darts_v1, darts_v2, nasnet, amoebanet, enas, pnas,
    /// nsganet.
    #[arg(long, value_name = "NAME")]
    arch: Option<String>,
    /// JSON file with one genome as an array of integers, of the space given by --space.
    #[arg(long, value_name = "FILE")]
    genome: Option<PathBuf>,
    /// Space of the --genome file [default: micro].
    #[arg(long, value_enum, requires = "genome")]
    space: Option<SpaceKind>,
    /// DARTS genotype in the Python text form, `Genotype(normal=[...], normal_concat=[...],
    /// reduce=[...], reduce_concat=[...])`.
    #[arg(long, value_name = "TEXT")]
    genotype: Option<String>,
    /// File with one DARTS genotype, in the Python text form or its JSON form.
    #[arg(long, value_name = "FILE")]
    genotype_file: Option<PathBuf>,
    /// Search output folder; the entry --index of its front.json is exported, in the
    /// space of its config.json.
    #[arg(long, value_name = "DIR", requires = "index")]
    front: Option<PathBuf>,
    /// Entry of the front to export, from 1.
    #[arg(long, value_name = "K", requires = "front")]
    index: Option<usize>,
    /// Initial channels C of a micro network (default 36, or 48 with --imagenet). For the
    /// macro space, the phases have C, 2C and 4C channels (default 32).
    #[arg(long, value_name = "C")]
    channels: Option<usize>,
    /// Cells of a micro network, reduction cells included (default 20, or 14 with
    /// --imagenet). Rejected for the macro space.
    #[arg(long, value_name = "L")]
    layers: Option<usize>,
    /// Build the auxiliary head of a micro network.
    #[arg(long)]
    auxiliary: bool,
    /// Use DARTS' ImageNet layout (two strided stems, 224x224 input, 1000 classes) for a
    /// micro network.
    #[arg(long)]
    imagenet: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// File to write; without it the description goes to stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Overwrite the --out file when it exists.
    #[arg(long, requires = "out")]
    force: bool,
}

/// Output formats of `rwenas export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The network description (serde form of `rwenas_space::network::Network`) under a
    /// header with the architecture, its genome or genotype, scale, params and MACs.
    Json,
    /// Graphviz drawing of the cells or phases.
    Dot,
    /// Readable description.
    Text,
}

/// A resolved architecture with everything the formats need.
struct Exported {
    architecture: String,
    space: SpaceKind,
    genome: Option<Vec<i64>>,
    genotype: Option<DartsGenotype>,
    scale: Value,
    network: Network,
    dot: String,
    text: String,
}

/// Document of the `json` format.
#[derive(Serialize)]
struct Document<'a> {
    architecture: &'a str,
    space: SpaceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    genome: Option<&'a [i64]>,
    /// The Python text form of the genotype.
    #[serde(skip_serializing_if = "Option::is_none")]
    genotype: Option<String>,
    scale: &'a Value,
    /// Counting convention of `macs`.
    convention: &'static str,
    /// Every trainable parameter, the auxiliary head's included.
    params: u64,
    /// Multiply-accumulates of one forward pass of one image, auxiliary head excluded.
    macs: u64,
    network: &'a Network,
}

/// Runs `rwenas export`.
pub fn run(args: ExportArgs) -> Result<(), CliError> {
    let exported = resolve(&args)?;
    let contents = match args.format {
        Format::Json => json_document(&exported)?,
        Format::Dot => exported.dot.clone(),
        Format::Text => exported.text.clone(),
    };
    let contents = if contents.ends_with('\n') {
        contents
    } else {
        contents + "\n"
    };
    match &args.out {
        Some(path) => {
            write_file(path, &contents, args.force)?;
            info!(architecture = %exported.architecture, out = %path.display(), "exported");
        }
        None => print!("{contents}"),
    }
    Ok(())
}

fn json_document(exported: &Exported) -> Result<String, CliError> {
    let counts = count(&exported.network, Convention::ConvLinear)
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))?;
    let document = Document {
        architecture: &exported.architecture,
        space: exported.space,
        genome: exported.genome.as_deref(),
        genotype: exported.genotype.as_ref().map(ToString::to_string),
        scale: &exported.scale,
        convention: "conv-linear",
        params: counts.params + counts.auxiliary_params,
        macs: counts.macs,
        network: &exported.network,
    };
    let mut json = serde_json::to_string_pretty(&document)?;
    json.push('\n');
    Ok(json)
}

/// Writes `contents` to `path`, rejecting an existing file unless `force` is set.
fn write_file(path: &Path, contents: &str, force: bool) -> Result<(), CliError> {
    let exists_error = || {
        CliError::new(format!("{} already exists", path.display()))
            .with_hint("pass --force to overwrite it, or choose another --out")
    };
    if !force && path.exists() {
        return Err(exists_error());
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent).map_err(|error| {
            CliError::new(format!(
                "cannot create folder {}: {error}",
                parent.display()
            ))
        })?;
    }
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            exists_error()
        } else {
            CliError::new(format!("cannot write {}: {error}", path.display()))
        }
    })?;
    file.write_all(contents.as_bytes())
        .map_err(|error| CliError::new(format!("cannot write {}: {error}", path.display())))?;
    debug!(out = %path.display(), bytes = contents.len(), "file written");
    Ok(())
}

fn resolve(args: &ExportArgs) -> Result<Exported, CliError> {
    if let Some(dir) = &args.front {
        let (space, genome, architecture) = front_entry(dir, args.index.unwrap_or(0))?;
        return resolve_genome(args, space, Source::Front(genome), architecture);
    }
    if let Some(path) = &args.genome {
        let space = args.space.unwrap_or(SpaceKind::Micro);
        return resolve_genome(args, space, Source::File(path), path.display().to_string());
    }
    let (architecture, genotype) = match (&args.arch, &args.genotype, &args.genotype_file) {
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
    let scale = micro_scale(args)?;
    let network = build_network(&genotype, &scale)
        .map_err(|error| CliError::new(format!("cannot build {architecture}: {error}")))?;
    Ok(Exported {
        dot: genotype_dot(&genotype, scale, &network),
        text: genotype_text(&genotype, scale, &network),
        architecture,
        space: SpaceKind::Micro,
        genome: None,
        genotype: Some(genotype),
        scale: serde_json::to_value(scale)?,
        network,
    })
}

/// The origin of a genome.
enum Source<'a> {
    /// A genome file, validated on reading.
    File(&'a Path),
    /// A front entry, validated here.
    Front(Genome),
}

fn resolve_genome(
    args: &ExportArgs,
    kind: SpaceKind,
    source: Source<'_>,
    architecture: String,
) -> Result<Exported, CliError> {
    let label = PathBuf::from(&architecture);
    let (space, scale): (Box<dyn SearchSpace>, Value) = match kind {
        SpaceKind::Micro => {
            let scale = micro_scale(args)?;
            let space = MicroSpace::nsga_net(scale).map_err(scale_error)?;
            (Box::new(space), serde_json::to_value(scale)?)
        }
        SpaceKind::Macro => {
            let scale = macro_scale(args)?;
            let value = serde_json::to_value(&scale)?;
            (
                Box::new(MacroSpace::nsga_net(scale).map_err(scale_error)?),
                value,
            )
        }
    };
    let genome = match source {
        Source::File(path) => read_genome(path, space.as_ref())?,
        Source::Front(genome) => {
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
            MicroSpace::nsga_net(micro_scale(args)?)
                .map_err(scale_error)?
                .genotype(&genome)
                .map_err(decode_error)?,
        ),
        SpaceKind::Macro => None,
    };
    Ok(Exported {
        dot: space.to_dot(&genome).map_err(decode_error)?,
        text: space.describe(&genome).map_err(decode_error)?,
        architecture,
        space: kind,
        genome: Some(genome.into_genes()),
        genotype,
        scale,
        network,
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
            "finish it with `rwenas search --resume {}`, or export a genome from {}",
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

fn micro_scale(args: &ExportArgs) -> Result<MicroScale, CliError> {
    let imagenet = args.imagenet;
    let scale = MicroScale {
        initial_channels: args.channels.unwrap_or(if imagenet { 48 } else { 36 }),
        layers: args.layers.unwrap_or(if imagenet { 14 } else { 20 }),
        classes: if imagenet { 1000 } else { 10 },
        input_size: if imagenet { 224 } else { 32 },
        auxiliary: args.auxiliary,
        layout: if imagenet {
            MicroLayout::ImageNet
        } else {
            MicroLayout::Cifar
        },
    };
    scale.validate().map_err(scale_error)?;
    Ok(scale)
}

fn macro_scale(args: &ExportArgs) -> Result<MacroScale, CliError> {
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
        .with_hint(format!("remove {flag}")));
    }
    let channels = args.channels.unwrap_or(32);
    Ok(MacroScale {
        channels: vec![channels, 2 * channels, 4 * channels],
        ..MacroScale::search()
    })
}
