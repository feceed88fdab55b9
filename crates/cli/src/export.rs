//! The `export` command: one architecture as a standalone network description.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, ValueEnum};
use rwenas::flops::{Convention, count};
use rwenas::space::Network;
use rwenas::space::macro_space::MacroScale;
use rwenas::space::micro::{MicroLayout, MicroScale};
use serde::Serialize;
use serde_json::Value;
use tracing::{debug, info};

use crate::CliError;
use crate::architecture::{
    ArchitectureSource, Channels, Resolved, SOURCE_FLAGS, macro_channels, micro_channels,
    micro_layers, parse_channels, resolve,
};
use crate::flops::scale_error;
use crate::search::SpaceKind;

/// Arguments of `rwenas export`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("architecture").required(true).args(SOURCE_FLAGS)),
    allow_negative_numbers = true
)]
pub struct ExportArgs {
    #[command(flatten)]
    source: ArchitectureSource,
    /// Initial channels C of a micro network, an even number. For the macro space, C gives
    /// the phases C, 2C and 4C channels, and three counts such as 128,128,128 set each
    /// phase. `rwenas train` reads the flag the same way [default: 36 micro, DARTS' size,
    /// or 48 with --imagenet; 32 macro, NSGA-Net's search scale of 32, 64 and 128].
    #[arg(long, value_name = "C", value_parser = parse_channels)]
    channels: Option<Channels>,
    /// Cells of a micro network, reduction cells included [default: 20, 14 with
    /// --imagenet]. Rejected for the macro space.
    #[arg(long, value_name = "L")]
    layers: Option<usize>,
    /// Build the auxiliary head of a micro network.
    #[arg(long, overrides_with = "no_auxiliary")]
    auxiliary: bool,
    /// Build a micro network without the auxiliary head, the default; `rwenas train`
    /// takes the same flag.
    #[arg(long, overrides_with = "auxiliary")]
    no_auxiliary: bool,
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
    let exported = resolve(&args.source, &|| micro_scale(&args), &|| macro_scale(&args))?;
    let contents = match args.format {
        Format::Json => json_document(&exported)?,
        Format::Dot => exported.dot()?,
        Format::Text => exported.text()?,
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
        None => crate::out!("{contents}")?,
    }
    Ok(())
}

fn json_document(exported: &Resolved) -> Result<String, CliError> {
    let counts = count(&exported.network, Convention::ConvLinear)
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))?;
    let document = Document {
        architecture: &exported.architecture,
        space: exported.space,
        genome: exported.genome.as_ref().map(|genome| genome.genes()),
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

fn micro_scale(args: &ExportArgs) -> Result<MicroScale, CliError> {
    let imagenet = args.imagenet;
    let scale = MicroScale {
        initial_channels: micro_channels(args.channels.as_ref(), if imagenet { 48 } else { 36 })?,
        layers: micro_layers(args.layers, if imagenet { 14 } else { 20 })?,
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
    Ok(MacroScale {
        channels: macro_channels(args.channels.as_ref(), &MacroScale::search().channels)?,
        ..MacroScale::search()
    })
}
