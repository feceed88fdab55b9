//! The `rwenas` command-line program.

/// Writes to stdout like `print!`, as an expression of type `Result<(), CliError>`: a
/// failed write (a full disk, a closed file) becomes an error instead of a panic.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*)
            .and_then(|()| stdout.flush())
            .map_err(|error| $crate::CliError::new(format!("cannot write to stdout: {error}")))
    }};
}

/// Writes a line to stdout like `println!`, as [`out!`] does.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        $crate::out!("{}\n", format_args!($($arg)*))
    }};
}

mod architecture;
mod correlate;
mod device;
mod estimators;
mod evaluate;
mod export;
mod flops;
mod interrupt;
mod logging;
mod output;
mod plot;
mod search;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Multi-objective neural architecture search with random-weight evaluation.
#[derive(Debug, Parser)]
#[command(name = "rwenas", version, about)]
struct Cli {
    /// Log debug events to stderr; without it only warnings and errors are logged.
    /// `RUST_LOG` (such as `RUST_LOG=rwenas=info`) overrides both.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Search a space with NSGA-II for architectures that trade RWE error against FLOPs.
    Search(search::SearchArgs),
    /// Score one architecture by random-weight evaluation.
    Evaluate(evaluate::EvaluateArgs),
    /// Count the multiply-accumulates and parameters of one architecture.
    Flops(flops::FlopsArgs),
    /// Write one architecture as a standalone network description (JSON, DOT or text).
    Export(export::ExportArgs),
    /// Train one architecture from scratch and measure its test error after every epoch.
    Train(Box<train::TrainArgs>),
    /// Measure how well each estimator ranks sampled architectures against a short training.
    Correlate(correlate::CorrelateArgs),
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    logging::init(cli.verbose);
    interrupt::install();
    let result = match cli.command {
        Command::Search(args) => search::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Flops(args) => flops::run(args),
        Command::Export(args) => export::run(args),
        Command::Train(args) => train::run(*args),
        Command::Correlate(args) => correlate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("{hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Restores the default action of SIGPIPE, which the Rust runtime sets to ignore. A reader
/// that closes the pipe early, such as `rwenas export ... | head`, then ends the program
/// quietly, as it ends other Unix tools, instead of failing with an error.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: `signal` with SIG_DFL installs no handler code. It runs first in `main`,
    // before any thread of the program starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}

/// An error of a command: one line saying what failed, and an optional line saying what
/// to do.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hint: Option<String>,
}

impl CliError {
    /// Creates an error from its message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the line that tells the user what to do next.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(error: E) -> Self {
        CliError::new(error.to_string())
    }
}
