//! DARTS genotypes given on the command line or in a file, and their diagrams and
//! readable descriptions.

use std::path::Path;

use rwenas::genome::Genome;
use rwenas::space::micro::{DartsGenotype, MicroScale, MicroSpace};
use rwenas::space::{Network, SearchSpace, SpaceError};

use crate::CliError;

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
