//! Non-dominated sorting and crowding distance of 10,000 random points.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rwenas_nsga2::crowding::crowding_distance;
use rwenas_nsga2::sorting::non_dominated_ranks;

fn random_points(n: usize, n_obj: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| (0..n_obj).map(|_| rng.random::<f64>()).collect())
        .collect()
}

fn bench_sorting(c: &mut Criterion) {
    for n_obj in [2, 3] {
        let points = random_points(10_000, n_obj, 1);
        c.bench_function(&format!("non_dominated_sort 10000x{n_obj}"), |b| {
            b.iter(|| non_dominated_ranks(std::hint::black_box(&points)))
        });
        c.bench_function(&format!("crowding_distance 10000x{n_obj}"), |b| {
            b.iter(|| crowding_distance(std::hint::black_box(&points)))
        });
    }
}

criterion_group!(benches, bench_sorting);
criterion_main!(benches);
