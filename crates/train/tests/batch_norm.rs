//! Batch norm running statistics across the epochs of a short training run.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use rwenas_nn::NetworkModule;
use rwenas_rwe::ImageDataset;
use rwenas_space::micro::{MicroScale, build_network, catalogue};
use rwenas_train::{TrainConfig, TrainData, Trainer};

/// Images whose pixels are noise around a brightness that depends on the label, so that
/// the classes are separable by the mean brightness.
fn separable(count: usize, size: usize, seed: u64) -> ImageDataset {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let labels: Vec<u16> = (0..count).map(|i| (i % 10) as u16).collect();
    let mut images = Vec::with_capacity(count * 3 * size * size);
    for &label in &labels {
        for _ in 0..3 * size * size {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 59) as u8;
            images.push(noise + 24 * label as u8);
        }
    }
    ImageDataset {
        images,
        labels,
        class_names: (0..10).map(|c| format!("class{c}")).collect(),
        channels: 3,
        height: size,
        width: size,
    }
}

/// Returns the running means and variances of every batch norm of `model`, in visiting
/// order: batch norm tensors are the rank-1 tensors that come in fours (gamma, beta, running
/// mean, running variance).
fn running_statistics(model: &NetworkModule) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if D == 1 {
                let values = param.val().into_data().try_into_vec::<f32>();
                self.0.push(values.expect("f32 tensor"));
            }
        }
    }
    let mut collect = Collect(Vec::new());
    model.valid().visit(&mut collect);
    collect
        .0
        .chunks_exact(4)
        .flat_map(|bn| [bn[2].clone(), bn[3].clone()])
        .collect()
}

fn darts_v2_16px() -> rwenas_space::network::Network {
    let scale = MicroScale {
        initial_channels: 8,
        layers: 5,
        input_size: 16,
        auxiliary: false,
        ..MicroScale::search()
    };
    let genotype = catalogue::genotype("darts_v2").expect("catalogue cell");
    build_network(&genotype, &scale).expect("network builds")
}

fn short_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 32,
        learning_rate: 0.05,
        cutout_length: None,
        crop_padding: 0,
        horizontal_flip: false,
        drop_path_rate: 0.0,
        seed: 3,
        ..TrainConfig::default()
    }
}

/// A DARTS V2 network of 8 channels and 5 cells on 16x16 images, trained for 3 short epochs
/// (7 steps each), with the test error and the checkpoint after every epoch. The running
/// averages of 21 steps of momentum 0.1 still weigh the initial mean of 0 and variance of 1
/// by 0.9^21 = 0.11, against batch variances of a few hundredths, and the network then
/// predicts one class for every test image: test errors 0.9, 0.9 and 0.8 without the
/// recalibration after every epoch.
#[test]
fn short_training_tests_below_chance_with_fresh_statistics() {
    let network = darts_v2_16px();
    let data = TrainData::new(separable(200, 16, 1), separable(100, 16, 2)).expect("data");
    let config = short_config(3);
    let dir = std::env::temp_dir().join(format!("rwenas-train-bn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let checkpoint = dir.join("checkpoint");
    let mut trainer = Trainer::new(&network, data, config, &Device::flex()).expect("trainer");
    let mut statistics = vec![running_statistics(trainer.model())];
    let mut errors = Vec::new();
    for _ in 0..3 {
        trainer.train_epoch().expect("epoch");
        errors.push(trainer.evaluate_test().expect("test error"));
        trainer.save_checkpoint(&checkpoint).expect("checkpoint");
        statistics.push(running_statistics(trainer.model()));
    }
    std::fs::remove_dir_all(&dir).ok();

    for (epoch, pair) in statistics.windows(2).enumerate() {
        let (before, after) = (&pair[0], &pair[1]);
        assert!(!before.is_empty());
        let unchanged = before.iter().zip(after).filter(|(b, a)| b == a).count();
        assert_eq!(
            unchanged,
            0,
            "{unchanged} of {} running statistics did not change in epoch {epoch}",
            before.len()
        );
    }
    let last = errors[2];
    assert!(
        last < 0.5,
        "test errors per epoch {errors:?}; chance is 0.9"
    );
}

/// Running statistics do not enter the training steps, so recalibrating them leaves the
/// training losses of later epochs as they are.
#[test]
fn recalibration_keeps_training_losses() {
    let network = darts_v2_16px();
    let data = TrainData::new(separable(100, 16, 4), separable(20, 16, 5)).expect("data");
    let losses = |bn_recalibration_images| {
        let config = TrainConfig {
            bn_recalibration_images,
            ..short_config(2)
        };
        let mut trainer =
            Trainer::new(&network, data.clone(), config, &Device::flex()).expect("trainer");
        (0..2)
            .map(|_| trainer.train_epoch().expect("epoch").train_loss)
            .collect::<Vec<f64>>()
    };
    assert_eq!(losses(0), losses(100));
}
