//! Checkpoint files: one file with the epoch count, the configuration, the model record and
//! the optimiser record.
//!
//! Layout: the 8 magic bytes `RWTRAIN1`, then three sections, each a little-endian `u64`
//! length followed by that many bytes: the JSON header ([`Header`]), the burnpack model
//! record and the burnpack optimiser record.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use burn::optim::OptimizerRecord;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::counted;
use crate::{TrainConfig, TrainError};

const MAGIC: &[u8; 8] = b"RWTRAIN1";

/// The state a training run resumes from.
pub(crate) struct Checkpoint {
    pub epoch: usize,
    pub config: TrainConfig,
    pub model: ModuleRecord,
    pub optimizer: OptimizerRecord,
}

#[derive(Serialize, Deserialize)]
struct Header {
    /// Completed epochs.
    epoch: usize,
    config: TrainConfig,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, message: impl Into<String>) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Writes `checkpoint` to a temporary file beside `path`, flushes it to disk and renames it
/// to `path`, so a crash leaves either the previous checkpoint or the new one.
pub(crate) fn write_checkpoint(path: &Path, checkpoint: Checkpoint) -> Result<(), TrainError> {
    let header = serde_json::to_vec(&Header {
        epoch: checkpoint.epoch,
        config: checkpoint.config,
    })
    .map_err(|error| invalid(path, format!("header does not serialise: {error}")))?;
    let model = checkpoint
        .model
        .into_bytes()
        .map_err(|error| invalid(path, format!("model record does not serialise: {error}")))?;
    let optimizer = checkpoint.optimizer.into_bytes().map_err(|error| {
        invalid(
            path,
            format!("optimiser record does not serialise: {error}"),
        )
    })?;

    write_atomically(path, |file| {
        file.write_all(MAGIC)?;
        for section in [&header[..], &model[..], &optimizer[..]] {
            file.write_all(&(section.len() as u64).to_le_bytes())?;
            file.write_all(section)?;
        }
        Ok(())
    })
}

/// Writes a file through `write` to a temporary file beside `path`, flushes it to disk and
/// renames it to `path`, so a crash leaves either the previous file or the new one.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), TrainError> {
    let temporary = temporary_path(path);
    let mut file = File::create(&temporary).map_err(io_error(&temporary))?;
    write(&mut file).map_err(io_error(&temporary))?;
    file.sync_all().map_err(io_error(&temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io_error(path))
}

/// Reads a checkpoint written by [`write_checkpoint`].
pub(crate) fn read_checkpoint(path: &Path) -> Result<Checkpoint, TrainError> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| invalid(path, "missing the RWTRAIN1 magic bytes; not a checkpoint"))?;
    let mut sections = Vec::with_capacity(3);
    let mut rest = rest;
    for name in ["header", "model record", "optimiser record"] {
        let (length, tail) = rest
            .split_first_chunk::<8>()
            .ok_or_else(|| invalid(path, format!("truncated before the {name} length")))?;
        let length = usize::try_from(u64::from_le_bytes(*length))
            .map_err(|_| invalid(path, format!("{name} length does not fit in memory")))?;
        if tail.len() < length {
            return Err(invalid(path, format!("truncated inside the {name}")));
        }
        let (section, tail) = tail.split_at(length);
        sections.push(section);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(invalid(
            path,
            format!(
                "{} after the last section",
                counted(rest.len(), "byte", "bytes")
            ),
        ));
    }
    let header: Header = serde_json::from_slice(sections[0])
        .map_err(|error| invalid(path, format!("invalid header: {error}")))?;
    let model = ModuleRecord::from_bytes(Bytes::from_bytes_vec(sections[1].to_vec()))
        .map_err(|error| invalid(path, format!("invalid model record: {error}")))?;
    let optimizer = OptimizerRecord::from_bytes(Bytes::from_bytes_vec(sections[2].to_vec()))
        .map_err(|error| invalid(path, format!("invalid optimiser record: {error}")))?;
    Ok(Checkpoint {
        epoch: header.epoch,
        config: header.config,
        model,
        optimizer,
    })
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}
