//! A CSV writer of per-epoch metrics.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{EpochMetrics, TrainError};

/// Header line of the metrics CSV.
pub const CSV_HEADER: &str =
    "epoch,learning_rate,train_loss,train_error,test_error,seconds,images_per_second,test_seconds";

/// Appends one line per epoch to a CSV file, flushing after every line so the file is
/// complete up to the last finished epoch.
#[derive(Debug)]
pub struct MetricsCsv {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl MetricsCsv {
    /// Creates (or truncates) the file at `path` and writes the header.
    ///
    /// # Errors
    ///
    /// [`TrainError::Io`] when the file cannot be created or written.
    pub fn create(path: &Path) -> Result<Self, TrainError> {
        let file = File::create(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut csv = MetricsCsv {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        };
        csv.write_line(CSV_HEADER)?;
        Ok(csv)
    }

    /// Appends the line of one epoch.
    ///
    /// # Errors
    ///
    /// [`TrainError::Io`] when writing fails.
    pub fn write(&mut self, metrics: &EpochMetrics) -> Result<(), TrainError> {
        let line = csv_line(metrics);
        self.write_line(&line)
    }

    fn write_line(&mut self, line: &str) -> Result<(), TrainError> {
        writeln!(self.writer, "{line}")
            .and_then(|()| self.writer.flush())
            .map_err(|source| TrainError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// Formats one epoch as a CSV line in the column order of [`CSV_HEADER`].
pub fn csv_line(metrics: &EpochMetrics) -> String {
    let train = &metrics.train;
    format!(
        "{},{},{},{},{},{},{},{}",
        train.epoch,
        train.learning_rate,
        train.train_loss,
        train.train_error,
        metrics.test_error,
        train.seconds,
        train.images_per_second,
        metrics.test_seconds
    )
}
