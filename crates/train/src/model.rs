//! Trained models on disk, and their test error.

use std::io::Write;
use std::path::Path;

use burn::module::Module;
use burn::store::{ModuleRecord, RecordError};
use burn::tensor::{Bytes, Device};
use rwenas_nn::{BuildConfig, NetworkModule, NormMode};
use rwenas_rwe::{ImageDataset, Normalization};
use rwenas_space::network::Network;

use crate::TrainError;
use crate::checkpoint::write_atomically;
use crate::trainer::{count_wrong, labels_tensor};

/// Writes the weights and batch norm running statistics of `model` to `path` as a Burn
/// burnpack record, atomically (written beside `path`, then renamed over it). The file contains
/// no architecture: [`load_model`] needs the same network description.
///
/// # Errors
///
/// [`TrainError::Model`] when the record does not serialise and [`TrainError::Io`] when
/// writing fails.
pub fn save_model(model: &NetworkModule, path: &Path) -> Result<(), TrainError> {
    // `valid` merges the pending running statistics update and leaves the autodiff device.
    let bytes = model
        .valid()
        .into_record()
        .into_bytes()
        .map_err(|error| TrainError::Model {
            path: path.to_path_buf(),
            message: format!("the record does not serialise: {error}"),
        })?;
    write_atomically(path, |file| file.write_all(&bytes))
}

/// Builds `network` on `device` with batch norm normalising by its running statistics, and
/// loads the weights that [`save_model`] wrote to `path`.
///
/// # Errors
///
/// [`TrainError::Network`] when the network does not build, [`TrainError::Io`] when the file
/// cannot be read, [`TrainError::NotAModel`] when it is not a model record and
/// [`TrainError::Model`] when its tensors do not fit the network (another architecture or
/// size).
pub fn load_model(
    network: &Network,
    path: &Path,
    device: &Device,
) -> Result<NetworkModule, TrainError> {
    let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |message: String| TrainError::Model {
        path: path.to_path_buf(),
        message,
    };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|error| {
        TrainError::NotAModel {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    })?;
    let build = BuildConfig {
        norm: NormMode::RunningStatistics,
        ..BuildConfig::default()
    };
    NetworkModule::init(network, build, device)?
        .try_load_record(record)
        .map_err(|error| invalid(mismatch(&error)))
}

/// Describes a record that does not fit a network by the number of failed tensors and the
/// first of them; Burn's message lists every tensor.
fn mismatch(error: &RecordError) -> String {
    let RecordError::Validation(message) = error else {
        return format!("its tensors do not fit the network: {error}");
    };
    let list = message
        .split_once('[')
        .map_or(message.as_str(), |(_, list)| {
            list.trim_end_matches([']', ')'])
        });
    let entries: Vec<&str> = list.split("\", \"").collect();
    let first = entries[0].trim_matches('"');
    match entries.len() {
        1 => format!("its weights do not fit the network: {first}"),
        count => format!(
            "its weights do not fit the network: {count} tensors differ, the first: {first}"
        ),
    }
}

/// Returns the fraction of `test` images that `model` misclassifies, with the images
/// normalised by `normalization`, in batches of `batch_size`, with the model's own batch
/// norm mode, on `device` (the device of `model`). `on_batch` is called with the number of images done after every batch.
///
/// # Errors
///
/// [`TrainError::Data`] from batching.
pub fn test_error(
    model: &NetworkModule,
    test: &ImageDataset,
    normalization: &Normalization,
    batch_size: usize,
    device: &Device,
    mut on_batch: impl FnMut(usize),
) -> Result<f64, TrainError> {
    let indices: Vec<usize> = (0..test.len()).collect();
    let mut wrong = 0;
    let mut done = 0;
    for chunk in indices.chunks(batch_size.max(1)) {
        let images = normalization.batch(test, chunk, device)?;
        let targets = labels_tensor(test, chunk, device);
        wrong += count_wrong(model.forward(images), targets);
        done += chunk.len();
        on_batch(done);
    }
    Ok(wrong as f64 / test.len().max(1) as f64)
}
