//! Engine behaviour: reproducibility, validation, failures, constraints and the cache.

use std::collections::HashSet;
use std::sync::Mutex;

use rwenas_nsga2::operators::{PolynomialMutation, SimulatedBinaryCrossover, TwoPointCrossover};
use rwenas_nsga2::problems::Zdt1;
use rwenas_nsga2::sorting::constrained_dominates;
use rwenas_nsga2::{
    Evaluation, EvaluationError, Nsga2, Nsga2Config, Nsga2Error, Problem, Termination, VariableKind,
};

fn front_objectives(seed: u64) -> Vec<Vec<f64>> {
    let mut nsga2 = Nsga2::new(Zdt1::new(10), Nsga2Config::new(30).with_seed(seed)).unwrap();
    let result = nsga2.run(&Termination::Generations(15), &mut []).unwrap();
    result.front.into_iter().map(|ind| ind.objectives).collect()
}

#[test]
fn same_seed_gives_same_front() {
    assert_eq!(front_objectives(3), front_objectives(3));
    assert_ne!(front_objectives(3), front_objectives(4));
}

fn error_message(config: Nsga2Config) -> String {
    Nsga2::new(Zdt1::new(5), config).unwrap_err().to_string()
}

#[test]
fn invalid_settings_are_named() {
    assert_eq!(
        error_message(Nsga2Config::new(1)),
        "population_size is 1 but must be at least 2"
    );
    assert!(error_message(Nsga2Config::new(11)).contains("offspring_size is 11 but must be even"));
    let crossover = SimulatedBinaryCrossover {
        probability: 1.5,
        ..Default::default()
    };
    assert_eq!(
        error_message(Nsga2Config::new(10).with_crossover(crossover)),
        "crossover probability is 1.5 but must be in [0, 1]"
    );
    let mutation = PolynomialMutation {
        eta: -1.0,
        ..Default::default()
    };
    assert!(
        error_message(Nsga2Config::new(10).with_mutation(mutation))
            .starts_with("mutation eta is -1 but must be")
    );
    let mutation = PolynomialMutation {
        variable_probability: Some(-0.1),
        ..Default::default()
    };
    assert!(
        error_message(Nsga2Config::new(10).with_mutation(mutation))
            .contains("variable_probability is -0.1")
    );
    assert!(Nsga2::new(Zdt1::new(5), Nsga2Config::new(11).with_offspring_size(10)).is_ok());
}

struct Custom {
    bounds: Vec<(f64, f64)>,
    n_obj: usize,
    returned_objectives: usize,
    fail_below: f64,
    nan_below: f64,
}

impl Custom {
    fn new() -> Self {
        Self {
            bounds: vec![(0.0, 1.0); 3],
            n_obj: 2,
            returned_objectives: 2,
            fail_below: -1.0,
            nan_below: -1.0,
        }
    }
}

impl Problem for Custom {
    fn n_var(&self) -> usize {
        self.bounds.len()
    }
    fn n_obj(&self) -> usize {
        self.n_obj
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        self.bounds.clone()
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        if x[0] < self.fail_below {
            return Err(EvaluationError::new("out of memory"));
        }
        if x[0] < self.nan_below {
            return Ok(Evaluation::new(vec![f64::NAN; self.returned_objectives]));
        }
        let objectives = (0..self.returned_objectives)
            .map(|m| if m == 0 { x[0] } else { 1.0 - x[0] + x[1] })
            .collect();
        Ok(Evaluation::new(objectives))
    }
}

#[test]
fn bounds_above_are_rejected() {
    let mut problem = Custom::new();
    problem.bounds[1] = (2.0, 1.0);
    let error = Nsga2::new(problem, Nsga2Config::new(10)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "bounds of variable 1 are invalid: lower 2 is above upper 1"
    );
}

#[test]
fn wrong_objective_count_is_error() {
    let mut problem = Custom::new();
    problem.returned_objectives = 3;
    let mut nsga2 = Nsga2::new(problem, Nsga2Config::new(10)).unwrap();
    let error = nsga2.step().unwrap_err();
    assert!(matches!(
        error,
        Nsga2Error::ObjectiveCount {
            expected: 2,
            actual: 3,
            ..
        }
    ));
    assert!(
        error.to_string().contains("returned 3 objectives"),
        "{error}"
    );
    assert!(error.to_string().contains("n_obj = 2"), "{error}");
    assert_eq!(nsga2.state().evaluations, 0);
}

#[test]
fn failed_evaluation_ranks_worst() {
    let mut problem = Custom::new();
    problem.fail_below = 0.2;
    problem.nan_below = 0.4;
    let mut nsga2 = Nsga2::new(problem, Nsga2Config::new(40).with_seed(1)).unwrap();
    let report = nsga2.step().unwrap().clone();
    assert!(report.failures > 0, "the seed should produce failures");
    let population = &nsga2.state().population;
    let worst_success = population
        .iter()
        .filter(|ind| ind.failure.is_none())
        .map(|ind| ind.rank)
        .max()
        .unwrap();
    for individual in population.iter().filter(|ind| ind.failure.is_some()) {
        assert!(individual.rank > worst_success);
        assert_eq!(individual.constraint_violation, f64::INFINITY);
    }
    let messages: HashSet<&str> = report
        .evaluated
        .iter()
        .filter_map(|ind| ind.failure.as_deref())
        .collect();
    assert!(messages.contains("out of memory"));
    assert!(messages.contains("objective 0 is NaN"));
    // The run continues past the failures and drives them out of the population.
    let result = nsga2.run(&Termination::Generations(10), &mut []).unwrap();
    assert_eq!(result.generations, 10);
    assert!(result.population.iter().all(|ind| ind.failure.is_none()));
}

#[test]
fn constraint_domination_order() {
    assert!(constrained_dominates(&[5.0, 5.0], 0.0, &[0.0, 0.0], 0.1));
    assert!(!constrained_dominates(&[0.0, 0.0], 0.1, &[5.0, 5.0], 0.0));
    assert!(constrained_dominates(&[9.0, 9.0], 0.1, &[0.0, 0.0], 0.2));
    assert!(!constrained_dominates(&[0.0, 0.0], 0.2, &[0.0, 0.0], 0.2));
    assert!(constrained_dominates(&[0.0, 1.0], 0.0, &[1.0, 1.0], 0.0));
    assert!(!constrained_dominates(&[0.0, 2.0], 0.0, &[1.0, 1.0], 0.0));
}

/// Minimises `(x0, 1 - x0)` subject to `x0 >= 0.5`.
struct Constrained;

impl Problem for Constrained {
    fn n_var(&self) -> usize {
        2
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn n_constr(&self) -> usize {
        1
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0); 2]
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        Ok(Evaluation::with_constraints(
            vec![x[0], 1.0 - x[0] + x[1]],
            vec![0.5 - x[0]],
        ))
    }
}

#[test]
fn constrained_run_reaches_feasible_front() {
    let mut nsga2 = Nsga2::new(Constrained, Nsga2Config::new(20).with_seed(5)).unwrap();
    let result = nsga2.run(&Termination::Generations(30), &mut []).unwrap();
    assert!(!result.front.is_empty());
    for individual in &result.front {
        assert!(individual.x[0] >= 0.5);
        assert_eq!(individual.constraint_violation, 0.0);
    }
}

/// Integer problem with 5^3 = 125 genomes, so duplicates are frequent.
struct SmallInteger {
    evaluated: Mutex<Vec<Vec<f64>>>,
}

impl Problem for SmallInteger {
    fn n_var(&self) -> usize {
        3
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 4.0); 3]
    }
    fn variable_kind(&self) -> VariableKind {
        VariableKind::Integer
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        self.evaluated.lock().unwrap().push(x.to_vec());
        Ok(Evaluation::new(vec![x[0] + x[1], 8.0 - x[0] + x[2]]))
    }
}

#[test]
fn duplicates_never_reevaluated() {
    let problem = SmallInteger {
        evaluated: Mutex::new(Vec::new()),
    };
    let config = Nsga2Config::new(20)
        .with_seed(9)
        .with_crossover(TwoPointCrossover::default())
        .with_mutation(PolynomialMutation::default());
    let mut nsga2 = Nsga2::new(&problem, config).unwrap();
    let result = nsga2.run(&Termination::Generations(40), &mut []).unwrap();
    let evaluated = problem.evaluated.lock().unwrap().clone();
    assert_eq!(evaluated.len(), result.evaluations);
    let mut unique = HashSet::new();
    for x in &evaluated {
        assert!(
            x.iter()
                .all(|v| v.fract() == 0.0 && (0.0..=4.0).contains(v))
        );
        assert!(unique.insert(x.iter().map(|v| v.to_bits()).collect::<Vec<_>>()));
    }
    assert!(evaluated.len() <= 125);
    let population: HashSet<Vec<u64>> = result
        .population
        .iter()
        .map(|ind| ind.x.iter().map(|v| v.to_bits()).collect())
        .collect();
    assert_eq!(
        population.len(),
        result.population.len(),
        "population has duplicates"
    );
}

#[test]
fn evaluation_budget_stops_run() {
    let mut nsga2 = Nsga2::new(Zdt1::new(5), Nsga2Config::new(10)).unwrap();
    let result = nsga2
        .run(
            &Termination::Any(vec![
                Termination::Evaluations(55),
                Termination::Generations(100),
            ]),
            &mut [],
        )
        .unwrap();
    assert_eq!(result.evaluations, 60);
    assert_eq!(result.generations, 6);
}

#[test]
fn odd_offspring_size_messages() {
    assert_eq!(
        error_message(Nsga2Config::new(11)),
        "offspring_size is 11 but must be even because the crossover produces children in \
         pairs (it defaults to the odd population_size, so set offspring_size explicitly, \
         e.g. to 10 or 12)"
    );
    let explicit = "offspring_size is 3 but must be even because the crossover produces \
                    children in pairs, so choose an even offspring_size such as 2 or 4";
    assert_eq!(
        error_message(Nsga2Config::new(10).with_offspring_size(3)),
        explicit
    );
    let config = Nsga2Config {
        offspring_size: Some(3),
        ..Nsga2Config::new(11)
    };
    assert_eq!(error_message(config), explicit);
}

/// Returns `(x0, 1 - x0)` except for the objective values listed for `x0 < 0.5`.
struct Special {
    low_objectives: Vec<f64>,
    low_constraint: f64,
}

impl Problem for Special {
    fn n_var(&self) -> usize {
        2
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn n_constr(&self) -> usize {
        1
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0); 2]
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        if x[0] < 0.5 {
            return Ok(Evaluation::with_constraints(
                self.low_objectives.clone(),
                vec![self.low_constraint],
            ));
        }
        Ok(Evaluation::with_constraints(
            vec![x[0], 1.0 - x[0] + x[1]],
            vec![-1.0],
        ))
    }
}

/// Runs the first generation and returns the population members with `x0 < 0.5` and the
/// generation's failure count.
fn low_members(problem: Special) -> (Vec<rwenas_nsga2::Individual>, usize) {
    let mut nsga2 = Nsga2::new(problem, Nsga2Config::new(40).with_seed(2)).unwrap();
    let failures = nsga2.step().unwrap().failures;
    let low: Vec<_> = nsga2
        .state()
        .population
        .iter()
        .filter(|ind| ind.x[0] < 0.5)
        .cloned()
        .collect();
    assert!(!low.is_empty(), "the seed should sample x0 < 0.5");
    (low, failures)
}

#[test]
fn infinite_objectives_are_successful() {
    for value in [f64::INFINITY, f64::NEG_INFINITY] {
        let problem = Special {
            low_objectives: vec![value, 0.5],
            low_constraint: -1.0,
        };
        let (low, failures) = low_members(problem);
        assert_eq!(failures, 0, "objective {value}");
        for individual in &low {
            assert_eq!(individual.failure, None);
            assert_eq!(individual.objectives, [value, 0.5]);
            assert!(individual.is_feasible());
            assert!(!individual.crowding_distance.is_nan());
        }
    }
    // A `+inf` objective is a valid worst value, so such an individual is dominated by one
    // that is finite in that objective and no worse in the other.
    let problem = Special {
        low_objectives: vec![f64::INFINITY, 2.0],
        low_constraint: -1.0,
    };
    let (low, _) = low_members(problem);
    assert!(low.iter().all(|ind| ind.rank > 0));
}

#[test]
fn nan_objectives_and_constraints_fail() {
    let problem = Special {
        low_objectives: vec![0.5, f64::NAN],
        low_constraint: -1.0,
    };
    let (low, failures) = low_members(problem);
    assert_eq!(failures, low.len());
    for individual in &low {
        assert_eq!(individual.failure.as_deref(), Some("objective 1 is NaN"));
        assert_eq!(individual.objectives, [f64::INFINITY; 2]);
    }

    let problem = Special {
        low_objectives: vec![0.5, 0.5],
        low_constraint: f64::NAN,
    };
    let (low, failures) = low_members(problem);
    assert_eq!(failures, low.len());
    for individual in &low {
        assert_eq!(individual.failure.as_deref(), Some("constraint 0 is NaN"));
    }
}

#[test]
fn infinite_constraint_is_infeasible_not_failed() {
    let problem = Special {
        low_objectives: vec![0.5, 0.5],
        low_constraint: f64::INFINITY,
    };
    let (low, failures) = low_members(problem);
    assert_eq!(failures, 0);
    for individual in &low {
        assert_eq!(individual.failure, None);
        assert_eq!(individual.constraint_violation, f64::INFINITY);
        assert!(!individual.is_feasible());
    }
}

/// Three binary variables: 8 distinct genomes.
struct ThreeBits;

impl Problem for ThreeBits {
    fn n_var(&self) -> usize {
        3
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0); 3]
    }
    fn variable_kind(&self) -> VariableKind {
        VariableKind::Integer
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        Ok(Evaluation::new(vec![x[0] + x[1], 2.0 - x[0] + x[2]]))
    }
}

#[test]
fn small_genome_space_shrinks_population() {
    let mut nsga2 = Nsga2::new(ThreeBits, Nsga2Config::new(20).with_seed(4)).unwrap();
    let report = nsga2.step().unwrap();
    assert_eq!(report.offspring, 8);
    assert_eq!(nsga2.state().population.len(), 8);
    for _ in 0..3 {
        let report = nsga2.step().unwrap();
        assert_eq!(report.offspring, 0);
        assert_eq!(report.evaluated.len(), 0);
        assert_eq!(nsga2.state().population.len(), 8);
    }
    assert_eq!(nsga2.state().evaluations, 8);

    // Without duplicate elimination every generation has its full size.
    let config = Nsga2Config::new(20)
        .with_seed(4)
        .with_eliminate_duplicates(false);
    let mut nsga2 = Nsga2::new(ThreeBits, config).unwrap();
    for _ in 0..3 {
        let report = nsga2.step().unwrap();
        assert_eq!(report.offspring, 20);
        assert_eq!(nsga2.state().population.len(), 20);
    }
}

#[test]
fn report_counts_requested_offspring() {
    let config = Nsga2Config::new(20).with_offspring_size(6).with_seed(3);
    let mut nsga2 = Nsga2::new(Zdt1::new(5), config).unwrap();
    assert_eq!(nsga2.step().unwrap().offspring, 20);
    assert_eq!(nsga2.step().unwrap().offspring, 6);
}

/// Two integer variables in [0, 9], minimising both; the repair keeps `x0 + x1` even by
/// lowering `x1` when it is odd, and draws one random number per call.
struct EvenSum;

impl Problem for EvenSum {
    fn n_var(&self) -> usize {
        2
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 9.0); 2]
    }
    fn variable_kind(&self) -> VariableKind {
        VariableKind::Integer
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        assert_eq!((x[0] + x[1]) as i64 % 2, 0, "unrepaired genome {x:?}");
        Ok(Evaluation::new(vec![x[0], 9.0 - x[1]]))
    }
    fn repair(&self, x: &mut [f64], rng: &mut rwenas_nsga2::GenerationRng) {
        let _: u64 = rwenas_nsga2::rand::Rng::next_u64(rng);
        if (x[0] + x[1]) as i64 % 2 == 1 {
            x[1] = if x[1] > 0.0 { x[1] - 1.0 } else { 1.0 };
        }
    }
}

#[test]
fn repair_applies_before_evaluation() {
    let config = Nsga2Config::new(8).with_seed(4);
    let mut first = Nsga2::new(EvenSum, config.clone()).unwrap();
    let result = first.run(&Termination::Generations(10), &mut []).unwrap();
    for individual in &result.population {
        assert_eq!((individual.x[0] + individual.x[1]) as i64 % 2, 0);
    }
    // A repair that draws random numbers still repeats with the seed.
    let mut second = Nsga2::new(EvenSum, config).unwrap();
    let again = second.run(&Termination::Generations(10), &mut []).unwrap();
    let genomes = |population: &[rwenas_nsga2::Individual]| -> Vec<Vec<f64>> {
        population
            .iter()
            .map(|individual| individual.x.clone())
            .collect()
    };
    assert_eq!(genomes(&result.population), genomes(&again.population));
}
