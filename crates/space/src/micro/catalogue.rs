//! Published cells, as listed in the public code of DARTS (quark0/darts, `cnn/genotypes.py`:
//! NASNet, AmoebaNet, DARTS_V1, DARTS_V2) and NSGA-Net (ianwhale/nsga-net,
//! `models/micro_genotypes.py`: ENAS, NSGANet). PNAS is the PNASNet genotype that both
//! projects' forks copy from chenxi116/PNASNet.pytorch.

use super::genotype::DartsGenotype;
use super::operation::Operation::{self, *};
use crate::SpaceError;

/// Lower-case names of the catalogue cells.
pub const NAMES: [&str; 7] = [
    "darts_v1",
    "darts_v2",
    "nasnet",
    "amoebanet",
    "enas",
    "pnas",
    "nsganet",
];

/// Returns the published genotype called `name` (one of [`NAMES`], case-insensitive).
///
/// # Errors
///
/// [`SpaceError::UnknownCell`] listing the known names.
pub fn genotype(name: &str) -> Result<DartsGenotype, SpaceError> {
    let (normal, normal_concat, reduce, reduce_concat) = match name.to_ascii_lowercase().as_str() {
        "darts_v1" => DARTS_V1,
        "darts_v2" => DARTS_V2,
        "nasnet" => NASNET,
        "amoebanet" => AMOEBANET,
        "enas" => ENAS,
        "pnas" => PNAS,
        "nsganet" => NSGANET,
        _ => {
            return Err(SpaceError::UnknownCell {
                name: name.to_owned(),
                expected: NAMES.join(", "),
            });
        }
    };
    Ok(DartsGenotype {
        normal: normal.to_vec(),
        normal_concat: normal_concat.to_vec(),
        reduce: reduce.to_vec(),
        reduce_concat: reduce_concat.to_vec(),
    })
}

type Cells = (
    &'static [(Operation, usize)],
    &'static [usize],
    &'static [(Operation, usize)],
    &'static [usize],
);

const DARTS_V1: Cells = (
    &[
        (SepConv3x3, 1),
        (SepConv3x3, 0),
        (SkipConnect, 0),
        (SepConv3x3, 1),
        (SkipConnect, 0),
        (SepConv3x3, 1),
        (SepConv3x3, 0),
        (SkipConnect, 2),
    ],
    &[2, 3, 4, 5],
    &[
        (MaxPool3x3, 0),
        (MaxPool3x3, 1),
        (SkipConnect, 2),
        (MaxPool3x3, 0),
        (MaxPool3x3, 0),
        (SkipConnect, 2),
        (SkipConnect, 2),
        (AvgPool3x3, 0),
    ],
    &[2, 3, 4, 5],
);

const DARTS_V2: Cells = (
    &[
        (SepConv3x3, 0),
        (SepConv3x3, 1),
        (SepConv3x3, 0),
        (SepConv3x3, 1),
        (SepConv3x3, 1),
        (SkipConnect, 0),
        (SkipConnect, 0),
        (DilConv3x3, 2),
    ],
    &[2, 3, 4, 5],
    &[
        (MaxPool3x3, 0),
        (MaxPool3x3, 1),
        (SkipConnect, 2),
        (MaxPool3x3, 1),
        (MaxPool3x3, 0),
        (SkipConnect, 2),
        (SkipConnect, 2),
        (MaxPool3x3, 1),
    ],
    &[2, 3, 4, 5],
);

const NASNET: Cells = (
    &[
        (SepConv5x5, 1),
        (SepConv3x3, 0),
        (SepConv5x5, 0),
        (SepConv3x3, 0),
        (AvgPool3x3, 1),
        (SkipConnect, 0),
        (AvgPool3x3, 0),
        (AvgPool3x3, 0),
        (SepConv3x3, 1),
        (SkipConnect, 1),
    ],
    &[2, 3, 4, 5, 6],
    &[
        (SepConv5x5, 1),
        (SepConv7x7, 0),
        (MaxPool3x3, 1),
        (SepConv7x7, 0),
        (AvgPool3x3, 1),
        (SepConv5x5, 0),
        (SkipConnect, 3),
        (AvgPool3x3, 2),
        (SepConv3x3, 2),
        (MaxPool3x3, 1),
    ],
    &[4, 5, 6],
);

const AMOEBANET: Cells = (
    &[
        (AvgPool3x3, 0),
        (MaxPool3x3, 1),
        (SepConv3x3, 0),
        (SepConv5x5, 2),
        (SepConv3x3, 0),
        (AvgPool3x3, 3),
        (SepConv3x3, 1),
        (SkipConnect, 1),
        (SkipConnect, 0),
        (AvgPool3x3, 1),
    ],
    &[4, 5, 6],
    &[
        (AvgPool3x3, 0),
        (SepConv3x3, 1),
        (MaxPool3x3, 0),
        (SepConv7x7, 2),
        (SepConv7x7, 0),
        (AvgPool3x3, 1),
        (MaxPool3x3, 0),
        (MaxPool3x3, 1),
        (Conv7x1_1x7, 0),
        (SepConv3x3, 5),
    ],
    &[3, 4, 6],
);

const ENAS: Cells = (
    &[
        (SepConv3x3, 1),
        (SkipConnect, 1),
        (SepConv5x5, 1),
        (SkipConnect, 0),
        (AvgPool3x3, 0),
        (SepConv3x3, 1),
        (SepConv3x3, 0),
        (AvgPool3x3, 0),
        (SepConv5x5, 1),
        (AvgPool3x3, 0),
    ],
    &[2, 3, 4, 5, 6],
    &[
        (SepConv5x5, 0),
        (AvgPool3x3, 1),
        (SepConv3x3, 1),
        (AvgPool3x3, 1),
        (AvgPool3x3, 1),
        (SepConv3x3, 1),
        (SepConv5x5, 4),
        (AvgPool3x3, 1),
        (SepConv3x3, 5),
        (SepConv5x5, 0),
    ],
    &[2, 3, 6],
);

const PNAS_CELL: &[(Operation, usize)] = &[
    (SepConv5x5, 0),
    (MaxPool3x3, 0),
    (SepConv7x7, 1),
    (MaxPool3x3, 1),
    (SepConv5x5, 1),
    (SepConv3x3, 1),
    (SepConv3x3, 4),
    (MaxPool3x3, 1),
    (SepConv3x3, 0),
    (SkipConnect, 1),
];

const PNAS: Cells = (PNAS_CELL, &[2, 3, 4, 5, 6], PNAS_CELL, &[2, 3, 4, 5, 6]);

const NSGANET: Cells = (
    &[
        (SkipConnect, 0),
        (MaxPool3x3, 0),
        (DilConv5x5, 0),
        (MaxPool3x3, 0),
        (DilConv5x5, 1),
        (SepConv3x3, 3),
        (MaxPool3x3, 1),
        (SepConv5x5, 3),
        (SepConv3x3, 1),
        (SepConv3x3, 0),
    ],
    &[2, 4, 5, 6],
    &[
        (AvgPool3x3, 0),
        (SepConv3x3, 1),
        (DilConv3x3, 1),
        (MaxPool3x3, 0),
        (SkipConnect, 2),
        (DilConv5x5, 1),
        (SkipConnect, 2),
        (AvgPool3x3, 1),
        (DilConv5x5, 1),
        (DilConv3x3, 1),
    ],
    &[3, 4, 5, 6],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_valid_and_round_trips_as_text() {
        for name in NAMES {
            let cell = genotype(name).unwrap();
            cell.validate().unwrap();
            let text = cell.to_string();
            assert_eq!(text.parse::<DartsGenotype>().unwrap(), cell, "{name}");
        }
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(genotype("DARTS_V2").unwrap(), genotype("darts_v2").unwrap());
    }

    #[test]
    fn unknown_name_lists_catalogue() {
        let error = genotype("resnet").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown cell 'resnet'; expected one of darts_v1, darts_v2, nasnet, amoebanet, \
             enas, pnas, nsganet"
        );
    }

    #[test]
    fn darts_v2_parses_from_published_text() {
        let text = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
        assert_eq!(
            text.parse::<DartsGenotype>().unwrap(),
            genotype("darts_v2").unwrap()
        );
    }
}
