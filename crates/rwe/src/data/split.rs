//! The train/validation split of a training set.

use super::{DataError, ImageDataset};

/// Indices of the training images that form the train and the validation split.
///
/// Per class, in dataset order, the first `floor(4 * n / 5)` of the class's `n` images belong
/// to the train split and the rest to the validation split. A requested size divides equally
/// among the classes and keeps the first images of each class within each split. Both index
/// lists are in ascending dataset order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Indices of the train split.
    pub train: Vec<usize>,
    /// Indices of the validation split.
    pub valid: Vec<usize>,
}

/// Portions of one class in the full 80/20 split.
struct ClassPortions {
    train: Vec<usize>,
    valid: Vec<usize>,
}

impl Split {
    /// Splits `dataset`, keeping `train_size` and `valid_size` images in total when given.
    ///
    /// # Errors
    ///
    /// [`DataError::Empty`] for a dataset without images, [`DataError::Inconsistent`] for
    /// invalid labels, [`DataError::EmptySplit`] for a size of 0,
    /// [`DataError::SplitNotDivisible`] for a size that is not a multiple of
    /// the number of classes and [`DataError::SplitTooLarge`] for a size that a class cannot
    /// provide.
    pub fn new(
        dataset: &ImageDataset,
        train_size: Option<usize>,
        valid_size: Option<usize>,
    ) -> Result<Split, DataError> {
        dataset.validate()?;
        if dataset.is_empty() {
            return Err(DataError::Empty);
        }
        let portions = class_portions(dataset);
        let train = select(dataset, &portions, |p| &p.train, "train", train_size)?;
        let valid = select(dataset, &portions, |p| &p.valid, "validation", valid_size)?;
        Ok(Split { train, valid })
    }
}

fn class_portions(dataset: &ImageDataset) -> Vec<ClassPortions> {
    let mut by_class = vec![Vec::new(); dataset.num_classes()];
    for (index, &label) in dataset.labels.iter().enumerate() {
        by_class[usize::from(label)].push(index);
    }
    by_class
        .into_iter()
        .map(|mut indices| {
            let valid = indices.split_off(indices.len() * 4 / 5);
            ClassPortions {
                train: indices,
                valid,
            }
        })
        .collect()
}

fn select(
    dataset: &ImageDataset,
    portions: &[ClassPortions],
    part: impl Fn(&ClassPortions) -> &Vec<usize>,
    split: &'static str,
    requested: Option<usize>,
) -> Result<Vec<usize>, DataError> {
    let classes = portions.len();
    let per_class = match requested {
        None => usize::MAX,
        Some(0) => return Err(DataError::EmptySplit { split }),
        Some(requested) if requested % classes != 0 => {
            return Err(DataError::SplitNotDivisible {
                split,
                requested,
                classes,
            });
        }
        Some(requested) => requested / classes,
    };
    let max_total = portions.iter().map(|p| part(p).len()).min().unwrap_or(0) * classes;
    let mut indices = Vec::new();
    for (class, portion) in dataset.class_names.iter().zip(portions) {
        let available = part(portion);
        if let Some(requested) = requested.filter(|_| per_class > available.len()) {
            return Err(DataError::SplitTooLarge {
                split,
                requested,
                per_class,
                class: class.clone(),
                available: available.len(),
                max_total,
            });
        }
        indices.extend(available.iter().take(per_class));
    }
    indices.sort_unstable();
    Ok(indices)
}
