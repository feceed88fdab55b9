//! DARTS V2 in DARTS' ImageNet layout builds and runs on a 224x224 image.

use burn::tensor::{Device, Distribution, Tensor};
use rwenas_nn::{BuildConfig, NetworkModule};
use rwenas_space::micro::{MicroScale, build_network, catalogue};

#[test]
fn darts_v2_imagenet_forward() {
    let genotype = catalogue::genotype("darts_v2").expect("darts_v2 is in the catalogue");
    let network = build_network(&genotype, &MicroScale::imagenet(48, 14, true))
        .expect("the ImageNet network builds");
    let device = Device::flex();
    let model =
        NetworkModule::init(&network, BuildConfig::default(), &device).expect("the module builds");
    assert_eq!(model.trainable_parameters(), 4_718_752);
    assert_eq!(model.auxiliary_parameters(), network.auxiliary_parameters());

    let image = Tensor::random([1, 3, 224, 224], Distribution::Normal(0.0, 1.0), &device);
    let (logits, auxiliary) = model.forward_with_auxiliary(image);
    assert_eq!(logits.dims(), [1, 1000]);
    assert_eq!(auxiliary.map(|logits| logits.dims()), Some([1, 1000]));
    let values = logits.into_data().try_to_vec::<f32>().expect("f32 logits");
    assert!(values.iter().all(|value| value.is_finite()));
}
