//! Non-dominated sorting.
//!
//! Two objectives use a sweep in `O(N log N)` (Jensen 2003): after a lexicographic sort,
//! each point joins the first front whose last member does not dominate it, found by binary
//! search. More objectives use the efficient non-dominated sort with binary search
//! (ENS-BS, Zhang et al. 2015), which checks each point only against members of the fronts
//! visited by the binary search. Both give the fronts of the standard definition; identical
//! points share a front. NaN objectives are not supported (the order is unspecified, but
//! no function panics).

use std::cmp::Ordering;

/// Returns true when `a` Pareto-dominates `b` (minimisation): no worse in every objective and
/// better in at least one.
#[inline]
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut strictly_better = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        if x < y {
            strictly_better = true;
        }
    }
    strictly_better
}

/// Returns true when `a` constraint-dominates `b` (Deb 2000): a feasible solution beats an
/// infeasible one, two infeasible ones compare by total violation, and two feasible ones by
/// Pareto dominance. A violation of 0 or below is feasible.
pub fn constrained_dominates(a: &[f64], violation_a: f64, b: &[f64], violation_b: f64) -> bool {
    let feasible_a = violation_a <= 0.0;
    let feasible_b = violation_b <= 0.0;
    match (feasible_a, feasible_b) {
        (true, true) => dominates(a, b),
        (true, false) => true,
        (false, true) => false,
        (false, false) => violation_a < violation_b,
    }
}

fn lexicographic(a: &[f64], b: &[f64]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.total_cmp(y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

/// Maps an `f64` to a `u64` whose unsigned order is [`f64::total_cmp`]'s, so that sorts can
/// compare integers instead of calling `total_cmp` through the point slices.
#[inline]
pub(crate) fn total_order_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    // Negative values have all bits flipped, positive ones only the sign bit.
    bits ^ ((((bits as i64) >> 63) as u64) | (1 << 63))
}

/// Returns the front index (rank, 0 is best) of every point.
///
/// All points must have the same number of objectives.
pub fn non_dominated_ranks<P: AsRef<[f64]>>(points: &[P]) -> Vec<usize> {
    ranks_and_order(points).0
}

/// Returns [`non_dominated_ranks`] and the point indices in lexicographic order of the
/// objectives, which both sorts compute on the way. Ties within that order are broken by
/// the later objectives, then by index.
pub(crate) fn ranks_and_order<P: AsRef<[f64]>>(points: &[P]) -> (Vec<usize>, Vec<usize>) {
    let mut ranks = vec![0; points.len()];
    if points.is_empty() {
        return (ranks, Vec::new());
    }
    let n_obj = points[0].as_ref().len();
    let order = if n_obj <= 2 {
        sweep_two_objectives(points, &mut ranks)
    } else {
        let order = lexicographic_order(points);
        efficient_sort(points, &order, &mut ranks);
        order
    };
    (ranks, order)
}

/// Point indices in lexicographic order of the objectives, ties by index.
fn lexicographic_order<P: AsRef<[f64]>>(points: &[P]) -> Vec<usize> {
    // The first objective decides most comparisons, so its key is precomputed.
    let mut keyed: Vec<(u64, usize)> = points
        .iter()
        .enumerate()
        .map(|(index, point)| (total_order_bits(point.as_ref()[0]), index))
        .collect();
    keyed.sort_unstable_by(|&(key_a, a), &(key_b, b)| {
        key_a
            .cmp(&key_b)
            .then_with(|| lexicographic(&points[a].as_ref()[1..], &points[b].as_ref()[1..]))
            .then(a.cmp(&b))
    });
    keyed.into_iter().map(|(_, index)| index).collect()
}

/// Jensen's sweep over the points in lexicographic order. `tails[k]` is the latest point
/// added to front `k`. The predicate "the tail of front k dominates p" is true for a prefix
/// of the fronts, so a binary search finds p's front.
///
/// Points with fewer than two objectives are padded with zeros, which changes neither the
/// order nor dominance.
fn sweep_two_objectives<P: AsRef<[f64]>>(points: &[P], ranks: &mut [usize]) -> Vec<usize> {
    let pair = |point: &[f64]| {
        [
            point.first().copied().unwrap_or(0.0),
            point.get(1).copied().unwrap_or(0.0),
        ]
    };
    // Sort by the first objective with the index in the low 64 bits, then order each run of
    // equal first objectives (rare) by the second objective, ties by index.
    let mut keys: Vec<u128> = points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let [f1, _] = pair(point.as_ref());
            (u128::from(total_order_bits(f1)) << 64) | index as u128
        })
        .collect();
    keys.sort_unstable();
    let mut order: Vec<usize> = keys.iter().map(|&key| key as u64 as usize).collect();
    let mut start = 0;
    for run in keys.chunk_by(|a, b| a >> 64 == b >> 64) {
        if run.len() > 1 {
            order[start..start + run.len()]
                .sort_unstable_by_key(|&p| (total_order_bits(pair(points[p].as_ref())[1]), p));
        }
        start += run.len();
    }
    let mut tails: Vec<[f64; 2]> = Vec::new();
    for &p in &order {
        let point = pair(points[p].as_ref());
        let front = tails.partition_point(|tail| dominates(tail, &point));
        if front == tails.len() {
            tails.push(point);
        } else {
            tails[front] = point;
        }
        ranks[p] = front;
    }
    order
}

/// ENS-BS. A point is dominated only by points before it in lexicographic order, and if a
/// member of front k dominates it then so does a member of every front before k, so a binary
/// search over the fronts applies.
fn efficient_sort<P: AsRef<[f64]>>(points: &[P], order: &[usize], ranks: &mut [usize]) {
    let mut fronts: Vec<Vec<usize>> = Vec::new();
    for &p in order {
        let point = points[p].as_ref();
        let mut low = 0;
        let mut high = fronts.len();
        while low < high {
            let middle = (low + high) / 2;
            // Recent members are the most similar to p, so they are checked first.
            let dominated = fronts[middle]
                .iter()
                .rev()
                .any(|&q| dominates(points[q].as_ref(), point));
            if dominated {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        if low == fronts.len() {
            fronts.push(vec![p]);
        } else {
            fronts[low].push(p);
        }
        ranks[p] = low;
    }
}

/// Groups indices by rank: `fronts[k]` lists the points of rank `k` in increasing index
/// order.
pub fn fronts_from_ranks(ranks: &[usize]) -> Vec<Vec<usize>> {
    let n_fronts = ranks.iter().max().map_or(0, |&max| max + 1);
    let mut sizes = vec![0; n_fronts];
    for &rank in ranks {
        sizes[rank] += 1;
    }
    let mut fronts: Vec<Vec<usize>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (index, &rank) in ranks.iter().enumerate() {
        fronts[rank].push(index);
    }
    fronts
}

/// Sorts points into non-dominated fronts, best first, each listing point indices in
/// increasing order.
pub fn non_dominated_sort<P: AsRef<[f64]>>(points: &[P]) -> Vec<Vec<usize>> {
    fronts_from_ranks(&non_dominated_ranks(points))
}

/// Returns the rank of every point under constraint domination ([`constrained_dominates`]).
///
/// Feasible points (violation `<= 0`) are ranked by Pareto dominance first; infeasible points
/// follow, one front per distinct violation value in increasing order.
pub fn constrained_non_dominated_ranks<P: AsRef<[f64]>>(
    points: &[P],
    violations: &[f64],
) -> Vec<usize> {
    assert_eq!(
        points.len(),
        violations.len(),
        "one violation per point is required"
    );
    let feasible: Vec<usize> = (0..points.len())
        .filter(|&i| violations[i] <= 0.0)
        .collect();
    let mut ranks = vec![0; points.len()];
    let mut n_fronts = 0;
    if feasible.len() == points.len() {
        return non_dominated_ranks(points);
    }
    if !feasible.is_empty() {
        let feasible_points: Vec<&[f64]> = feasible.iter().map(|&i| points[i].as_ref()).collect();
        let feasible_ranks = non_dominated_ranks(&feasible_points);
        for (&index, &rank) in feasible.iter().zip(&feasible_ranks) {
            ranks[index] = rank;
            n_fronts = n_fronts.max(rank + 1);
        }
    }
    let mut infeasible: Vec<usize> = (0..points.len())
        .filter(|&i| violations[i] > 0.0 || violations[i].is_nan())
        .collect();
    infeasible.sort_by(|&i, &j| violations[i].total_cmp(&violations[j]));
    let mut previous: Option<f64> = None;
    for index in infeasible {
        let violation = violations[index];
        if previous.is_some_and(|value| value.total_cmp(&violation) != Ordering::Equal) {
            n_fronts += 1;
        }
        previous = Some(violation);
        ranks[index] = n_fronts;
    }
    ranks
}

/// Returns [`constrained_non_dominated_ranks`] and an order of the point indices: the
/// lexicographic order of the objectives (see [`ranks_and_order`]) when every point is
/// feasible, else increasing index order.
pub(crate) fn constrained_ranks_and_order<P: AsRef<[f64]>>(
    points: &[P],
    violations: &[f64],
) -> (Vec<usize>, Vec<usize>) {
    if violations.iter().all(|&violation| violation <= 0.0) && points.len() == violations.len() {
        ranks_and_order(points)
    } else {
        let ranks = constrained_non_dominated_ranks(points, violations);
        (ranks, (0..points.len()).collect())
    }
}

/// Sorts points into fronts under constraint domination, best first.
pub fn constrained_non_dominated_sort<P: AsRef<[f64]>>(
    points: &[P],
    violations: &[f64],
) -> Vec<Vec<usize>> {
    fronts_from_ranks(&constrained_non_dominated_ranks(points, violations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_order_bits_follows_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -1.0e300,
            -1.5,
            -f64::MIN_POSITIVE,
            -5.0e-324,
            -0.0,
            0.0,
            5.0e-324,
            f64::MIN_POSITIVE,
            1.5,
            1.0e300,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in values {
            for b in values {
                assert_eq!(
                    total_order_bits(a).cmp(&total_order_bits(b)),
                    a.total_cmp(&b),
                    "{a} vs {b}"
                );
            }
        }
    }
}
