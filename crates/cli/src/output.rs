//! The output folder of a search and the text the program prints.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rwenas::{EvaluationRecord, GenerationSummary};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::CliError;

/// Files that mark a folder as containing a search.
const SEARCH_FILES: [&str; 4] = [
    "config.json",
    "evaluations.jsonl",
    "checkpoint.json",
    "front.json",
];

/// Returns whether the JSON file at `path` contains a search's settings.
fn is_search_config(path: &Path) -> bool {
    has_search_keys(path) == Some(true)
}

/// Returns whether the JSON file at `path` is an object without the search-only keys: the
/// settings of another command. A file that cannot be read or parsed is neither kind.
fn is_other_config(path: &Path) -> bool {
    has_search_keys(path) == Some(false)
}

/// Returns whether the JSON object at `path` has the search-only keys `population` and
/// `generations`, or `None` when the file is missing, unreadable or not an object.
fn has_search_keys(path: &Path) -> Option<bool> {
    let text = fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let object = value.as_object()?;
    Some(object.contains_key("population") && object.contains_key("generations"))
}

/// The folder a search writes its results to.
pub struct OutputFolder {
    path: PathBuf,
}

impl OutputFolder {
    /// Creates the folder for a new search.
    ///
    /// # Errors
    ///
    /// When the folder already contains a search, so that no result is overwritten, or when it
    /// cannot be created.
    pub fn create(path: &Path) -> Result<Self, CliError> {
        Self::check_free(path)?;
        fs::create_dir_all(path).map_err(|error| {
            CliError::new(format!(
                "cannot create output folder {}: {error}",
                path.display()
            ))
        })?;
        Ok(OutputFolder {
            path: path.to_path_buf(),
        })
    }

    /// Checks that `path` can receive a new search: it is missing or an empty folder.
    ///
    /// # Errors
    ///
    /// When `path` is a file or a folder with any content, so that nothing is overwritten.
    /// A folder with a search is named as one, with the command that continues it.
    pub fn check_free(path: &Path) -> Result<(), CliError> {
        if !path.exists() {
            if path.symlink_metadata().is_ok() {
                return Err(CliError::new(format!(
                    "--out {} is a symbolic link to a missing target",
                    path.display()
                ))
                .with_hint("create the link's target folder, or choose another --out"));
            }
            return Ok(());
        }
        if !path.is_dir() {
            return Err(
                CliError::new(format!("--out {} is a file, not a folder", path.display()))
                    .with_hint("choose a new or empty folder with --out"),
            );
        }
        // A folder of another command also has a config.json, so that file alone marks a
        // search only when it contains a search's settings.
        if let Some(existing) = SEARCH_FILES.iter().find(|file| path.join(file).exists())
            && (*existing != "config.json" || is_search_config(&path.join("config.json")))
        {
            return Err(CliError::new(format!(
                "output folder {} already contains a search ({existing} exists)",
                path.display()
            ))
            .with_hint(format!(
                "continue it with: rwenas search --resume {}, or choose another --out",
                path.display()
            )));
        }
        let entry = fs::read_dir(path)
            .map_err(|error| {
                CliError::new(format!(
                    "--out {} is not a readable folder: {error}",
                    path.display()
                ))
            })?
            .next();
        match entry {
            None => Ok(()),
            Some(entry) => {
                let name = entry.map_or_else(
                    |_| String::from("an unreadable entry"),
                    |entry| entry.file_name().to_string_lossy().into_owned(),
                );
                Err(CliError::new(format!(
                    "output folder {} is not empty: it contains {name}, and a search would \
                     overwrite its files",
                    path.display()
                ))
                .with_hint("choose a new or empty folder with --out"))
            }
        }
    }

    /// Opens the folder of a stopped search.
    ///
    /// # Errors
    ///
    /// When the folder does not contain a search configuration.
    pub fn open(path: &Path) -> Result<Self, CliError> {
        if path.is_file() {
            let folder = path.parent().unwrap_or(Path::new("."));
            return Err(CliError::new(format!(
                "{} is a file, but a search's folder is expected",
                path.display()
            ))
            .with_hint(format!(
                "pass the folder that contains it: {}",
                folder.display()
            )));
        }
        if !path.is_dir() {
            return Err(
                CliError::new(format!("folder {} does not exist", path.display()))
                    .with_hint("pass the --out folder of a `rwenas search` run"),
            );
        }
        let config = path.join("config.json");
        if is_other_config(&config) {
            return Err(CliError::new(format!(
                "{} does not contain a search: its config.json belongs to another command, \
                 such as `rwenas train`",
                path.display()
            ))
            .with_hint("pass the --out folder of a `rwenas search` run"));
        }
        if !config.is_file() {
            return Err(CliError::new(format!(
                "{} does not contain a search: config.json is missing",
                path.display()
            ))
            .with_hint("pass the --out folder of a `rwenas search` run"));
        }
        Ok(OutputFolder {
            path: path.to_path_buf(),
        })
    }

    /// Reads the JSON file `name`.
    pub fn read_json<T: DeserializeOwned>(&self, name: &str) -> Result<T, CliError> {
        let path = self.path.join(name);
        let text = fs::read_to_string(&path)
            .map_err(|error| CliError::new(format!("cannot read {}: {error}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|error| CliError::new(format!("invalid {}: {error}", path.display())))
    }

    /// Reads the JSON Lines file `name`; a missing file has no lines. A last line without
    /// its newline, left by a write that was cut short, is ignored.
    pub fn read_jsonl<T: DeserializeOwned>(&self, name: &str) -> Result<Vec<T>, CliError> {
        let path = self.path.join(name);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                return Err(CliError::new(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
        };
        let complete = match text.rfind('\n') {
            Some(end) => &text[..end],
            None => "",
        };
        let rest = text
            .rfind('\n')
            .map_or(text.as_str(), |end| &text[end + 1..]);
        if !rest.trim().is_empty() {
            eprintln!(
                "the last line of {} was cut short and is ignored",
                path.display()
            );
        }
        complete
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line).map_err(|error| {
                    CliError::new(format!(
                        "invalid line {} of {}: {error}",
                        index + 1,
                        path.display()
                    ))
                })
            })
            .collect()
    }

    /// Replaces the JSON Lines file `name` with `records`, atomically.
    pub fn rewrite_jsonl(&self, name: &str, records: &[EvaluationRecord]) -> Result<(), CliError> {
        let mut text = String::new();
        for record in records {
            text.push_str(&serde_json::to_string(record)?);
            text.push('\n');
        }
        self.write_atomic(name, text.as_bytes())
    }

    /// Returns the folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `value` as pretty JSON to `name`, through a temporary file and a rename so that
    /// a reader never sees half a file.
    pub fn write_json<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), CliError> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.write_atomic(name, text.as_bytes())
    }

    /// Writes the front as CSV to `name`. The objective column is `rwe_error` in a search
    /// driven by RWE and `objective` otherwise.
    pub fn write_front_csv(&self, name: &str, front: &[EvaluationRecord]) -> Result<(), CliError> {
        let rwe = front.iter().all(|record| record.estimator == "rwe");
        let column = if rwe { "rwe_error" } else { "objective" };
        let mut text = format!("rank,{column},flops,params,genome\n");
        for (index, record) in front.iter().enumerate() {
            let genome: Vec<String> = record.genome.iter().map(i64::to_string).collect();
            text.push_str(&format!(
                "{},{},{},{},{}\n",
                index + 1,
                record
                    .objective
                    .map_or(String::new(), |objective| objective.to_string()),
                record.flops,
                record.params,
                genome.join(" ")
            ));
        }
        self.write_atomic(name, text.as_bytes())
    }

    /// Writes `text` to `name`, creating its parent folders.
    pub fn write_text(&self, name: &str, text: &str) -> Result<(), CliError> {
        if let Some(parent) = Path::new(name).parent() {
            let parent = self.path.join(parent);
            fs::create_dir_all(&parent).map_err(|error| write_error(&parent, error))?;
        }
        self.write_atomic(name, text.as_bytes())
    }

    /// Writes the front after `generation` (0 for the initial population) as
    /// `fronts/generation-NNN.json` and `.csv`, numbered from 1.
    pub fn write_front(
        &self,
        generation: usize,
        front: &[EvaluationRecord],
    ) -> Result<(), CliError> {
        let stem = format!("fronts/generation-{:03}", generation + 1);
        let mut text = serde_json::to_string_pretty(front)?;
        text.push('\n');
        self.write_text(&format!("{stem}.json"), &text)?;
        self.write_front_csv(&format!("{stem}.csv"), front)
    }

    /// Reads the front that [`OutputFolder::write_front`] wrote after `generation`.
    pub fn read_front(&self, generation: usize) -> Result<Vec<EvaluationRecord>, CliError> {
        self.read_json(&format!("fronts/generation-{:03}.json", generation + 1))
    }

    /// Appends one JSON line per record to `name` and syncs the file to disk.
    pub fn append_jsonl(&self, name: &str, records: &[EvaluationRecord]) -> Result<(), CliError> {
        let path = self.path.join(name);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|error| write_error(&path, error))?;
        let mut writer = BufWriter::new(file);
        for record in records {
            serde_json::to_writer(&mut writer, record)?;
            writer
                .write_all(b"\n")
                .map_err(|error| write_error(&path, error))?;
        }
        let file = writer
            .into_inner()
            .map_err(|error| write_error(&path, error.into_error()))?;
        file.sync_all().map_err(|error| write_error(&path, error))
    }

    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), CliError> {
        let path = self.path.join(name);
        let file_name = path.file_name().map_or_else(
            || name.to_string(),
            |file_name| file_name.to_string_lossy().into_owned(),
        );
        let temporary = path.with_file_name(format!(".{file_name}.tmp"));
        let mut file = File::create(&temporary).map_err(|error| write_error(&temporary, error))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|error| write_error(&temporary, error))?;
        fs::rename(&temporary, &path).map_err(|error| write_error(&path, error))
    }
}

fn write_error(path: &Path, error: std::io::Error) -> CliError {
    CliError::new(format!("cannot write {}: {error}", path.display()))
}

/// Formats the one-line summary of a generation.
pub fn summary_line(summary: &GenerationSummary, generations: usize, label: &str) -> String {
    let objectives = summary.front.iter().filter_map(|record| record.objective);
    let best = objectives.fold(f64::INFINITY, f64::min);
    let flops = summary.front.iter().map(|record| record.flops);
    let (low, high) = flops.fold((u64::MAX, 0), |(low, high), value| {
        (low.min(value), high.max(value))
    });
    let failures = summary
        .evaluated
        .iter()
        .filter(|record| record.failure.is_some())
        .count();
    let mut line = format!(
        "generation {}/{}: {} evaluated in {:.1} s, front of {}, best {label} {}, \
         FLOPs {:.2}M to {:.2}M",
        summary.generation + 1,
        generations,
        summary.evaluated.len(),
        summary.elapsed.as_secs_f64(),
        summary.front.len(),
        crate::estimators::format_objective(best),
        low as f64 / 1e6,
        high as f64 / 1e6
    );
    if failures > 0 {
        line.push_str(&format!(", {failures} failed"));
    }
    line
}

/// Formats the front as a table.
pub fn front_table(front: &[EvaluationRecord], label: &str) -> String {
    let mut table = format!(
        "{:>4}  {:>10}  {:>11}  {:>9}  architecture\n",
        "#", label, "MFLOPs", "params"
    );
    for (index, record) in front.iter().enumerate() {
        let error = record
            .objective
            .map_or("failed".to_string(), crate::estimators::format_objective);
        // The genotype line is the one-line form of a micro architecture. Other spaces
        // describe theirs over several lines, so the table shows the genome instead.
        // `rwenas export --front DIR --index K --format text` prints the description.
        let architecture = record
            .architecture
            .lines()
            .find_map(|line| line.strip_prefix("genotype: "))
            .map_or_else(|| compact_genome(&record.genome), str::to_string);
        table.push_str(&format!(
            "{:>4}  {:>10}  {:>11.3}  {:>9}  {}\n",
            index + 1,
            error,
            record.flops as f64 / 1e6,
            record.params,
            architecture
        ));
    }
    table
}

/// Formats a genome on one line: its digits run together when every gene is a single
/// digit (the bits of a macro genome), and are separated by commas otherwise.
fn compact_genome(genome: &[i64]) -> String {
    let genes: Vec<String> = genome.iter().map(i64::to_string).collect();
    let separator = if genome.iter().all(|gene| (0..10).contains(gene)) {
        ""
    } else {
        ","
    };
    format!("genome {}", genes.join(separator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_genome_joins_bits() {
        assert_eq!(compact_genome(&[1, 0, 1]), "genome 101");
        assert_eq!(compact_genome(&[1, 12, 3]), "genome 1,12,3");
    }

    #[test]
    fn front_table_shows_genotype_or_genome() {
        let mut micro = EvaluationRecord::new(vec![0, 1], "rwe", Some(0.5));
        micro.architecture = "normal: ...\ngenotype: Genotype(normal=[])".to_string();
        let mut macro_record = EvaluationRecord::new(vec![1, 0, 1], "rwe", Some(0.6));
        macro_record.architecture =
            "phase 0: 32 channels, skip true\n  node 1 <- input".to_string();
        let table = front_table(&[micro, macro_record], "RWE error");
        assert!(table.contains("Genotype(normal=[])"), "{table}");
        assert!(table.contains("genome 101"), "{table}");
        assert!(!table.contains("phase 0"), "{table}");
    }
}
