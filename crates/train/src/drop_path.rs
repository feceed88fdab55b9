//! Drop path (DARTS' `drop_path` in `utils.py`, applied in `Cell.forward`).
//!
//! While training, the output of every layer marked in the backbone's
//! [`Graph::drop_path`](rwenas_space::network::Graph::drop_path) is zeroed for a whole
//! sample with probability `p` and otherwise divided by `1 - p`, so its expected value is
//! unchanged. The micro space marks the outputs of the cell operations other than the
//! identity.

use burn::tensor::{Tensor, TensorData};
use rand::{Rng, RngExt};
use rwenas_nn::{GraphModule, LayerHook, LayerModule};

/// A [`LayerHook`] that applies drop path with probability `probability` to the drop-path
/// layers of one backbone, drawing one keep-or-drop choice per sample from `rng`.
///
/// Choices are drawn in the order the layers run and, within a layer, in sample order. A
/// probability of 0 draws nothing and changes nothing.
pub struct DropPath<'a, R: Rng> {
    probability: f64,
    backbone: &'a GraphModule,
    rng: &'a mut R,
}

impl<'a, R: Rng> DropPath<'a, R> {
    /// Creates the hook for the layers of `backbone`.
    ///
    /// # Panics
    ///
    /// When `probability` is not in `[0, 1)`; [`TrainConfig::validate`](crate::TrainConfig::validate)
    /// rejects drop path rates outside that range.
    pub fn new(probability: f64, backbone: &'a GraphModule, rng: &'a mut R) -> Self {
        assert!(
            (0.0..1.0).contains(&probability),
            "drop path probability {probability} is not in [0, 1)"
        );
        DropPath {
            probability,
            backbone,
            rng,
        }
    }

    /// Returns the drop probability.
    pub fn probability(&self) -> f64 {
        self.probability
    }
}

impl<R: Rng> LayerHook for DropPath<'_, R> {
    fn after(&mut self, layer: usize, _module: &LayerModule, output: Tensor<4>) -> Tensor<4> {
        if self.probability == 0.0 || !self.backbone.is_drop_path(layer) {
            return output;
        }
        let keep = 1.0 - self.probability;
        let scale = (1.0 / keep) as f32;
        let [batch, _, _, _] = output.dims();
        let mask: Vec<f32> = (0..batch)
            .map(|_| {
                if self.rng.random_bool(keep) {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_data(TensorData::new(mask, [batch, 1, 1, 1]), &output.device());
        output * mask
    }
}
