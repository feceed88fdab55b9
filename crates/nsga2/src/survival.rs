//! Rank-and-crowding survival (Deb et al. 2002).

use rand::RngExt;

use serde::{Deserialize, Serialize};

use crate::GenerationRng;
use crate::crowding::{crowding_distance, descending, prune_by_crowding};
use crate::individual::Individual;
use crate::sorting::constrained_ranks_and_order;

/// Rule for truncating the front that does not fit whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FrontPruning {
    /// Keep the members with the largest crowding distance computed once on the whole
    /// front, ties broken at random (Deb et al. 2002, as in pymoo 0.6.2).
    OneShot,
    /// Remove the member with the smallest crowding distance one at a time and update its
    /// neighbours' distances after each removal, ties broken at random (Kukkonen and Deb
    /// 2006). This spreads the survivors more evenly at the same cost order.
    #[default]
    Iterative,
}

/// Keeps `n_survive` individuals: whole fronts under constraint domination while they fit,
/// then members of the splitting front chosen by crowding distance under the `pruning` rule. Rank
/// and crowding distance are computed on the merged set and stored in each survivor.
pub fn rank_and_crowding_survival(
    merged: Vec<Individual>,
    n_survive: usize,
    pruning: FrontPruning,
    rng: &mut GenerationRng,
) -> Vec<Individual> {
    survive_and_discard(merged, n_survive, pruning, rng, &mut Vec::new()).0
}

/// [`rank_and_crowding_survival`] that appends the individuals it does not keep to
/// `discarded`, so that the caller can reuse their buffers, and also returns the indices
/// into `merged` of the survivors in increasing order.
pub(crate) fn survive_and_discard(
    mut merged: Vec<Individual>,
    n_survive: usize,
    pruning: FrontPruning,
    rng: &mut GenerationRng,
    discarded: &mut Vec<Individual>,
) -> (Vec<Individual>, Vec<usize>) {
    let (ranks, order) = {
        let points: Vec<&[f64]> = merged.iter().map(|ind| ind.objectives.as_slice()).collect();
        let violations: Vec<f64> = merged.iter().map(|ind| ind.constraint_violation).collect();
        constrained_ranks_and_order(&points, &violations)
    };
    // Listing each front in the lexicographic order of the objectives, where the sort
    // provides it, lets crowding's sort by the first objective find its input sorted.
    let (members, front_starts) = group_by_rank(&ranks, &order);
    let mut survivors: Vec<usize> = Vec::with_capacity(n_survive);
    for (rank, bounds) in front_starts.windows(2).enumerate() {
        if survivors.len() >= n_survive {
            break;
        }
        let front = &members[bounds[0]..bounds[1]];
        let points: Vec<&[f64]> = front
            .iter()
            .map(|&i| merged[i].objectives.as_slice())
            .collect();
        let remaining = n_survive - survivors.len();
        if front.len() > remaining && pruning == FrontPruning::Iterative {
            // Only the kept members need a crowding distance, and pruning computes theirs.
            let tie_keys: Vec<u64> = front.iter().map(|_| rng.random::<u64>()).collect();
            let (kept, final_distances) = prune_by_crowding(&points, remaining, &tie_keys);
            for &k in &kept {
                merged[front[k]].rank = rank;
                merged[front[k]].crowding_distance = final_distances[k];
                survivors.push(front[k]);
            }
            continue;
        }
        let distances = crowding_distance(&points);
        for (&index, &distance) in front.iter().zip(&distances) {
            merged[index].rank = rank;
            merged[index].crowding_distance = distance;
        }
        if front.len() <= remaining {
            survivors.extend_from_slice(front);
        } else {
            let mut keyed: Vec<(f64, u64, usize)> = front
                .iter()
                .zip(&distances)
                .map(|(&index, &distance)| (distance, rng.random::<u64>(), index))
                .collect();
            keyed.sort_unstable_by(|a, b| descending(a.0, b.0).then(a.1.cmp(&b.1)));
            survivors.extend(keyed[..remaining].iter().map(|entry| entry.2));
        }
    }
    let mut keep = vec![false; merged.len()];
    for &index in &survivors {
        keep[index] = true;
    }
    // The survivors in increasing index order, without sorting them.
    survivors.clear();
    survivors.extend((0..merged.len()).filter(|&index| keep[index]));
    // Room for the next generation's offspring, which the caller appends before the next
    // survival.
    let mut population = Vec::with_capacity(merged.len());
    for (individual, kept) in merged.into_iter().zip(keep) {
        if kept {
            population.push(individual);
        } else {
            discarded.push(individual);
        }
    }
    (population, survivors)
}

/// Lists the point indices grouped by rank, in the order of `order` (a permutation of the
/// indices) within each rank: the members of rank `k` are `members[starts[k]..starts[k + 1]]`.
fn group_by_rank(ranks: &[usize], order: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let n_fronts = ranks.iter().max().map_or(0, |&max| max + 1);
    let mut starts = vec![0; n_fronts + 1];
    for &rank in ranks {
        starts[rank + 1] += 1;
    }
    for k in 0..n_fronts {
        starts[k + 1] += starts[k];
    }
    let mut next_slot = starts.clone();
    let mut members = vec![0; ranks.len()];
    for &index in order {
        let rank = ranks[index];
        members[next_slot[rank]] = index;
        next_slot[rank] += 1;
    }
    (members, starts)
}
