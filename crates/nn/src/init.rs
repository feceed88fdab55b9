//! Seeded weight initialisers with the formulas of PyTorch's `torch.nn.init`.

use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};

/// Distribution of convolution and linear weights. Batch norm always starts with scale 1 and
/// shift 0.
///
/// `fan_in` is `in_channels / groups * kernel_height * kernel_width` and `fan_out` is
/// `out_channels * kernel_height * kernel_width`, as PyTorch computes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initializer {
    /// PyTorch's default for `Conv2d` and `Linear`: Kaiming uniform with `a = sqrt(5)`,
    /// that is weights uniform in `+-1/sqrt(fan_in)`, and biases uniform in the same range.
    #[default]
    PytorchDefault,
    /// Normal with standard deviation `sqrt(2 / fan_in)` (ReLU gain); biases zero.
    KaimingNormal,
    /// Uniform in `+-sqrt(6 / fan_in)` (ReLU gain); biases zero.
    KaimingUniform,
    /// Normal with standard deviation `sqrt(2 / (fan_in + fan_out))`; biases zero.
    XavierNormal,
    /// Uniform in `+-sqrt(6 / (fan_in + fan_out))`; biases zero.
    XavierUniform,
}

impl Initializer {
    /// All initialisers, in declaration order.
    pub const ALL: [Initializer; 5] = [
        Initializer::PytorchDefault,
        Initializer::KaimingNormal,
        Initializer::KaimingUniform,
        Initializer::XavierNormal,
        Initializer::XavierUniform,
    ];

    /// Returns the name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Initializer::PytorchDefault => "pytorch_default",
            Initializer::KaimingNormal => "kaiming_normal",
            Initializer::KaimingUniform => "kaiming_uniform",
            Initializer::XavierNormal => "xavier_normal",
            Initializer::XavierUniform => "xavier_uniform",
        }
    }

    /// Parses a name returned by [`Initializer::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|init| init.name() == name)
    }

    /// Draws `count` weights for a layer with the given fans.
    pub fn weights(
        self,
        count: usize,
        fan_in: usize,
        fan_out: usize,
        rng: &mut impl Rng,
    ) -> Vec<f32> {
        let fan_in = fan_in.max(1) as f64;
        let fan_out = fan_out.max(1) as f64;
        match self {
            Initializer::PytorchDefault => uniform(count, 1.0 / fan_in.sqrt(), rng),
            Initializer::KaimingNormal => normal(count, (2.0 / fan_in).sqrt(), rng),
            Initializer::KaimingUniform => uniform(count, (6.0 / fan_in).sqrt(), rng),
            Initializer::XavierNormal => normal(count, (2.0 / (fan_in + fan_out)).sqrt(), rng),
            Initializer::XavierUniform => uniform(count, (6.0 / (fan_in + fan_out)).sqrt(), rng),
        }
    }

    /// Draws `count` biases for a layer with the given fan-in.
    pub fn biases(self, count: usize, fan_in: usize, rng: &mut impl Rng) -> Vec<f32> {
        match self {
            Initializer::PytorchDefault => uniform(count, 1.0 / (fan_in.max(1) as f64).sqrt(), rng),
            _ => vec![0.0; count],
        }
    }
}

fn uniform(count: usize, bound: f64, rng: &mut impl Rng) -> Vec<f32> {
    // Both callers clamp the fans to at least 1, so the bound is positive and finite.
    let distribution = Uniform::new(-bound, bound).expect("bound is positive and finite");
    (0..count)
        .map(|_| distribution.sample(rng) as f32)
        .collect()
}

fn normal(count: usize, std: f64, rng: &mut impl Rng) -> Vec<f32> {
    let distribution = Normal::new(0.0, std).expect("standard deviation is positive and finite");
    (0..count)
        .map(|_| distribution.sample(rng) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn moments(values: &[f32]) -> (f64, f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let max = values.iter().map(|&v| (v as f64).abs()).fold(0.0, f64::max);
        (mean, var.sqrt(), max)
    }

    #[test]
    fn initializer_statistics_match_formulas() {
        // fan_in 288 = 32 channels * 3 * 3, fan_out 576 = 64 * 3 * 3.
        let (fan_in, fan_out) = (288.0_f64, 576.0_f64);
        let cases = [
            // Uniform in +-b has standard deviation b / sqrt(3).
            (
                Initializer::PytorchDefault,
                (1.0 / fan_in).sqrt() / 3f64.sqrt(),
                Some((1.0 / fan_in).sqrt()),
            ),
            (Initializer::KaimingNormal, (2.0 / fan_in).sqrt(), None),
            (
                Initializer::KaimingUniform,
                (2.0 / fan_in).sqrt(),
                Some((6.0 / fan_in).sqrt()),
            ),
            (
                Initializer::XavierNormal,
                (2.0 / (fan_in + fan_out)).sqrt(),
                None,
            ),
            (
                Initializer::XavierUniform,
                (2.0 / (fan_in + fan_out)).sqrt(),
                Some((6.0 / (fan_in + fan_out)).sqrt()),
            ),
        ];
        for (init, expected_std, bound) in cases {
            let mut rng = StdRng::seed_from_u64(7);
            let values = init.weights(200_000, 288, 576, &mut rng);
            let (mean, std, max) = moments(&values);
            assert!(
                mean.abs() < 0.01 * expected_std * 10.0,
                "{init:?} mean {mean}"
            );
            assert!(
                (std / expected_std - 1.0).abs() < 0.01,
                "{init:?} std {std} vs {expected_std}"
            );
            if let Some(bound) = bound {
                assert!(max <= bound, "{init:?} max {max} exceeds bound {bound}");
                assert!(
                    max > 0.99 * bound,
                    "{init:?} max {max} far below bound {bound}"
                );
            }
        }
    }

    #[test]
    fn pytorch_default_bias_range() {
        let mut rng = StdRng::seed_from_u64(1);
        let biases = Initializer::PytorchDefault.biases(10_000, 16, &mut rng);
        assert!(biases.iter().all(|b| b.abs() <= 0.25));
        assert!(biases.iter().any(|b| b.abs() > 0.24));
        let zeros = Initializer::XavierUniform.biases(10, 16, &mut rng);
        assert!(zeros.iter().all(|&b| b == 0.0));
    }

    #[test]
    fn names_round_trip() {
        for init in Initializer::ALL {
            assert_eq!(Initializer::from_name(init.name()), Some(init));
        }
        assert_eq!(Initializer::from_name("he"), None);
    }
}
