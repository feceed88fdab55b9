//! Checkpoint and resume.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use rwenas_nsga2::problems::Zdt1;
use rwenas_nsga2::{
    CheckpointObserver, Evaluation, EvaluationError, Nsga2, Nsga2Config, Observer, Problem,
    Termination, load_checkpoint, save_checkpoint,
};

/// ZDT1 that records every genome it evaluates.
struct CountingZdt1 {
    inner: Zdt1,
    seen: Mutex<Vec<Vec<u64>>>,
}

impl CountingZdt1 {
    fn new() -> Self {
        Self {
            inner: Zdt1::new(10),
            seen: Mutex::new(Vec::new()),
        }
    }

    fn evaluated(&self) -> Vec<Vec<u64>> {
        self.seen.lock().unwrap().clone()
    }
}

impl Problem for CountingZdt1 {
    fn n_var(&self) -> usize {
        self.inner.n_var()
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        self.inner.bounds()
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        let bits = x.iter().map(|v| v.to_bits()).collect();
        self.seen.lock().unwrap().push(bits);
        self.inner.evaluate(x)
    }
}

fn config() -> Nsga2Config {
    Nsga2Config::new(20).with_seed(42)
}

#[test]
fn resumed_run_matches_uninterrupted_run() {
    let total_generations = 30;
    let interrupt_after = 12;

    let mut uninterrupted = Nsga2::new(CountingZdt1::new(), config()).unwrap();
    let expected = uninterrupted
        .run(&Termination::Generations(total_generations), &mut [])
        .unwrap();

    let directory =
        std::env::temp_dir().join(format!("rwenas-nsga2-resume-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("state.json");

    let first_problem = CountingZdt1::new();
    let mut first = Nsga2::new(&first_problem, config()).unwrap();
    let mut checkpoints = CheckpointObserver::new(&path);
    let mut observers: [&mut dyn Observer; 1] = [&mut checkpoints];
    first
        .run(&Termination::Generations(interrupt_after), &mut observers)
        .unwrap();
    assert!(checkpoints.error.is_none());
    // Simulates a crash: the runner is dropped and only the checkpoint file remains.
    drop(first);

    let state = load_checkpoint(&path).unwrap();
    assert_eq!(state.generations_completed, interrupt_after);
    let second_problem = CountingZdt1::new();
    let mut second = Nsga2::resume(&second_problem, config(), state).unwrap();
    let resumed = second
        .run(&Termination::Generations(total_generations), &mut [])
        .unwrap();

    assert_eq!(resumed.population, expected.population);
    assert_eq!(resumed.evaluations, expected.evaluations);
    assert_eq!(resumed.generations, total_generations);

    let mut all = first_problem.evaluated();
    all.extend(second_problem.evaluated());
    assert_eq!(all, uninterrupted.problem().evaluated());
    let unique: HashSet<&Vec<u64>> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a genome was evaluated twice");
    assert_eq!(all.len(), resumed.evaluations);

    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn checkpoint_round_trip_is_exact() {
    let mut nsga2 = Nsga2::new(Zdt1::new(5), config()).unwrap();
    nsga2.run(&Termination::Generations(3), &mut []).unwrap();
    let directory =
        std::env::temp_dir().join(format!("rwenas-nsga2-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("state.json");
    save_checkpoint(&path, nsga2.state()).unwrap();
    let loaded = load_checkpoint(&path).unwrap();
    assert_eq!(loaded.population, nsga2.state().population);
    assert_eq!(loaded.cache, nsga2.state().cache);
    let leftovers: Vec<_> = std::fs::read_dir(&directory).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "the temporary file was not renamed");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn resume_rejects_other_seed() {
    let mut nsga2 = Nsga2::new(Zdt1::new(5), config()).unwrap();
    nsga2.step().unwrap();
    let state = nsga2.into_state();
    let error = Nsga2::resume(Zdt1::new(5), config().with_seed(7), state).unwrap_err();
    assert!(error.to_string().contains("seed is 42"), "{error}");
}

/// Creates an empty directory under the system temporary directory, unique to this process
/// and test.
fn scratch_directory(test: &str) -> std::path::PathBuf {
    let directory =
        std::env::temp_dir().join(format!("rwenas-nsga2-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// Completed generations in the checkpoint at `path`, or `None` when there is no file.
fn saved_generations(path: &std::path::Path) -> Option<usize> {
    path.exists()
        .then(|| load_checkpoint(path).unwrap().generations_completed)
}

#[test]
fn checkpoint_every_writes_on_schedule() {
    let directory = scratch_directory("every-schedule");
    let path = directory.join("state.json");
    let mut nsga2 = Nsga2::new(Zdt1::new(5), config()).unwrap();
    let mut checkpoints = CheckpointObserver::new(&path).every(4);
    for completed in 1..=10 {
        let report = nsga2.step().unwrap().clone();
        checkpoints.on_generation(nsga2.state(), &report);
        let expected = (completed >= 4).then_some(completed / 4 * 4);
        assert_eq!(saved_generations(&path), expected, "after {completed}");
        assert_eq!(
            checkpoints.saved_generation(),
            expected,
            "after {completed}"
        );
    }
    checkpoints.on_run_end(nsga2.state());
    assert_eq!(saved_generations(&path), Some(10));
    assert_eq!(checkpoints.saved_generation(), Some(10));

    // Without a new generation the run end writes nothing.
    std::fs::remove_file(&path).unwrap();
    checkpoints.on_run_end(nsga2.state());
    assert!(!path.exists());
    assert!(checkpoints.error.is_none());
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn checkpoint_every_in_run_writes_final_state() {
    let directory = scratch_directory("every-run");
    let path = directory.join("state.json");
    let mut nsga2 = Nsga2::new(Zdt1::new(5), config()).unwrap();
    let mut checkpoints = CheckpointObserver::new(&path).every(4);
    let mut on_disk = Vec::new();
    let mut record = |_: &rwenas_nsga2::Nsga2State, _: &rwenas_nsga2::GenerationReport| {
        on_disk.push(saved_generations(&path));
    };
    let mut observers: [&mut dyn Observer; 2] = [&mut checkpoints, &mut record];
    nsga2
        .run(&Termination::Generations(10), &mut observers)
        .unwrap();
    let expected = [
        None,
        None,
        None,
        Some(4),
        Some(4),
        Some(4),
        Some(4),
        Some(8),
        Some(8),
    ];
    assert_eq!(on_disk[..9], expected);
    assert_eq!(on_disk[9], Some(8));
    // `run` ends after generation 10, which is not a multiple of 4.
    assert_eq!(saved_generations(&path), Some(10));
    assert!(checkpoints.error.is_none());

    // A second `run` on the same runner also ends with a write of its last generation.
    let mut observers: [&mut dyn Observer; 1] = [&mut checkpoints];
    nsga2
        .run(&Termination::Generations(12), &mut observers)
        .unwrap();
    assert_eq!(saved_generations(&path), Some(12));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn resume_from_every_checkpoint_matches_uninterrupted() {
    let total_generations = 30;
    let mut uninterrupted = Nsga2::new(Zdt1::new(10), config()).unwrap();
    let expected = uninterrupted
        .run(&Termination::Generations(total_generations), &mut [])
        .unwrap();

    let directory = scratch_directory("every-resume");
    let path = directory.join("state.json");
    let mut first = Nsga2::new(Zdt1::new(10), config()).unwrap();
    let mut checkpoints = CheckpointObserver::new(&path).every(5);
    for _ in 0..13 {
        let report = first.step().unwrap().clone();
        checkpoints.on_generation(first.state(), &report);
    }
    // Simulates a crash after generation 13: `on_run_end` never runs, so the file contains
    // generation 10 and the resumed run computes generations 11 to 13 again.
    drop(first);
    let state = load_checkpoint(&path).unwrap();
    assert_eq!(state.generations_completed, 10);

    let mut second = Nsga2::resume(Zdt1::new(10), config(), state).unwrap();
    let resumed = second
        .run(&Termination::Generations(total_generations), &mut [])
        .unwrap();
    assert_eq!(resumed.population, expected.population);
    assert_eq!(resumed.evaluations, expected.evaluations);
    assert_eq!(resumed.generations, total_generations);
    assert_eq!(second.state().cache, uninterrupted.state().cache);
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
#[should_panic(expected = "checkpoint interval is 0 generations but must be at least 1")]
fn checkpoint_every_zero_panics() {
    let _ = CheckpointObserver::new("state.json").every(0);
}

/// ZDT1 whose evaluations return three objectives instead of two after the first `limit`
/// genomes, which makes the generation that evaluates them fail.
struct BreaksAfter {
    inner: Zdt1,
    limit: usize,
    evaluated: Mutex<usize>,
}

impl Problem for BreaksAfter {
    fn n_var(&self) -> usize {
        self.inner.n_var()
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        self.inner.bounds()
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        let mut evaluated = self.evaluated.lock().unwrap();
        *evaluated += 1;
        let mut evaluation = self.inner.evaluate(x)?;
        if *evaluated > self.limit {
            evaluation.objectives.push(0.0);
        }
        Ok(evaluation)
    }
}

#[test]
fn checkpoint_keeps_last_state_when_run_fails() {
    let directory = scratch_directory("every-error");
    let path = directory.join("state.json");
    // Population 20: the first three generations evaluate 60 genomes and the fourth fails.
    let problem = BreaksAfter {
        inner: Zdt1::new(5),
        limit: 60,
        evaluated: Mutex::new(0),
    };
    let mut nsga2 = Nsga2::new(problem, config()).unwrap();
    let mut checkpoints = CheckpointObserver::new(&path).every(10);
    let mut observers: [&mut dyn Observer; 1] = [&mut checkpoints];
    let error = nsga2
        .run(&Termination::Generations(20), &mut observers)
        .unwrap_err();
    assert!(
        error.to_string().contains("returned 3 objectives"),
        "{error}"
    );
    assert_eq!(nsga2.state().generations_completed, 3);
    assert_eq!(saved_generations(&path), Some(3));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn load_checkpoint_names_missing_path() {
    let directory = scratch_directory("load-missing");
    let path = directory.join("missing.json");
    let error = load_checkpoint(&path).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    let message = error.to_string();
    assert!(message.contains("failed to read checkpoint"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn load_checkpoint_names_invalid_file() {
    let directory = scratch_directory("load-invalid");
    let path = directory.join("state.json");
    std::fs::write(&path, "{\"seed\": 1").unwrap();
    let error = load_checkpoint(&path).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    let message = error.to_string();
    assert!(message.contains("is not a valid state"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn save_checkpoint_names_path_on_error() {
    let state = Nsga2::new(Zdt1::new(5), config()).unwrap().into_state();
    let directory = scratch_directory("save-errors");

    // The directory does not exist, so creating the temporary file fails.
    let path = directory.join("missing").join("state.json");
    let error = save_checkpoint(&path, &state).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    let message = error.to_string();
    assert!(message.contains("failed to write checkpoint"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");

    // The path is a non-empty directory, so renaming the temporary file over it fails.
    let path = directory.join("occupied");
    std::fs::create_dir_all(path.join("inside")).unwrap();
    let message = save_checkpoint(&path, &state).unwrap_err().to_string();
    assert!(message.contains("failed to rename"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    let leftovers: Vec<_> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["occupied"],
        "the temporary file was not removed"
    );

    // A path without a file name cannot be written.
    let path = directory.join("..");
    let message = save_checkpoint(&path, &state).unwrap_err().to_string();
    assert!(message.contains("has no file name"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    std::fs::remove_dir_all(&directory).unwrap();
}

fn state_after(generations: usize, config: Nsga2Config) -> rwenas_nsga2::Nsga2State {
    let mut nsga2 = Nsga2::new(Zdt1::new(5), config).unwrap();
    nsga2
        .run(&Termination::Generations(generations), &mut [])
        .unwrap();
    nsga2.into_state()
}

#[test]
fn resume_rejects_other_population_size() {
    for population_size in [10, 30] {
        let state = state_after(3, config());
        let other = Nsga2Config::new(population_size).with_seed(42);
        let error = Nsga2::resume(Zdt1::new(5), other, state).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "state cannot be resumed: state was saved with population_size 20 but the \
                 configuration has population_size {population_size}, so resume with \
                 population_size 20"
            )
        );
    }
}

#[test]
fn resume_rejects_other_offspring_size() {
    let state = state_after(3, config());
    let other = config().with_offspring_size(10);
    let error = Nsga2::resume(Zdt1::new(5), other, state).unwrap_err();
    assert_eq!(
        error.to_string(),
        "state cannot be resumed: state was saved with offspring_size 20 but the \
         configuration has offspring_size 10, so resume with offspring_size 20"
    );
    // An explicit offspring size equal to the default is the same configuration.
    let state = state_after(3, config());
    assert!(Nsga2::resume(Zdt1::new(5), config().with_offspring_size(20), state).is_ok());
}

#[test]
fn resume_reads_state_without_sizes() {
    let state = state_after(3, config());
    let mut json = serde_json::to_value(&state).unwrap();
    let fields = json.as_object_mut().unwrap();
    assert!(fields.remove("population_size").is_some());
    assert!(fields.remove("offspring_size").is_some());
    let old: rwenas_nsga2::Nsga2State = serde_json::from_value(json).unwrap();
    assert_eq!(old.population_size, None);
    assert_eq!(old.offspring_size, None);

    // Without recorded sizes only a population larger than population_size is rejected.
    let smaller = Nsga2Config::new(10).with_seed(42);
    let error = Nsga2::resume(Zdt1::new(5), smaller, old.clone()).unwrap_err();
    assert!(
        error.to_string().contains("population has 20 individuals"),
        "{error}"
    );
    let resumed = Nsga2::resume(Zdt1::new(5), config(), old).unwrap();
    assert_eq!(resumed.state().population_size, Some(20));
    assert_eq!(resumed.state().offspring_size, Some(20));
}

#[test]
fn generation_limit_counts_before_resume() {
    let state = state_after(12, config());
    let mut nsga2 = Nsga2::resume(Zdt1::new(5), config(), state.clone()).unwrap();
    let mut generations_run = 0;
    let mut count = |_: &rwenas_nsga2::Nsga2State, _: &rwenas_nsga2::GenerationReport| {
        generations_run += 1;
    };
    let mut observers: [&mut dyn Observer; 1] = [&mut count];
    let result = nsga2
        .run(&Termination::Generations(30), &mut observers)
        .unwrap();
    assert_eq!(generations_run, 18);
    assert_eq!(result.generations, 30);

    // A limit the state has already reached runs no generation.
    let mut nsga2 = Nsga2::resume(Zdt1::new(5), config(), state).unwrap();
    let result = nsga2.run(&Termination::Generations(5), &mut []).unwrap();
    assert_eq!(result.generations, 12);
}

#[test]
fn evaluation_limit_counts_before_resume() {
    let state = state_after(12, config());
    let evaluations = state.evaluations;
    assert_eq!(evaluations, 12 * 20);
    let mut nsga2 = Nsga2::resume(Zdt1::new(5), config(), state.clone()).unwrap();
    let result = nsga2
        .run(&Termination::Evaluations(evaluations), &mut [])
        .unwrap();
    assert_eq!(result.generations, 12);
    assert_eq!(result.evaluations, evaluations);

    let mut nsga2 = Nsga2::resume(Zdt1::new(5), config(), state).unwrap();
    let result = nsga2
        .run(&Termination::Evaluations(evaluations + 40), &mut [])
        .unwrap();
    assert_eq!(result.generations, 14);
    assert_eq!(result.evaluations, evaluations + 40);
}

/// ZDT1 that sleeps for `delay` in every batch.
struct SlowZdt1 {
    inner: Zdt1,
    delay: Duration,
}

impl Problem for SlowZdt1 {
    fn n_var(&self) -> usize {
        self.inner.n_var()
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        self.inner.bounds()
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        self.inner.evaluate(x)
    }
    fn evaluate_batch(&self, xs: &[Vec<f64>]) -> Vec<Result<Evaluation, EvaluationError>> {
        std::thread::sleep(self.delay);
        xs.iter().map(|x| self.inner.evaluate(x)).collect()
    }
}

#[test]
fn wall_time_limit_counts_from_run_call() {
    let delay = Duration::from_millis(40);
    let slow = || SlowZdt1 {
        inner: Zdt1::new(5),
        delay,
    };
    let mut first = Nsga2::new(slow(), config()).unwrap();
    first.run(&Termination::Generations(3), &mut []).unwrap();
    let state = first.into_state();

    // The first run took at least 3 * 40 ms, more than the limit, but the resumed run
    // checks the limit against its own time, so it runs at least one generation.
    let mut resumed = Nsga2::resume(slow(), config(), state).unwrap();
    let result = resumed
        .run(&Termination::WallTime(3 * delay / 2), &mut [])
        .unwrap();
    assert!(result.generations > 3, "{} generations", result.generations);
    assert!(result.elapsed >= delay);
}
