//! Evaluation cache keyed by the stable genome hash.

use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};

use crate::hash::{genome_hash, same_genome};
use crate::state::float_serde;
use crate::state::huge_pages::FloatArena;

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
/// collision never returns another genome's result. The genome, objectives and constraints
/// of each entry are stored back to back in one flat array, without the allocation and
/// vector headers per genome that dominate the memory of a cache of small genomes. The
/// index is rebuilt after deserialisation; only the entries are stored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "Vec<CacheEntry>")]
pub struct EvaluationCache {
    /// Genome, objectives and constraints of every entry, entry after entry.
    values: FloatArena,
    layouts: Vec<EntryLayout>,
    /// Entry index and message of each failed evaluation, in increasing index order.
    failures: Vec<(usize, String)>,
    /// Genome hash of every entry.
    hashes: Vec<u64>,
    /// Open-addressing index with linear probing over `hashes`: entry index plus one, or 0
    /// for an empty slot. Its length is 0 or a power of two at least twice the number of
    /// entries, so every probe sequence reaches an empty slot.
    slots: Vec<u32>,
}

/// Where one entry's values lie in [`EvaluationCache`]'s `values`: they end at `end` and
/// start where the previous entry's end (at 0 for the first entry).
#[derive(Debug, Clone, Copy, Default)]
struct EntryLayout {
    end: usize,
    n_var: u32,
    n_obj: u32,
}

impl EvaluationCache {
    /// Creates an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of cached genomes.
    pub fn len(&self) -> usize {
        self.layouts.len()
    }

    /// Returns true when no genome is cached.
    pub fn is_empty(&self) -> bool {
        self.layouts.is_empty()
    }

    /// Returns the entry at `index` in insertion order.
    ///
    /// # Panics
    ///
    /// Panics when `index` is not below [`EvaluationCache::len`].
    pub fn entry(&self, index: usize) -> CachedEvaluation<'_> {
        let layout = self.layouts[index];
        let values = &self.values.as_slice()[self.start(index)..layout.end];
        let (x, rest) = values.split_at(layout.n_var as usize);
        let (objectives, constraints) = rest.split_at(layout.n_obj as usize);
        let failure = self
            .failures
            .binary_search_by_key(&index, |&(failed, _)| failed)
            .ok()
            .map(|position| self.failures[position].1.as_str());
        CachedEvaluation {
            x,
            objectives,
            constraints,
            failure,
        }
    }

    /// Returns the position in `values` where entry `index` starts.
    fn start(&self, index: usize) -> usize {
        index
            .checked_sub(1)
            .map_or(0, |previous| self.layouts[previous].end)
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
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            let stored = self.slots[slot];
            if stored == 0 {
                return None;
            }
            let index = stored as usize - 1;
            if self.hashes[index] == hash && same_genome(self.genome(index), x) {
                return Some(index);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Grows the index, if needed, to hold `entries` entries.
    fn reserve_slots(&mut self, entries: usize) {
        let needed = entries.saturating_mul(2).next_power_of_two().max(16);
        if self.slots.len() >= needed {
            return;
        }
        self.slots = vec![0; needed];
        for index in 0..self.hashes.len() {
            self.index_entry(index);
        }
    }

    /// Adds entry `index` to the index, which must have room for it.
    fn index_entry(&mut self, index: usize) {
        let mask = self.slots.len() - 1;
        let mut slot = self.hashes[index] as usize & mask;
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = u32::try_from(index + 1).expect("fewer than 2^32 - 1 cache entries");
    }

    fn genome(&self, index: usize) -> &[f64] {
        let start = self.start(index);
        &self.values.as_slice()[start..start + self.layouts[index].n_var as usize]
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
        let per_entry = n_var + n_obj + n_constr;
        self.values.reserve(additional.saturating_mul(per_entry));
        self.layouts.reserve(additional);
        self.hashes.reserve(additional);
        self.reserve_slots(self.len().saturating_add(additional));
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
        let index = self.layouts.len();
        self.reserve_slots(index + 1);
        self.hashes.push(hash);
        self.index_entry(index);
        self.values.extend_from_slice(x);
        self.values.extend_from_slice(objectives);
        self.values.extend_from_slice(constraints);
        let length = |values: &[f64]| u32::try_from(values.len()).expect("fewer than 2^32 values");
        self.layouts.push(EntryLayout {
            end: self.values.len(),
            n_var: length(x),
            n_obj: length(objectives),
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
    fn lookups_find_every_entry_after_growth() {
        let mut cache = EvaluationCache::new();
        for step in 0..1_000 {
            assert!(cache.insert(entry(vec![f64::from(step)], vec![-f64::from(step)], None)));
        }
        assert_eq!(cache.len(), 1_000);
        for step in 0..1_000 {
            let found = cache.get(&[f64::from(step)]).expect("cached genome");
            assert_eq!(found.objectives, &[-f64::from(step)]);
        }
        assert!(cache.get(&[0.5]).is_none());
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
