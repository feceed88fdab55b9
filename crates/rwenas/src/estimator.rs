//! Accuracy estimators: what scores a decoded network in a search.

use rwenas_space::network::Network;

/// The score of one network; lower error is better.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// The objective the search minimises: the estimated error, a fraction in `[0, 1]`, for
    /// RWE and training, and the negated score for a zero-cost proxy.
    pub error: f64,
    /// Seconds spent computing features (0 where the estimator has no such stage).
    pub feature_seconds: f64,
    /// Seconds spent training classifiers (0 where the estimator has no such stage).
    pub classifier_seconds: f64,
}

/// Scores decoded networks. Implementations see a whole batch at once so that one device
/// can be kept busy, or several devices used in parallel.
pub trait Estimator {
    /// Short name of the estimator, as used on the command line.
    fn name(&self) -> &str;

    /// Scores one network; `seed` fixes its random weights.
    ///
    /// # Errors
    ///
    /// A message saying why the network could not be scored (for example a diverged
    /// classifier); the search ranks such a network worst.
    fn score(&self, network: &Network, seed: u64) -> Result<Score, String>;

    /// Returns how many networks [`Estimator::score_batch`] scores at the same time, for
    /// example the number of devices; callers send batches of this size.
    fn parallelism(&self) -> usize {
        1
    }

    /// Scores a batch of networks; the default scores them one after another.
    fn score_batch(&self, batch: &[(Network, u64)]) -> Vec<Result<Score, String>> {
        batch
            .iter()
            .map(|(network, seed)| self.score(network, *seed))
            .collect()
    }
}

/// Checks that `network` takes images of shape `images` (`[channels, height, width]`).
///
/// # Errors
///
/// A message naming both shapes when they differ.
pub(crate) fn check_input(network: &Network, images: [usize; 3]) -> Result<(), String> {
    if network.input == images {
        return Ok(());
    }
    Err(format!(
        "the network takes inputs of shape {:?} (channels, height, width) but the images are \
         {images:?}; build the space for the data's channels and image size",
        network.input
    ))
}
