//! Evaluation cache keyed by the stable genome hash.

use std::collections::HashMap;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};

use crate::hash::{BuildPassThroughHasher, genome_hash, same_genome};
use crate::state::float_serde;

/// A cached evaluation result of one genome, as read from or inserted into a cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The genome.
    pub x: Vec<f64>,
    /// Objective values as returned by the problem (empty when the evaluation failed).
    #[serde(with = "float_serde::vec")]
    pub objectives: Vec<f64>,
    /// Constraint values as returned by the problem.
    #[serde(with = "float_serde::vec")]
    pub constraints: Vec<f64>,
    /// Failure message when the evaluation failed.
    pub failure: Option<String>,
}

/// A view of one cached evaluation, borrowed from an [`EvaluationCache`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CachedEvaluation<'a> {
    /// The genome.
    pub x: &'a [f64],
    /// Objective values as returned by the problem (empty when the evaluation failed).
    #[serde(serialize_with = "float_serde::vec::serialize")]
    pub objectives: &'a [f64],
    /// Constraint values as returned by the problem.
    #[serde(serialize_with = "float_serde::vec::serialize")]
    pub constraints: &'a [f64],
    /// Failure message when the evaluation failed.
    pub failure: Option<&'a str>,
}

impl CachedEvaluation<'_> {
    /// Copies the view into an owned entry.
    pub fn to_entry(&self) -> CacheEntry {
        CacheEntry {
            x: self.x.to_vec(),
            objectives: self.objectives.to_vec(),
            constraints: self.constraints.to_vec(),
            failure: self.failure.map(str::to_owned),
        }
    }
}

/// Every genome evaluated in a run, so that no genome is evaluated twice.
///
/// Lookups go through [`genome_hash`] and then compare the genome bit for bit, so a hash
/// collision never returns another genome's result. Genomes, objectives and constraints of
/// all entries are stored back to back in three flat arrays, which takes a third of the
/// memory of one allocation per genome and vector. The index is rebuilt after
/// deserialisation; only the entries are stored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "Vec<CacheEntry>")]
pub struct EvaluationCache {
    genomes: Vec<f64>,
    objectives: Vec<f64>,
    constraints: Vec<f64>,
    /// End of each entry's slice in `genomes`, `objectives` and `constraints`; an entry's
    /// slice starts where the previous entry's ends.
    ends: Vec<EntryEnds>,
    /// Entry index and message of each failed evaluation, in increasing index order.
    failures: Vec<(usize, String)>,
    /// Hash to the last entry index with that hash.
    heads: HashMap<u64, usize, BuildPassThroughHasher>,
    /// Previous entry index with the same hash as entry `i` (`usize::MAX` ends the chain).
    chain: Vec<usize>,
}

#[derive(Debug, Clone, Copy, Default)]
struct EntryEnds {
    genome: usize,
    objectives: usize,
    constraints: usize,
}

impl EvaluationCache {
    /// Creates an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of cached genomes.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns true when no genome is cached.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Returns the entry at `index` in insertion order.
    ///
    /// # Panics
    ///
    /// Panics when `index` is not below [`EvaluationCache::len`].
    pub fn entry(&self, index: usize) -> CachedEvaluation<'_> {
        let start = match index.checked_sub(1) {
            Some(previous) => self.ends[previous],
            None => EntryEnds::default(),
        };
        let end = self.ends[index];
        let failure = self
            .failures
            .binary_search_by_key(&index, |&(failed, _)| failed)
            .ok()
            .map(|position| self.failures[position].1.as_str());
        CachedEvaluation {
            x: &self.genomes[start.genome..end.genome],
            objectives: &self.objectives[start.objectives..end.objectives],
            constraints: &self.constraints[start.constraints..end.constraints],
            failure,
        }
    }

    /// Cached entries in insertion order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = CachedEvaluation<'_>> + '_ {
        (0..self.len()).map(|index| self.entry(index))
    }

    /// Looks up a genome whose hash is already known.
    pub fn get_hashed(&self, hash: u64, x: &[f64]) -> Option<CachedEvaluation<'_>> {
        self.position_hashed(hash, x).map(|index| self.entry(index))
    }

    /// Returns the index (see [`EvaluationCache::entry`]) of a genome whose hash is already
    /// known.
    pub(crate) fn position_hashed(&self, hash: u64, x: &[f64]) -> Option<usize> {
        let mut index = *self.heads.get(&hash)?;
        loop {
            if same_genome(self.genome(index), x) {
                return Some(index);
            }
            index = self.chain[index];
            if index == usize::MAX {
                return None;
            }
        }
    }

    fn genome(&self, index: usize) -> &[f64] {
        let start = index
            .checked_sub(1)
            .map_or(0, |previous| self.ends[previous].genome);
        &self.genomes[start..self.ends[index].genome]
    }

    /// Looks up a genome.
    pub fn get(&self, x: &[f64]) -> Option<CachedEvaluation<'_>> {
        self.get_hashed(genome_hash(x), x)
    }

    /// Inserts an entry unless its genome is already cached; returns true when inserted.
    pub fn insert(&mut self, entry: CacheEntry) -> bool {
        self.insert_hashed(genome_hash(&entry.x), entry)
    }

    /// Inserts an entry whose genome hash is already known; returns true when inserted.
    pub fn insert_hashed(&mut self, hash: u64, entry: CacheEntry) -> bool {
        if self.position_hashed(hash, &entry.x).is_some() {
            return false;
        }
        self.push_unchecked(
            hash,
            &entry.x,
            &entry.objectives,
            &entry.constraints,
            entry.failure,
        );
        true
    }

    /// Reserves room for at least `additional` more entries of `n_var` variables, `n_obj`
    /// objectives and `n_constr` constraints, so that a run with a bounded number of
    /// evaluations does not regrow the arrays and rehash the index as it fills.
    pub(crate) fn reserve(
        &mut self,
        additional: usize,
        n_var: usize,
        n_obj: usize,
        n_constr: usize,
    ) {
        self.genomes.reserve(additional.saturating_mul(n_var));
        self.objectives.reserve(additional.saturating_mul(n_obj));
        self.constraints
            .reserve(additional.saturating_mul(n_constr));
        self.ends.reserve(additional);
        self.heads.reserve(additional);
        self.chain.reserve(additional);
    }

    /// Appends an entry that the caller has checked is not cached yet and returns its
    /// index. `hash` must be `genome_hash(x)`; the unit tests pass other values to build
    /// collisions.
    pub(crate) fn push_unchecked(
        &mut self,
        hash: u64,
        x: &[f64],
        objectives: &[f64],
        constraints: &[f64],
        failure: Option<String>,
    ) -> usize {
        let index = self.ends.len();
        let previous_head = self.heads.insert(hash, index);
        self.chain.push(previous_head.unwrap_or(usize::MAX));
        self.genomes.extend_from_slice(x);
        self.objectives.extend_from_slice(objectives);
        self.constraints.extend_from_slice(constraints);
        self.ends.push(EntryEnds {
            genome: self.genomes.len(),
            objectives: self.objectives.len(),
            constraints: self.constraints.len(),
        });
        if let Some(message) = failure {
            self.failures.push((index, message));
        }
        index
    }
}

/// Two caches are equal when they hold equal entries in the same order.
impl PartialEq for EvaluationCache {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.entries().eq(other.entries())
    }
}

/// Serialises the entries only, as a sequence of [`CacheEntry`] objects.
impl Serialize for EvaluationCache {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for entry in self.entries() {
            seq.serialize_element(&entry)?;
        }
        seq.end()
    }
}

impl From<Vec<CacheEntry>> for EvaluationCache {
    fn from(entries: Vec<CacheEntry>) -> Self {
        let mut cache = Self::new();
        for entry in entries {
            cache.insert(entry);
        }
        cache
    }
}

impl From<EvaluationCache> for Vec<CacheEntry> {
    fn from(cache: EvaluationCache) -> Self {
        cache.entries().map(|entry| entry.to_entry()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(x: Vec<f64>, objectives: Vec<f64>, failure: Option<&str>) -> CacheEntry {
        CacheEntry {
            x,
            objectives,
            constraints: vec![-1.0],
            failure: failure.map(str::to_owned),
        }
    }

    #[test]
    fn colliding_hashes_keep_separate_results() {
        let mut cache = EvaluationCache::new();
        let first = entry(vec![1.0, 2.0], vec![3.0], None);
        let second = entry(vec![4.0, 5.0], vec![6.0], Some("failed"));
        // Both genomes are inserted under one hash, as after a collision.
        for entry in [&first, &second] {
            let failure = entry.failure.clone();
            cache.push_unchecked(7, &entry.x, &entry.objectives, &entry.constraints, failure);
        }
        assert_eq!(cache.get_hashed(7, &first.x).unwrap().to_entry(), first);
        assert_eq!(cache.get_hashed(7, &second.x).unwrap().to_entry(), second);
        assert!(cache.get_hashed(7, &[1.0, 2.5]).is_none());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn entries_round_trip_through_json() {
        let mut cache = EvaluationCache::new();
        cache.insert(entry(vec![0.5], vec![f64::INFINITY], None));
        cache.insert(entry(vec![0.25], vec![], Some("objective 0 is NaN")));
        cache.insert(entry(vec![-0.0], vec![1.0], None));
        let json = serde_json::to_string(&cache).unwrap();
        let loaded: EvaluationCache = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded, cache);
        let owned: Vec<CacheEntry> = serde_json::from_str(&json).unwrap();
        assert_eq!(owned, Vec::<CacheEntry>::from(cache));
    }
}
