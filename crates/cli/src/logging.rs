//! Log output of the program: `tracing` events written to stderr, above the progress bar.

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use indicatif::ProgressBar;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The progress bar on screen, if any. Log lines are written while it is hidden, so that
/// they do not break its line.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Installs the global subscriber. `RUST_LOG` sets the filter when it is set; otherwise
/// the program logs warnings and errors, or debug events of its own with `verbose`.
pub fn init(verbose: bool) {
    let default = if verbose { "warn,rwenas=debug" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BarWriter)
        .with_target(false)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .try_init();
}

/// Routes log lines around `bar` until [`clear_bar`] is called.
pub fn set_bar(bar: &ProgressBar) {
    *ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
}

/// Stops routing log lines around the progress bar.
pub fn clear_bar() {
    *ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner) = None;
}

/// Creates a writer to stderr for each event.
struct BarWriter;

impl<'a> MakeWriter<'a> for BarWriter {
    type Writer = BarWriter;

    fn make_writer(&'a self) -> Self::Writer {
        BarWriter
    }
}

impl Write for BarWriter {
    /// Writes `buf` to stderr, hiding the progress bar meanwhile. The `fmt` layer writes
    /// each event with one call, so an event is never split around a redraw.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bar = ACTIVE_BAR
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match bar {
            Some(bar) => bar.suspend(|| io::stderr().write_all(buf))?,
            None => io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
