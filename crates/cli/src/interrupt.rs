//! Handling of Ctrl-C (SIGINT), SIGTERM and SIGHUP during a long command.
//!
//! Every command writes its results atomically or as synced lines, so stopping at any
//! moment loses at most the work since the last checkpoint. The handler only prints how
//! to continue. SIGKILL cannot be caught: the checkpoint survives it, but no hint is
//! printed.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

/// Exit status of a program stopped by SIGINT, as shells report it (128 + 2). The handler
/// cannot tell the signals apart, so SIGTERM and SIGHUP give the same status.
const INTERRUPTED: i32 = 130;

/// The line the handler prints after "interrupted", set by the running command.
static RESUME_HINT: Mutex<Option<String>> = Mutex::new(None);

/// Installs the handler of SIGINT, SIGTERM and SIGHUP. It prints how to continue the
/// running command, when the command set a hint with [`set_resume_hint`], and exits with
/// status 130.
pub fn install() {
    let installed = ctrlc::set_handler(|| {
        let hint = RESUME_HINT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // A hung-up terminal fails the write. `eprintln!` would then panic and end the
        // handler's thread before the exit, so later signals would be ignored.
        let mut stderr = std::io::stderr();
        let _ = match hint {
            Some(hint) => writeln!(stderr, "\ninterrupted; {hint}"),
            None => writeln!(stderr, "\ninterrupted"),
        };
        std::process::exit(INTERRUPTED);
    });
    if let Err(error) = installed {
        tracing::warn!(%error, "failed to install the signal handler, so Ctrl-C stops without a resume hint");
    }
}

/// Sets the line that explains how to continue the command after Ctrl-C.
pub fn set_resume_hint(hint: impl Into<String>) {
    *RESUME_HINT.lock().unwrap_or_else(PoisonError::into_inner) = Some(hint.into());
}
