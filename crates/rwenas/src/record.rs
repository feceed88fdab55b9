//! Records of evaluated architectures, as written to `front.json` and `evaluations.jsonl`.

use serde::{Deserialize, Serialize};

/// Name of the random-weight evaluation estimator.
const RWE: &str = "rwe";

/// One evaluated architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredRecord")]
pub struct EvaluationRecord {
    /// The genome, one integer per gene.
    pub genome: Vec<i64>,
    /// Name of the estimator that scored the architecture: `rwe`, `train` or a zero-cost
    /// proxy ([`Estimator::name`](crate::Estimator::name)).
    pub estimator: String,
    /// The accuracy objective that the search minimises ([`Score::error`](crate::Score::error)):
    /// a validation error in `[0, 1]` for `rwe` and `train`, the negated score for a
    /// zero-cost proxy. `None` when the evaluation failed.
    pub objective: Option<f64>,
    /// Validation error of the random-weight evaluation, a fraction in `[0, 1]`: the
    /// objective of a search driven by RWE. `None` when another estimator scored the
    /// architecture or the evaluation failed.
    pub rwe_error: Option<f64>,
    /// Multiply-accumulates of one forward pass of one image (`conv-linear` convention).
    pub flops: u64,
    /// Trainable parameters, classifier included.
    pub params: u64,
    /// Readable form of the decoded architecture.
    pub architecture: String,
    /// Seconds spent extracting features.
    pub feature_seconds: f64,
    /// Seconds spent training the classifier ensemble.
    pub classifier_seconds: f64,
    /// Why the evaluation failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Generation in which the architecture was first evaluated (0 for the initial
    /// population); set when the record is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<usize>,
}

impl EvaluationRecord {
    /// Creates the record of an architecture that `estimator` scored with `objective`, or
    /// that failed when `objective` is `None`. Fills `rwe_error` for the RWE estimator.
    pub fn new(genome: Vec<i64>, estimator: &str, objective: Option<f64>) -> Self {
        EvaluationRecord {
            genome,
            estimator: estimator.to_string(),
            objective,
            rwe_error: if estimator == RWE { objective } else { None },
            flops: 0,
            params: 0,
            architecture: String::new(),
            feature_seconds: 0.0,
            classifier_seconds: 0.0,
            failure: None,
            generation: None,
        }
    }

    /// Sets the estimator that scored the architecture and keeps the objective. `rwe_error`
    /// follows the objective for the RWE estimator and is cleared for any other.
    pub fn set_estimator(&mut self, estimator: &str) {
        self.estimator = estimator.to_string();
        self.rwe_error = if estimator == RWE {
            self.objective
        } else {
            None
        };
    }
}

/// The stored form of a record. A record written before `estimator` and `objective`
/// existed is read as an RWE record whose `rwe_error` is the objective. Searches driven by
/// another estimator also wrote their objective to `rwe_error` then, and
/// [`EvaluationRecord::set_estimator`] relabels their records.
#[derive(Deserialize)]
struct StoredRecord {
    genome: Vec<i64>,
    #[serde(default)]
    estimator: Option<String>,
    #[serde(default)]
    objective: Option<f64>,
    #[serde(default)]
    rwe_error: Option<f64>,
    flops: u64,
    params: u64,
    architecture: String,
    feature_seconds: f64,
    classifier_seconds: f64,
    #[serde(default)]
    failure: Option<String>,
    #[serde(default)]
    generation: Option<usize>,
}

impl From<StoredRecord> for EvaluationRecord {
    fn from(stored: StoredRecord) -> Self {
        let estimator = stored.estimator.unwrap_or_else(|| RWE.to_string());
        let objective = stored.objective.or(if estimator == RWE {
            stored.rwe_error
        } else {
            None
        });
        EvaluationRecord {
            genome: stored.genome,
            estimator,
            objective,
            rwe_error: stored.rwe_error,
            flops: stored.flops,
            params: stored.params,
            architecture: stored.architecture,
            feature_seconds: stored.feature_seconds,
            classifier_seconds: stored.classifier_seconds,
            failure: stored.failure,
            generation: stored.generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rwe_record_fills_rwe_error() {
        let record = EvaluationRecord::new(vec![1, 2], "rwe", Some(0.6));
        assert_eq!(record.objective, Some(0.6));
        assert_eq!(record.rwe_error, Some(0.6));
    }

    #[test]
    fn proxy_record_leaves_rwe_error_empty() {
        let record = EvaluationRecord::new(vec![1, 2], "synflow", Some(-1e20));
        assert_eq!(record.objective, Some(-1e20));
        assert_eq!(record.rwe_error, None);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["estimator"], "synflow");
        assert_eq!(json["objective"], -1e20);
        assert!(json["rwe_error"].is_null());
    }

    #[test]
    fn old_proxy_record_is_relabelled() {
        // A proxy search's record from before `estimator` and `objective` existed.
        let json = r#"{"genome":[1,2],"rwe_error":-1.5e20,"flops":10,"params":5,
            "architecture":"a","feature_seconds":0.0,"classifier_seconds":0.0}"#;
        let mut record: EvaluationRecord = serde_json::from_str(json).unwrap();
        assert_eq!(record.estimator, "rwe");
        record.set_estimator("synflow");
        assert_eq!(record.estimator, "synflow");
        assert_eq!(record.objective, Some(-1.5e20));
        assert_eq!(record.rwe_error, None);
    }

    #[test]
    fn json_round_trip_keeps_record() {
        let mut record = EvaluationRecord::new(vec![3, 0, 1], "rwe", Some(0.625));
        record.flops = 1_000;
        record.generation = Some(2);
        let json = serde_json::to_string(&record).unwrap();
        let read: EvaluationRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(read, record);
    }

    #[test]
    fn record_without_objective_reads_rwe_error() {
        let json = r#"{"genome":[1],"rwe_error":0.7,"flops":5,"params":6,
            "architecture":"","feature_seconds":1.0,"classifier_seconds":0.5}"#;
        let record: EvaluationRecord = serde_json::from_str(json).unwrap();
        assert_eq!(record.estimator, "rwe");
        assert_eq!(record.objective, Some(0.7));
        assert_eq!(record.rwe_error, Some(0.7));
    }
}
