//! The estimators the commands can score architectures with, by name.

use burn::tensor::Device;
use rwenas::proxies::Proxy;
use rwenas::rwe::{RweConfig, RweData};
use rwenas::train::TrainData;
use rwenas::{Estimator, ProxyEstimator, RweEstimator, TrainingEstimator};

use crate::CliError;

/// Every estimator name the commands accept.
pub const NAMES: [&str; 9] = [
    "rwe",
    "synflow",
    "snip",
    "grasp",
    "fisher",
    "grad_norm",
    "jacob_cov",
    "naswot",
    "train",
];

/// Images in the minibatch of the zero-cost proxies by default.
pub const PROXY_BATCH: usize = 64;

/// Epochs of the `train` estimator by default.
pub const TRAIN_EPOCHS: usize = 10;

/// Settings of the estimators that are not RWE.
#[derive(Clone, Debug)]
pub struct EstimatorSettings {
    /// Images in the proxies' minibatch, the first of the train split in class-interleaved
    /// order.
    pub proxy_batch: usize,
    /// Epochs of the `train` estimator.
    pub train_epochs: usize,
}

impl Default for EstimatorSettings {
    fn default() -> Self {
        EstimatorSettings {
            proxy_batch: PROXY_BATCH,
            train_epochs: TRAIN_EPOCHS,
        }
    }
}

/// Returns the name of an estimator's objective, as the tables and plots of a search
/// show it: `RWE error`, `train error`, or the negated score of a proxy (`-naswot`).
pub fn objective_label(name: &str) -> String {
    match name {
        "rwe" => "RWE error".to_string(),
        "train" => "train error".to_string(),
        proxy => format!("-{proxy}"),
    }
}

/// Formats an objective value: four decimals, or scientific notation for the very large
/// and very small values of some proxies.
pub fn format_objective(value: f64) -> String {
    format_number(value, 4)
}

/// Formats `value` with `decimals` decimals, or in scientific notation with one decimal
/// fewer when its magnitude is below 1e-3 or at least 1e4.
pub fn format_number(value: f64, decimals: usize) -> String {
    if value != 0.0 && !(1e-3..1e4).contains(&value.abs()) {
        format!("{value:.prec$e}", prec = decimals.saturating_sub(1))
    } else {
        format!("{value:.decimals$}")
    }
}

/// Formats `count` with `singular`, or with `plural` unless `count` is 1.
pub fn counted(count: usize, singular: &str, plural: &str) -> String {
    let noun = if count == 1 { singular } else { plural };
    format!("{count} {noun}")
}

/// Checks that `name` is an estimator.
///
/// # Errors
///
/// When it is not, with the list of names as the hint.
pub fn check(name: &str) -> Result<(), CliError> {
    if NAMES.contains(&name) {
        Ok(())
    } else {
        Err(CliError::new(format!("unknown estimator {name:?}"))
            .with_hint(format!("choose from {}", NAMES.join(", "))))
    }
}

/// Builds the estimator `name` on `data`. RWE trains its classifiers on the train split and
/// scores on the validation split. The proxies take their minibatch from the train split,
/// and `train` trains on `train_data` and scores its test images.
///
/// # Errors
///
/// For an unknown name or a minibatch that cannot be built.
pub fn build(
    name: &str,
    data: &RweData,
    rwe: &RweConfig,
    train_data: &TrainData,
    settings: &EstimatorSettings,
    devices: &[Device],
) -> Result<Box<dyn Estimator>, CliError> {
    check(name)?;
    let device = devices.first().cloned().unwrap_or_else(Device::flex);
    Ok(match name {
        "rwe" => Box::new(RweEstimator::new(
            data.clone(),
            rwe.clone(),
            devices.to_vec(),
        )),
        "train" => Box::new(TrainingEstimator::new(
            train_data.clone(),
            rwenas::study::short_training(settings.train_epochs),
            device,
        )),
        proxy => {
            let proxy: Proxy = proxy.parse()?;
            Box::new(ProxyEstimator::from_dataset(
                proxy,
                &data.dataset,
                &data.split.train,
                &data.normalization,
                settings.proxy_batch,
                device,
            )?)
        }
    })
}
