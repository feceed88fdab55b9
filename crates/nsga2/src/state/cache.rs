//! Evaluation cache keyed by the stable genome hash.

use std::collections::HashMap;

use serde::{Deserialize, Serialize, Serializer};

use crate::hash::{BuildPassThroughHasher, genome_hash, same_genome};
use crate::state::float_serde;

/// A cached evaluation result of one genome.
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

/// Every genome evaluated in a run, so that no genome is evaluated twice.
///
/// Lookups go through [`genome_hash`] and then compare the genome bit for bit, so a hash
/// collision never returns another genome's result. The index is rebuilt after
/// deserialisation; only the entries are stored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "Vec<CacheEntry>")]
pub struct EvaluationCache {
    entries: Vec<CacheEntry>,
    /// Hash to the first entry index with that hash.
    heads: HashMap<u64, usize, BuildPassThroughHasher>,
    /// Next entry index with the same hash as entry `i` (`usize::MAX` ends the chain).
    chain: Vec<usize>,
}

impl EvaluationCache {
    /// Creates an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of cached genomes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns true when no genome is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Cached entries in insertion order.
    pub fn entries(&self) -> &[CacheEntry] {
        &self.entries
    }

    /// Looks up a genome whose hash is already known.
    pub fn get_hashed(&self, hash: u64, x: &[f64]) -> Option<&CacheEntry> {
        self.position_hashed(hash, x)
            .map(|index| &self.entries[index])
    }

    /// Returns the index into [`EvaluationCache::entries`] of a genome whose hash is
    /// already known.
    pub(crate) fn position_hashed(&self, hash: u64, x: &[f64]) -> Option<usize> {
        let mut index = *self.heads.get(&hash)?;
        loop {
            if same_genome(&self.entries[index].x, x) {
                return Some(index);
            }
            index = self.chain[index];
            if index == usize::MAX {
                return None;
            }
        }
    }

    /// Looks up a genome.
    pub fn get(&self, x: &[f64]) -> Option<&CacheEntry> {
        self.get_hashed(genome_hash(x), x)
    }

    /// Inserts an entry unless its genome is already cached; returns true when inserted.
    pub fn insert(&mut self, entry: CacheEntry) -> bool {
        self.insert_hashed(genome_hash(&entry.x), entry)
    }

    /// Inserts an entry whose genome hash is already known; returns true when inserted.
    pub fn insert_hashed(&mut self, hash: u64, entry: CacheEntry) -> bool {
        if self.get_hashed(hash, &entry.x).is_some() {
            return false;
        }
        self.push_unchecked(hash, entry);
        true
    }

    /// Reserves room for at least `additional` more entries, so that a run with a bounded
    /// number of evaluations does not regrow the entry list and rehash the index as it fills.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
        self.heads.reserve(additional);
        self.chain.reserve(additional);
    }

    /// Appends an entry that the caller has checked is not cached yet and returns its
    /// index. `hash` must be `genome_hash(&entry.x)`.
    pub(crate) fn push_unchecked(&mut self, hash: u64, entry: CacheEntry) -> usize {
        debug_assert_eq!(hash, genome_hash(&entry.x));
        let index = self.entries.len();
        let previous_head = self.heads.insert(hash, index);
        self.chain.push(previous_head.unwrap_or(usize::MAX));
        self.entries.push(entry);
        index
    }
}

/// Serialises the entries only, without copying the cache.
impl Serialize for EvaluationCache {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(serializer)
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
        cache.entries
    }
}
