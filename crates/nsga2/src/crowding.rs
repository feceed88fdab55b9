//! Crowding distance (Deb et al. 2002).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Computes the crowding distance of each point of one front.
///
/// For each objective the points are sorted by value (ties by index); the first and last get
/// `+inf`, and every other point adds `(next - previous) / (max - min)`. An objective whose
/// range is zero or not finite adds 0 to every point, boundaries included. Fronts of one or
/// two points get `+inf` everywhere.
pub fn crowding_distance<P: AsRef<[f64]>>(points: &[P]) -> Vec<f64> {
    let n = points.len();
    if n <= 2 {
        return vec![f64::INFINITY; n];
    }
    let n_obj = points[0].as_ref().len();
    let mut distance = vec![0.0; n];
    let mut order: Vec<usize> = (0..n).collect();
    for m in 0..n_obj {
        let value = |i: usize| points[i].as_ref()[m];
        order.sort_unstable_by(|&i, &j| value(i).total_cmp(&value(j)).then(i.cmp(&j)));
        let min = value(order[0]);
        let max = value(order[n - 1]);
        let range = max - min;
        if !(range > 0.0 && range.is_finite()) {
            continue;
        }
        distance[order[0]] = f64::INFINITY;
        distance[order[n - 1]] = f64::INFINITY;
        for k in 1..n - 1 {
            let gap = value(order[k + 1]) - value(order[k - 1]);
            distance[order[k]] += gap / range;
        }
    }
    distance
}

/// Orders by crowding distance, largest first (used to truncate a front).
pub(crate) fn descending(a: f64, b: f64) -> Ordering {
    b.total_cmp(&a)
}

const NONE: usize = usize::MAX;

/// Maps an `f64` to an `i64` whose order is [`f64::total_cmp`]'s.
fn total_order_key(value: f64) -> i64 {
    let bits = value.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// Crowding distance of one point from its current neighbours in every objective.
fn linked_distance(
    i: usize,
    points: &[&[f64]],
    previous: &[Vec<usize>],
    next: &[Vec<usize>],
    ranges: &[f64],
) -> f64 {
    let mut distance = 0.0;
    for (m, &range) in ranges.iter().enumerate() {
        if !(range > 0.0 && range.is_finite()) {
            continue;
        }
        let (p, n) = (previous[m][i], next[m][i]);
        if p == NONE || n == NONE {
            return f64::INFINITY;
        }
        distance += (points[n][m] - points[p][m]) / range;
    }
    distance
}

/// Removes points of one front one at a time until `n_keep` remain, each time dropping the
/// point with the smallest crowding distance (ties by `tie_keys`, smallest first) and
/// updating the distances of its neighbours (Kukkonen and Deb 2006).
///
/// Returns the kept indices in increasing order and the crowding distance of every point
/// at the end (removed points keep the value they had when removed). Ranges stay those of
/// the whole front, so the distances of kept points match [`crowding_distance`] computed on
/// the kept set only when the extremes survive, which they do while `n_keep >= 2`.
pub fn prune_by_crowding(
    points: &[&[f64]],
    n_keep: usize,
    tie_keys: &[u64],
) -> (Vec<usize>, Vec<f64>) {
    let n = points.len();
    if n <= n_keep {
        return ((0..n).collect(), crowding_distance(points));
    }
    let n_obj = points.first().map_or(0, |p| p.len());
    let mut previous = vec![vec![NONE; n]; n_obj];
    let mut next = vec![vec![NONE; n]; n_obj];
    let mut ranges = vec![0.0; n_obj];
    let mut order: Vec<usize> = (0..n).collect();
    for m in 0..n_obj {
        order.sort_unstable_by(|&i, &j| points[i][m].total_cmp(&points[j][m]).then(i.cmp(&j)));
        for k in 0..n {
            if k > 0 {
                previous[m][order[k]] = order[k - 1];
            }
            if k + 1 < n {
                next[m][order[k]] = order[k + 1];
            }
        }
        ranges[m] = points[order[n - 1]][m] - points[order[0]][m];
    }
    let mut distance: Vec<f64> = if n <= 2 {
        vec![f64::INFINITY; n]
    } else {
        (0..n)
            .map(|i| linked_distance(i, points, &previous, &next, &ranges))
            .collect()
    };
    let mut alive = vec![true; n];
    let mut n_alive = n;
    // Min-heap of (distance, tie key, index). A point whose distance changes gets a new
    // entry, and entries of removed points or with an outdated distance are skipped, so
    // each pop is the live point with the smallest distance, ties by key and then index.
    let mut heap: BinaryHeap<Reverse<(i64, u64, usize)>> = (0..n)
        .map(|i| Reverse((total_order_key(distance[i]), tie_keys[i], i)))
        .collect();
    let mut touched = Vec::with_capacity(2 * n_obj);
    while n_alive > n_keep {
        let Some(Reverse((key, _, victim))) = heap.pop() else {
            break;
        };
        if !alive[victim] || key != total_order_key(distance[victim]) {
            continue;
        }
        alive[victim] = false;
        n_alive -= 1;
        touched.clear();
        for m in 0..n_obj {
            let (p, q) = (previous[m][victim], next[m][victim]);
            if p != NONE {
                next[m][p] = q;
                touched.push(p);
            }
            if q != NONE {
                previous[m][q] = p;
                touched.push(q);
            }
        }
        for &i in &touched {
            let updated = if n_alive <= 2 {
                f64::INFINITY
            } else {
                linked_distance(i, points, &previous, &next, &ranges)
            };
            if updated.to_bits() != distance[i].to_bits() {
                distance[i] = updated;
                heap.push(Reverse((total_order_key(updated), tie_keys[i], i)));
            }
        }
    }
    let kept = (0..n).filter(|&i| alive[i]).collect();
    (kept, distance)
}
