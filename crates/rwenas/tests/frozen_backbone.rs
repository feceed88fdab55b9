//! A random-weight evaluation leaves the backbone exactly as it was built.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use rwenas::nn::{BuildConfig, LayerModule, NetworkModule};
use rwenas::rwe::{DataSource, FeatureExtractor, RweConfig, RweData, Split};
use rwenas::space::micro::{MicroScale, build_network, catalogue};

fn cifar_batches() -> PathBuf {
    let root = std::env::var_os("RWENAS_CIFAR10").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cifar10"),
        PathBuf::from,
    );
    root.join("cifar-10-batches-bin")
}

struct Backbone<'a>(&'a NetworkModule);

impl FeatureExtractor for Backbone<'_> {
    fn feature_dim(&self) -> usize {
        self.0.feature_dim()
    }

    fn extract(&self, images: Tensor<4>) -> Tensor<2> {
        self.0.features(images)
    }
}

/// Copies every tensor of the backbone, trainable or not, as raw values in layer order.
fn snapshot(model: &NetworkModule) -> Vec<Vec<f32>> {
    let values = |tensor: Tensor<1>| tensor.into_data().try_to_vec::<f32>().unwrap();
    let mut tensors = Vec::new();
    for layer in &model.backbone.layers {
        match layer {
            LayerModule::Conv2d(conv) => {
                let weight = conv.weight.val();
                let count = weight.shape().num_elements();
                tensors.push(values(weight.reshape([count])));
            }
            LayerModule::BatchNorm(bn) => {
                tensors.push(values(bn.gamma.val()));
                tensors.push(values(bn.beta.val()));
                tensors.push(values(bn.running_mean.value()));
                tensors.push(values(bn.running_var.value()));
            }
            _ => {}
        }
    }
    tensors
}

#[test]
fn evaluation_leaves_weights_bit_identical() {
    let sets = DataSource::detect(&cifar_batches())
        .expect("CIFAR-10 batches: set RWENAS_CIFAR10")
        .load(None)
        .unwrap();
    let split = Split::new(&sets.train, Some(200), Some(100)).unwrap();
    let data = RweData::new(sets.train, split).unwrap();

    let genotype = catalogue::genotype("darts_v2").unwrap();
    let network = build_network(&genotype, &MicroScale::search()).unwrap();
    let device = Device::flex();
    let model = NetworkModule::init(&network, BuildConfig::default(), &device).unwrap();

    let before = snapshot(&model);
    let mut config = RweConfig::default();
    config.ensemble.epochs = 2;
    let score = rwenas::rwe::evaluate(&Backbone(&model), &data, &config, &device).unwrap();
    let after = snapshot(&model);

    assert!(score.error < 0.95, "error {}", score.error);
    assert_eq!(before.len(), after.len());
    for (index, (a, b)) in before.iter().zip(&after).enumerate() {
        let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "tensor {index} of the backbone changed");
    }
}
