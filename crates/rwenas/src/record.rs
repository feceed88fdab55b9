//! Records of evaluated architectures, as written to `front.json` and `evaluations.jsonl`.

use serde::{Deserialize, Serialize};

/// One evaluated architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRecord {
    /// The genome, one integer per gene.
    pub genome: Vec<i64>,
    /// Validation error of the random-weight evaluation, a fraction in `[0, 1]`; `None` when
    /// the evaluation failed. A search driven by another estimator stores that estimator's
    /// objective here ([`Score::error`](crate::Score::error)).
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
