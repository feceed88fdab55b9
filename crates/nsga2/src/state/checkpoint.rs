//! Atomic checkpoint files.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::observer::{GenerationReport, Observer};
use crate::state::Nsga2State;

/// Writes the state as JSON to `path` atomically.
///
/// The JSON goes to a temporary file in the same directory, which is flushed, synced to
/// disk and renamed over `path`, so a crash leaves either the old or the new checkpoint.
pub fn save_checkpoint(path: impl AsRef<Path>, state: &Nsga2State) -> io::Result<()> {
    let path = path.as_ref();
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::env::current_dir()?,
    };
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("checkpoint path {} has no file name", path.display()),
        )
    })?;
    let mut temporary_name = file_name.to_os_string();
    temporary_name.push(format!(".tmp{}", std::process::id()));
    let temporary_path = directory.join(temporary_name);

    let write_result = (|| {
        let file = File::create(&temporary_path)?;
        let mut writer = BufWriter::new(file);
        serde_json::to_writer(&mut writer, state).map_err(io::Error::other)?;
        writer.flush()?;
        let file = writer.into_inner().map_err(|error| error.into_error())?;
        file.sync_all()?;
        fs::rename(&temporary_path, path)
    })();
    if write_result.is_err() {
        let _ = fs::remove_file(&temporary_path);
        return write_result;
    }
    // Sync the directory so that the rename itself is durable (Unix only; elsewhere
    // opening a directory fails and the rename is left to the OS).
    if let Ok(directory_handle) = File::open(&directory) {
        let _ = directory_handle.sync_all();
    }
    Ok(())
}

/// Reads a state written by [`save_checkpoint`].
pub fn load_checkpoint(path: impl AsRef<Path>) -> io::Result<Nsga2State> {
    let bytes = fs::read(path.as_ref())?;
    serde_json::from_slice(&bytes).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "checkpoint {} is not a valid state: {error}",
                path.as_ref().display()
            ),
        )
    })
}

/// Observer that saves a checkpoint after every generation.
///
/// Observers cannot stop a run, so the first write error is kept in
/// [`CheckpointObserver::error`] and later generations retry the write.
#[derive(Debug)]
pub struct CheckpointObserver {
    path: std::path::PathBuf,
    /// First error raised while writing a checkpoint.
    pub error: Option<io::Error>,
}

impl CheckpointObserver {
    /// Creates an observer that writes to `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self {
            path: path.into(),
            error: None,
        }
    }
}

impl Observer for CheckpointObserver {
    fn on_generation(&mut self, state: &Nsga2State, _report: &GenerationReport) {
        if let Err(error) = save_checkpoint(&self.path, state) {
            self.error.get_or_insert(error);
        }
    }
}
