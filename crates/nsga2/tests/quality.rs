//! Median IGD and hypervolume over seeds 1 to 5 at population 100 and 250 generations,
//! against pymoo 0.6.2's NSGA-II with its default operators on the same settings.

use rwenas_nsga2::indicators::{hypervolume, igd};
use rwenas_nsga2::problems::{Dtlz2, Zdt1, Zdt2, Zdt3};
use rwenas_nsga2::{Nsga2, Nsga2Config, Problem, Termination};

/// Medians over seeds 1 to 5 from pymoo 0.6.2 (numpy 2.4.6), population 100, 250
/// generations, IGD against the front sampled by `problem.pareto_front()` (ZDT: 100 points,
/// DTLZ2: Das-Dennis 15 partitions on the sphere), hypervolume with reference point 1.1 in
/// every objective.
const PYMOO_MEDIANS: [(&str, f64, f64); 4] = [
    ("zdt1", 0.004_760_673_138_937_957_5, 0.869_764_358_493_608),
    ("zdt2", 0.004_888_332_379_870_806, 0.536_379_978_013_241_1),
    ("zdt3", 0.004_931_347_528_623_228_5, 1.327_726_204_152_971),
    ("dtlz2", 0.070_737_445_466_748_5, 0.704_173_811_548_204_5),
];

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn igd_and_hv(problem: impl Problem, reference: &[Vec<f64>], seed: u64) -> (f64, f64) {
    let n_obj = problem.n_obj();
    let config = Nsga2Config::new(100).with_seed(seed);
    let mut nsga2 = Nsga2::new(problem, config).expect("valid configuration");
    let result = nsga2
        .run(&Termination::Generations(250), &mut [])
        .expect("run succeeds");
    let front: Vec<&[f64]> = result
        .front
        .iter()
        .map(|ind| ind.objectives.as_slice())
        .collect();
    (
        igd(&front, reference),
        hypervolume(&front, &vec![1.1; n_obj]),
    )
}

#[test]
fn medians_match_or_beat_pymoo() {
    for (name, pymoo_igd, pymoo_hv) in PYMOO_MEDIANS {
        let mut igds = Vec::new();
        let mut hvs = Vec::new();
        for seed in 1..=5 {
            let (igd_value, hv_value) = match name {
                "zdt1" => igd_and_hv(Zdt1::default(), &Zdt1::pareto_front(100), seed),
                "zdt2" => igd_and_hv(Zdt2::default(), &Zdt2::pareto_front(100), seed),
                "zdt3" => igd_and_hv(Zdt3::default(), &Zdt3::pareto_front(100), seed),
                _ => igd_and_hv(Dtlz2::default(), &Dtlz2::pareto_front(3, 15), seed),
            };
            igds.push(igd_value);
            hvs.push(hv_value);
        }
        let median_igd = median(igds);
        let median_hv = median(hvs);
        assert!(
            median_igd <= pymoo_igd,
            "{name}: median IGD {median_igd} is worse than pymoo's {pymoo_igd}"
        );
        assert!(
            median_hv >= pymoo_hv,
            "{name}: median hypervolume {median_hv} is below pymoo's {pymoo_hv}"
        );
    }
}
