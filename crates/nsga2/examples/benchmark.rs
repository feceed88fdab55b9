//! Runs NSGA-II with the default operators on one benchmark problem and prints a JSON
//! summary with the run time, IGD and hypervolume.
//!
//! ```text
//! cargo run --release -p rwenas-nsga2 --example benchmark -- \
//!     --problem zdt1 --population 100 --generations 250 --seed 1 --front-out front.csv
//! ```

use std::error::Error;
use std::fs;
use std::time::Instant;

use rwenas_nsga2::indicators::{hypervolume, igd};
use rwenas_nsga2::problems::{Dtlz2, Zdt1, Zdt2, Zdt3};
use rwenas_nsga2::{Nsga2, Nsga2Config, Nsga2Result, Problem, Termination};

const USAGE: &str = "usage: benchmark --problem zdt1|zdt2|zdt3|dtlz2 [--population N] \
[--generations N] [--seed N] [--front-out FILE] [--reference-front FILE]

  --problem          benchmark problem (ZDT: 30 variables; DTLZ2: 12 variables, 3 objectives)
  --population       population size (default 100)
  --generations      generations including the initial population (default 250)
  --seed             random seed (default 1)
  --front-out        CSV file for the final non-dominated objective vectors
  --reference-front  CSV file of the true front for IGD (default: the analytic front
                     sampled as pymoo 0.6.2 samples it)";

struct Args {
    problem: String,
    population: usize,
    generations: usize,
    seed: u64,
    front_out: Option<String>,
    reference_front: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        problem: String::new(),
        population: 100,
        generations: 250,
        seed: 1,
        front_out: None,
        reference_front: None,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        let value = iter
            .next()
            .ok_or_else(|| format!("missing value for {flag}\n{USAGE}"))?;
        let invalid = |error: std::num::ParseIntError| format!("invalid {flag} {value:?}: {error}");
        match flag.as_str() {
            "--problem" => args.problem = value.to_lowercase(),
            "--population" => args.population = value.parse().map_err(invalid)?,
            "--generations" => args.generations = value.parse().map_err(invalid)?,
            "--seed" => args.seed = value.parse().map_err(invalid)?,
            "--front-out" => args.front_out = Some(value),
            "--reference-front" => args.reference_front = Some(value),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    if args.problem.is_empty() {
        return Err(format!("missing --problem\n{USAGE}"));
    }
    Ok(args)
}

fn solve(problem: impl Problem, args: &Args) -> Result<(Nsga2Result, f64), Box<dyn Error>> {
    let config = Nsga2Config::new(args.population).with_seed(args.seed);
    let start = Instant::now();
    let mut nsga2 = Nsga2::new(problem, config)?;
    let result = nsga2.run(&Termination::Generations(args.generations), &mut [])?;
    Ok((result, start.elapsed().as_secs_f64()))
}

fn read_csv(path: &str) -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    let text = fs::read_to_string(path).map_err(|error| format!("cannot read {path}: {error}"))?;
    let mut rows = Vec::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let row: Result<Vec<f64>, _> = line.split(',').map(|v| v.trim().parse::<f64>()).collect();
        rows.push(row.map_err(|error| format!("{path} line {}: {error}", number + 1))?);
    }
    Ok(rows)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let (outcome, analytic_front) = match args.problem.as_str() {
        "zdt1" => (solve(Zdt1::default(), &args)?, Zdt1::pareto_front(100)),
        "zdt2" => (solve(Zdt2::default(), &args)?, Zdt2::pareto_front(100)),
        "zdt3" => (solve(Zdt3::default(), &args)?, Zdt3::pareto_front(100)),
        "dtlz2" => (solve(Dtlz2::default(), &args)?, Dtlz2::pareto_front(3, 15)),
        other => {
            eprintln!("unknown problem {other:?}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let (result, seconds) = outcome;
    let reference = match &args.reference_front {
        Some(path) => read_csv(path)?,
        None => analytic_front,
    };
    let front: Vec<&[f64]> = result
        .front
        .iter()
        .map(|ind| ind.objectives.as_slice())
        .collect();
    let n_obj = reference.first().map_or(2, Vec::len);
    let igd_value = igd(&front, &reference);
    let hv_value = hypervolume(&front, &vec![1.1; n_obj]);

    if let Some(path) = &args.front_out {
        let header: Vec<String> = (1..=n_obj).map(|m| format!("f{m}")).collect();
        let mut csv = header.join(",") + "\n";
        for point in &front {
            let row: Vec<String> = point.iter().map(|v| v.to_string()).collect();
            csv += &(row.join(",") + "\n");
        }
        fs::write(path, csv).map_err(|error| format!("cannot write {path}: {error}"))?;
    }
    println!(
        "{}",
        serde_json::json!({
            "problem": args.problem,
            "population": args.population,
            "generations": result.generations,
            "seed": args.seed,
            "seconds": seconds,
            "evaluations": result.evaluations,
            "n_nondominated": front.len(),
            "igd": igd_value,
            "hv": hv_value,
        })
    );
    Ok(())
}
