//! Sorting and crowding against brute-force definitions on random inputs.

// The brute-force loops index by objective on purpose, to read like the definitions.
#![allow(clippy::needless_range_loop)]

use proptest::prelude::*;
use rwenas_nsga2::crowding::{crowding_distance, prune_by_crowding};
use rwenas_nsga2::sorting::{
    constrained_dominates, constrained_non_dominated_ranks, dominates, non_dominated_ranks,
};

/// Ranks by peeling off the set of points that no remaining point dominates.
fn brute_force_ranks(points: &[Vec<f64>], violations: &[f64]) -> Vec<usize> {
    let n = points.len();
    let mut ranks = vec![usize::MAX; n];
    let mut rank = 0;
    while ranks.contains(&usize::MAX) {
        let current: Vec<usize> = (0..n)
            .filter(|&i| ranks[i] == usize::MAX)
            .filter(|&i| {
                !(0..n).any(|j| {
                    ranks[j] == usize::MAX
                        && constrained_dominates(
                            &points[j],
                            violations[j],
                            &points[i],
                            violations[i],
                        )
                })
            })
            .collect();
        for i in current {
            ranks[i] = rank;
        }
        rank += 1;
    }
    ranks
}

/// Crowding distance by the textbook loop, ties ordered by index.
fn brute_force_crowding(points: &[Vec<f64>]) -> Vec<f64> {
    let n = points.len();
    if n <= 2 {
        return vec![f64::INFINITY; n];
    }
    let mut distance = vec![0.0; n];
    for m in 0..points[0].len() {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| {
            points[i][m]
                .partial_cmp(&points[j][m])
                .unwrap()
                .then(i.cmp(&j))
        });
        let range = points[order[n - 1]][m] - points[order[0]][m];
        if range == 0.0 {
            continue;
        }
        distance[order[0]] = f64::INFINITY;
        distance[order[n - 1]] = f64::INFINITY;
        for k in 1..n - 1 {
            distance[order[k]] += (points[order[k + 1]][m] - points[order[k - 1]][m]) / range;
        }
    }
    distance
}

/// Points on a coarse grid so that ties and duplicates are common.
fn points(n_obj: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(
        prop::collection::vec((0u8..6).prop_map(f64::from), n_obj),
        0..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sort_matches_brute_force_2d(points in points(2)) {
        let violations = vec![0.0; points.len()];
        prop_assert_eq!(non_dominated_ranks(&points), brute_force_ranks(&points, &violations));
    }

    #[test]
    fn sort_matches_brute_force_3d(points in points(3)) {
        let violations = vec![0.0; points.len()];
        prop_assert_eq!(non_dominated_ranks(&points), brute_force_ranks(&points, &violations));
    }

    #[test]
    fn sort_matches_brute_force_4d(points in points(4)) {
        let violations = vec![0.0; points.len()];
        prop_assert_eq!(non_dominated_ranks(&points), brute_force_ranks(&points, &violations));
    }

    #[test]
    fn constrained_sort_matches_brute_force(
        points in points(2),
        levels in prop::collection::vec(0u8..4, 60),
    ) {
        let violations: Vec<f64> = (0..points.len()).map(|i| f64::from(levels[i]) * 0.5).collect();
        prop_assert_eq!(
            constrained_non_dominated_ranks(&points, &violations),
            brute_force_ranks(&points, &violations)
        );
    }

    #[test]
    fn real_valued_sort_matches_brute_force(
        points in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 3), 0..80),
    ) {
        let violations = vec![0.0; points.len()];
        prop_assert_eq!(non_dominated_ranks(&points), brute_force_ranks(&points, &violations));
    }

    #[test]
    fn crowding_matches_brute_force(points in points(3)) {
        let fast = crowding_distance(&points);
        let slow = brute_force_crowding(&points);
        prop_assert_eq!(fast.len(), slow.len());
        for (a, b) in fast.iter().zip(&slow) {
            prop_assert!(a == b || (a - b).abs() < 1e-12, "{} != {}", a, b);
        }
    }

    #[test]
    fn pruning_one_at_a_time_matches_recomputation(
        points in prop::collection::vec(prop::collection::vec(0.0f64..1.0, 2), 3..40),
        keep_fraction in 0.1f64..1.0,
    ) {
        let n_keep = ((points.len() as f64 * keep_fraction) as usize).max(2);
        let refs: Vec<&[f64]> = points.iter().map(|p| p.as_slice()).collect();
        let keys: Vec<u64> = (0..points.len() as u64).collect();
        let (kept, _) = prune_by_crowding(&refs, n_keep, &keys);
        // Reference: recompute the crowding of the remaining set after every removal,
        // with the ranges of the whole front.
        let mut alive: Vec<usize> = (0..points.len()).collect();
        while alive.len() > n_keep {
            let subset: Vec<Vec<f64>> = alive.iter().map(|&i| points[i].clone()).collect();
            let distance = brute_force_crowding_with_ranges(&subset, &points);
            let victim = (0..alive.len())
                .min_by(|&a, &b| distance[a].total_cmp(&distance[b]).then(alive[a].cmp(&alive[b])))
                .unwrap();
            alive.remove(victim);
        }
        prop_assert_eq!(kept, alive);
    }

    #[test]
    fn dominance_is_irreflexive(point in prop::collection::vec(-5.0f64..5.0, 1..5)) {
        prop_assert!(!dominates(&point, &point));
    }
}

/// Crowding of `subset` with the per-objective ranges of `whole`.
fn brute_force_crowding_with_ranges(subset: &[Vec<f64>], whole: &[Vec<f64>]) -> Vec<f64> {
    let n = subset.len();
    if n <= 2 {
        return vec![f64::INFINITY; n];
    }
    let mut distance = vec![0.0; n];
    for m in 0..subset[0].len() {
        let max = whole.iter().map(|p| p[m]).fold(f64::NEG_INFINITY, f64::max);
        let min = whole.iter().map(|p| p[m]).fold(f64::INFINITY, f64::min);
        let range = max - min;
        if range == 0.0 {
            continue;
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| subset[i][m].total_cmp(&subset[j][m]).then(i.cmp(&j)));
        distance[order[0]] = f64::INFINITY;
        distance[order[n - 1]] = f64::INFINITY;
        for k in 1..n - 1 {
            distance[order[k]] += (subset[order[k + 1]][m] - subset[order[k - 1]][m]) / range;
        }
    }
    distance
}
