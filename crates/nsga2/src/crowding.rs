//! Crowding distance (Deb et al. 2002).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::sorting::total_order_bits;

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
    let mut keys = Vec::with_capacity(n);
    for m in 0..n_obj {
        let value = |i: usize| points[i].as_ref()[m];
        sort_by_objective(&mut order, &mut keys, value);
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

/// Sorts `order` by `value` under [`f64::total_cmp`], ties by index, through integer keys
/// in `keys` (a scratch buffer).
///
/// The sort starts from the order of the previous objective. On a non-dominated front of two
/// objectives that order is usually the reverse of the next one, and `sort_unstable`
/// (ipnsort) reverses a strictly descending input in linear time. The result does not
/// depend on the starting order because the keys are distinct.
fn sort_by_objective(order: &mut [usize], keys: &mut Vec<u128>, value: impl Fn(usize) -> f64) {
    keys.clear();
    keys.extend(
        order
            .iter()
            .map(|&i| (u128::from(total_order_bits(value(i))) << 64) | i as u128),
    );
    keys.sort_unstable();
    for (slot, &key) in order.iter_mut().zip(keys.iter()) {
        // The low 64 bits hold the index.
        *slot = key as u64 as usize;
    }
}

/// Orders by crowding distance, largest first (used to truncate a front).
pub(crate) fn descending(a: f64, b: f64) -> Ordering {
    b.total_cmp(&a)
}

const NONE: usize = usize::MAX;

/// Objective values and neighbour links of the points of one front, stored flat: the
/// entry of objective `m` and point `i` is at `m * n + i`.
struct Neighbours {
    values: Vec<f64>,
    previous: Vec<usize>,
    next: Vec<usize>,
    /// Start of each objective's entries.
    offsets: Vec<usize>,
    /// Start and range (maximum minus minimum) of each objective whose range is positive
    /// and finite; the other objectives add nothing to any distance.
    active: Vec<(usize, f64)>,
}

impl Neighbours {
    /// Links every point to its neighbours in each objective's order (ties by index) and
    /// returns the links with every point's crowding distance, equal to
    /// [`crowding_distance`]'s for more than two points.
    fn new(points: &[&[f64]]) -> (Self, Vec<f64>) {
        let n = points.len();
        let n_obj = points.first().map_or(0, |p| p.len());
        let mut values = Vec::with_capacity(n * n_obj);
        for m in 0..n_obj {
            values.extend(points.iter().map(|point| point[m]));
        }
        let mut previous = vec![NONE; n * n_obj];
        let mut next = vec![NONE; n * n_obj];
        let mut active = Vec::with_capacity(n_obj);
        let mut distance = vec![0.0; n];
        let mut order: Vec<usize> = (0..n).collect();
        let mut keys = Vec::with_capacity(n);
        for offset in (0..n_obj).map(|m| m * n) {
            let objective = &values[offset..offset + n];
            sort_by_objective(&mut order, &mut keys, |i| objective[i]);
            for pair in order.windows(2) {
                next[offset + pair[0]] = pair[1];
                previous[offset + pair[1]] = pair[0];
            }
            let (Some(&first), Some(&last)) = (order.first(), order.last()) else {
                continue;
            };
            let range = objective[last] - objective[first];
            if !(range > 0.0 && range.is_finite()) {
                continue;
            }
            active.push((offset, range));
            // The same sums as in `crowding_distance`, in the same order.
            distance[first] = f64::INFINITY;
            distance[last] = f64::INFINITY;
            for window in order.windows(3) {
                distance[window[1]] += (objective[window[2]] - objective[window[0]]) / range;
            }
        }
        let neighbours = Self {
            values,
            previous,
            next,
            offsets: (0..n_obj).map(|m| m * n).collect(),
            active,
        };
        (neighbours, distance)
    }

    /// Crowding distance of point `i` from its current neighbours in every objective.
    fn distance(&self, i: usize) -> f64 {
        let mut distance = 0.0;
        for &(offset, range) in &self.active {
            let (p, q) = (self.previous[offset + i], self.next[offset + i]);
            if p == NONE || q == NONE {
                return f64::INFINITY;
            }
            distance += (self.values[offset + q] - self.values[offset + p]) / range;
        }
        distance
    }

    /// Unlinks point `i` in every objective and appends its former neighbours to `touched`.
    fn remove(&mut self, i: usize, touched: &mut Vec<usize>) {
        for &offset in &self.offsets {
            let (p, q) = (self.previous[offset + i], self.next[offset + i]);
            if p != NONE {
                self.next[offset + p] = q;
                touched.push(p);
            }
            if q != NONE {
                self.previous[offset + q] = p;
                touched.push(q);
            }
        }
    }
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
    let (mut neighbours, mut distance) = Neighbours::new(points);
    if n <= 2 {
        distance.fill(f64::INFINITY);
    }
    let mut alive = vec![true; n];
    let mut n_alive = n;
    // Min-heap of (distance, tie key, index). A point whose distance changes gets a new
    // entry, and entries of removed points or with an outdated distance are skipped, so
    // each pop is the live point with the smallest distance, ties by key and then index.
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = (0..n)
        .map(|i| Reverse((total_order_bits(distance[i]), tie_keys[i], i)))
        .collect();
    let mut touched = Vec::with_capacity(2 * n_obj);
    while n_alive > n_keep {
        let Some(Reverse((key, _, victim))) = heap.pop() else {
            break;
        };
        if !alive[victim] || key != total_order_bits(distance[victim]) {
            continue;
        }
        alive[victim] = false;
        n_alive -= 1;
        touched.clear();
        neighbours.remove(victim, &mut touched);
        for &i in &touched {
            let updated = if n_alive <= 2 {
                f64::INFINITY
            } else {
                neighbours.distance(i)
            };
            if updated.to_bits() != distance[i].to_bits() {
                distance[i] = updated;
                heap.push(Reverse((total_order_bits(updated), tie_keys[i], i)));
            }
        }
    }
    let kept = (0..n).filter(|&i| alive[i]).collect();
    (kept, distance)
}
