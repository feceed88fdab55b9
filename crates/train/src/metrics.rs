//! A CSV writer of per-epoch metrics.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::checkpoint::write_atomically;
use crate::error::counted;
use crate::{EpochMetrics, TrainError};

/// Header line of the metrics CSV. The `epoch` column counts from 1, as the `train` command
/// prints epochs.
pub const CSV_HEADER: &str = "epoch,learning_rate,train_loss,train_error,test_error,seconds,images_per_second,test_seconds,recalibration_seconds";

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

    /// Reopens the file at `path` of a run that resumes after `epochs` completed epochs:
    /// keeps the header and the lines of those epochs, drops any later line (of an epoch
    /// that the checkpoint does not cover), and appends from there. A missing file is
    /// created as by [`MetricsCsv::create`].
    ///
    /// # Errors
    ///
    /// [`TrainError::Io`] when the file cannot be read or written, or contains fewer than
    /// `epochs` epoch lines.
    pub fn resume(path: &Path, epochs: usize) -> Result<Self, TrainError> {
        let io_error = |source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && epochs == 0 => {
                return MetricsCsv::create(path);
            }
            Err(error) => return Err(io_error(error)),
        };
        let kept: Vec<&str> = text.lines().skip(1).take(epochs).collect();
        if kept.len() < epochs {
            return Err(io_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}, but the checkpoint covers {}",
                    counted(kept.len(), "epoch line", "epoch lines"),
                    counted(epochs, "epoch", "epochs")
                ),
            )));
        }
        let mut contents = format!("{CSV_HEADER}\n");
        for line in kept {
            contents.push_str(line);
            contents.push('\n');
        }
        write_atomically(path, |file| file.write_all(contents.as_bytes()))?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io_error)?;
        Ok(MetricsCsv {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
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

/// Formats one epoch as a CSV line in the column order of [`CSV_HEADER`], the epoch counted
/// from 1.
pub fn csv_line(metrics: &EpochMetrics) -> String {
    let train = &metrics.train;
    format!(
        "{},{},{},{},{},{},{},{},{}",
        train.epoch + 1,
        train.learning_rate,
        train.train_loss,
        train.train_error,
        metrics.test_error,
        train.seconds,
        train.images_per_second,
        metrics.test_seconds,
        train.recalibration_seconds
    )
}
