//! Binary tournament selection.

use rand::RngExt;
use rand::seq::SliceRandom;

use crate::GenerationRng;
use crate::individual::Individual;
use crate::operators::Selection;

/// Binary tournament on constraint violation, then rank, then crowding distance, then a
/// fair coin.
///
/// As in pymoo 0.6.2, competitors are drawn from concatenated random permutations of the
/// population, so every individual enters the same number of tournaments (up to one).
/// When either competitor is infeasible, the smaller violation wins.
#[derive(Debug, Clone, Copy, Default)]
pub struct BinaryTournament;

impl BinaryTournament {
    fn winner(a: &Individual, b: &Individual, rng: &mut GenerationRng) -> bool {
        // Returns true when `a` wins.
        if a.constraint_violation > 0.0 || b.constraint_violation > 0.0 {
            if a.constraint_violation != b.constraint_violation {
                return a.constraint_violation < b.constraint_violation;
            }
            return rng.random_bool(0.5);
        }
        if a.rank != b.rank {
            return a.rank < b.rank;
        }
        if a.crowding_distance != b.crowding_distance {
            return a.crowding_distance > b.crowding_distance;
        }
        rng.random_bool(0.5)
    }
}

impl Selection for BinaryTournament {
    fn select(
        &self,
        population: &[Individual],
        n_parents: usize,
        rng: &mut GenerationRng,
        parents: &mut Vec<usize>,
    ) {
        let n = population.len();
        if n == 0 {
            return;
        }
        let n_competitors = 2 * n_parents;
        let mut competitors: Vec<usize> = Vec::with_capacity(n_competitors + n);
        let mut permutation: Vec<usize> = (0..n).collect();
        while competitors.len() < n_competitors {
            permutation.shuffle(rng);
            competitors.extend_from_slice(&permutation);
        }
        for pair in competitors[..n_competitors].chunks_exact(2) {
            let (a, b) = (pair[0], pair[1]);
            let a_wins = Self::winner(&population[a], &population[b], rng);
            parents.push(if a_wins { a } else { b });
        }
    }
}
