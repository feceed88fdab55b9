//! Saving a trained model and loading it back.

use burn::tensor::Device;
use rwenas_rwe::ImageDataset;
use rwenas_space::micro::{MicroScale, build_network, catalogue};
use rwenas_space::network::Network;
use rwenas_train::{TrainConfig, TrainData, TrainError, Trainer, load_model, test_error};

/// Images of noise around a brightness that depends on the label.
fn images(count: usize, seed: u64) -> ImageDataset {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let labels: Vec<u16> = (0..count).map(|i| (i % 10) as u16).collect();
    let mut images = Vec::with_capacity(count * 3 * 16 * 16);
    for &label in &labels {
        for _ in 0..3 * 16 * 16 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            images.push((state >> 58) as u8 + 20 * label as u8);
        }
    }
    ImageDataset {
        images,
        labels,
        class_names: (0..10).map(|c| format!("class{c}")).collect(),
        channels: 3,
        height: 16,
        width: 16,
    }
}

fn network(channels: usize) -> Network {
    let scale = MicroScale {
        initial_channels: channels,
        layers: 4,
        input_size: 16,
        auxiliary: false,
        ..MicroScale::search()
    };
    build_network(&catalogue::genotype("darts_v2").expect("cell"), &scale).expect("network")
}

#[test]
fn saved_model_loads_with_same_test_error() {
    let device = Device::flex();
    let data = TrainData::new(images(120, 1), images(60, 2)).expect("data");
    let config = TrainConfig {
        epochs: 2,
        batch_size: 24,
        cutout_length: None,
        seed: 5,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(&network(8), data.clone(), config, &device).expect("trainer");
    trainer.run(|_| {}).expect("training");
    let dir = std::env::temp_dir().join(format!("rwenas-train-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let path = dir.join("model");
    trainer.save_model(&path).expect("model saved");
    assert!(!dir.join("model.tmp").exists());

    let loaded = load_model(&network(8), &path, &device).expect("model loads");
    let expected = trainer.evaluate_test().expect("test error");
    let actual = test_error(
        &loaded,
        &data.test,
        &data.normalization,
        17,
        &device,
        |_| {},
    )
    .expect("test error of the loaded model");
    assert_eq!(actual, expected);

    let error = load_model(&network(12), &path, &device).expect_err("other channels");
    assert!(matches!(error, TrainError::Model { .. }), "{error}");
    assert!(error.to_string().contains("do not fit"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn file_that_is_not_a_model_is_named() {
    let dir = std::env::temp_dir().join(format!("rwenas-train-not-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let path = dir.join("notes.txt");
    std::fs::write(&path, "not a model").expect("file written");
    let error = load_model(&network(8), &path, &Device::flex()).expect_err("not a model");
    assert!(matches!(error, TrainError::NotAModel { .. }), "{error}");
    assert!(
        error.to_string().contains("is not a saved model"),
        "{error}"
    );
    assert!(error.to_string().contains("notes.txt"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}
