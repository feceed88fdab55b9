//! Checkpoint and resume.

use std::collections::HashSet;
use std::sync::Mutex;

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
