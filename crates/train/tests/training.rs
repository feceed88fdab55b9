//! Tests of the training loop, its checkpoints and its loss on small networks.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rwenas_nn::{BuildConfig, NetworkModule, NormMode};
use rwenas_rwe::{DataSource, ImageDataset};
use rwenas_space::micro::{MicroScale, build_network, catalogue};
use rwenas_space::network::{AuxiliaryHead, Classifier, Graph, Layer, Network};
use rwenas_train::{
    CSV_HEADER, DropPath, LearningRateSchedule, MetricsCsv, TrainConfig, TrainData, TrainError,
    Trainer, batch_loss, cosine_learning_rate, training_loss,
};

fn conv(in_channels: usize, out_channels: usize) -> Layer {
    Layer::Conv2d {
        in_channels,
        out_channels,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
        bias: false,
    }
}

/// Builds a two-convolution network for `size x size` images, with an auxiliary head on the first
/// convolution's output when `auxiliary` is set.
fn small_network(size: usize, auxiliary: bool) -> Network {
    let mut graph = Graph::new();
    let first = graph.chain(
        [conv(3, 8), Layer::BatchNorm2d { channels: 8 }, Layer::Relu],
        0,
    );
    let pooled = graph.layer(
        Layer::MaxPool2d {
            kernel: [2, 2],
            stride: [2, 2],
            padding: [0, 0],
        },
        first,
    );
    let second = graph.chain(
        [
            conv(8, 16),
            Layer::BatchNorm2d { channels: 16 },
            Layer::Relu,
        ],
        pooled,
    );
    graph.output = graph.layer(Layer::GlobalAvgPool, second);
    let auxiliary = auxiliary.then(|| {
        let mut head = Graph::new();
        head.output = head.chain([conv(8, 4), Layer::GlobalAvgPool], 0);
        AuxiliaryHead {
            source: first,
            graph: head,
            classifier: Classifier {
                in_features: 4,
                classes: 10,
            },
        }
    });
    Network {
        input: [3, size, size],
        backbone: graph,
        classifier: Classifier {
            in_features: 16,
            classes: 10,
        },
        auxiliary,
    }
}

/// Images of pseudo-random bytes whose mean brightness depends on the label.
fn synthetic(count: usize, size: usize, seed: u64) -> ImageDataset {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let labels: Vec<u16> = (0..count).map(|i| (i % 10) as u16).collect();
    let mut images = Vec::with_capacity(count * 3 * size * size);
    for &label in &labels {
        for _ in 0..3 * size * size {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 58) as u8;
            images.push(noise + 20 * label as u8);
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

fn tiny_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        eval_batch_size: 32,
        cutout_length: Some(4),
        crop_padding: 2,
        seed: 7,
        ..TrainConfig::default()
    }
}

/// Collects the bits of every float tensor of a module (parameters and running statistics),
/// in visiting order.
fn parameter_bits(model: &NetworkModule) -> Vec<Vec<u32>> {
    struct Bits(Vec<Vec<u32>>);
    impl ModuleVisitor for Bits {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param
                .val()
                .into_data()
                .try_into_vec::<f32>()
                .expect("f32 tensor");
            self.0.push(values.iter().map(|v| v.to_bits()).collect());
        }
    }
    let mut bits = Bits(Vec::new());
    model.visit(&mut bits);
    bits.0
}

fn temporary_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rwenas-train-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

#[test]
fn cosine_schedule_values() {
    let base = 0.025;
    assert_eq!(cosine_learning_rate(base, 0.0, 0, 600), base);
    assert!((cosine_learning_rate(base, 0.0, 300, 600) - base / 2.0).abs() < 1e-12);
    assert!(cosine_learning_rate(base, 0.0, 600, 600).abs() < 1e-12);
    let quarter = base * (1.0 + std::f64::consts::FRAC_1_SQRT_2) / 2.0;
    assert!((cosine_learning_rate(base, 0.0, 150, 600) - quarter).abs() < 1e-12);
    let rates: Vec<f64> = (0..=600)
        .map(|e| cosine_learning_rate(base, 0.0, e, 600))
        .collect();
    assert!(rates.windows(2).all(|pair| pair[1] <= pair[0]));
    let config = TrainConfig::default();
    assert_eq!(config.learning_rate_at(0), 0.025);
    assert!((cosine_learning_rate(0.1, 0.01, 10, 10) - 0.01).abs() < 1e-12);
}

#[test]
fn default_config_matches_recipe() {
    let config = TrainConfig::default();
    assert_eq!(config.epochs, 600);
    assert_eq!(config.batch_size, 96);
    assert_eq!(config.learning_rate, 0.025);
    assert_eq!(config.momentum, 0.9);
    assert_eq!(config.dampening, 0.0);
    assert_eq!(config.weight_decay, 3e-4);
    assert_eq!(config.gradient_clip_norm, Some(5.0));
    assert_eq!(config.cutout_length, Some(16));
    assert_eq!(config.crop_padding, 4);
    assert!(config.horizontal_flip);
    assert_eq!(config.auxiliary_weight, 0.4);
    assert_eq!(config.drop_path_rate, 0.2);
    assert_eq!(config.label_smoothing, 0.0);
    assert_eq!(config.warmup_epochs, 0);
    assert_eq!(config.schedule, LearningRateSchedule::Cosine);
    assert!(config.validate().is_ok());
}

#[test]
fn auxiliary_loss_enters_with_weight() {
    let device = Device::flex();
    let network = small_network(8, true);
    let build = BuildConfig {
        norm: NormMode::BatchStatistics,
        ..BuildConfig::default()
    };
    let model = NetworkModule::init(&network, build, &device).expect("network builds");
    let data = synthetic(12, 8, 3);
    let indices: Vec<usize> = (0..12).collect();
    let normalization = rwenas_rwe::Normalization::from_dataset(&data, &indices).expect("stats");
    let images = normalization
        .batch(&data, &indices, &device)
        .expect("batch");
    let labels: Vec<i64> = data.labels.iter().map(|&l| i64::from(l)).collect();
    let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [12]), &device);

    let (total, _) = batch_loss(&model, images.clone(), targets.clone(), 0.4);
    let total = total.into_scalar::<f32>();

    let (logits, auxiliary) = model.forward_with_auxiliary(images);
    let criterion = CrossEntropyLossConfig::new().init(&device);
    let main = criterion
        .forward(logits, targets.clone())
        .into_scalar::<f32>();
    let auxiliary = criterion
        .forward(
            auxiliary.expect("the network has an auxiliary head"),
            targets,
        )
        .into_scalar::<f32>();
    assert!(auxiliary > 0.0);
    let expected = main + 0.4 * auxiliary;
    assert!(
        (total - expected).abs() < 1e-5,
        "total {total}, main {main} + 0.4 * auxiliary {auxiliary} = {expected}"
    );
}

#[test]
fn resume_matches_uninterrupted_bits() {
    let device = Device::flex();
    let network = small_network(8, true);
    let data = TrainData::new(synthetic(40, 8, 4), synthetic(20, 8, 5)).expect("data");

    let mut straight =
        Trainer::new(&network, data.clone(), tiny_config(2), &device).expect("trainer");
    straight.train_epoch().expect("epoch 0");
    straight.train_epoch().expect("epoch 1");

    let dir = temporary_dir("resume");
    let path = dir.join("checkpoint.bin");
    let mut first = Trainer::new(&network, data.clone(), tiny_config(2), &device)
        .expect("trainer")
        .with_checkpoint(&path);
    first.train_epoch().expect("epoch 0");
    first.save_checkpoint(&path).expect("checkpoint");
    drop(first);

    let mut resumed =
        Trainer::resume(&network, data, tiny_config(2), &device, &path).expect("resume");
    assert_eq!(resumed.epoch(), 1);
    resumed.train_epoch().expect("epoch 1");

    let expected = parameter_bits(&straight.model().valid());
    let actual = parameter_bits(&resumed.model().valid());
    assert_eq!(expected.len(), actual.len());
    for (index, (expected, actual)) in expected.iter().zip(&actual).enumerate() {
        assert_eq!(expected, actual, "tensor {index} differs after resuming");
    }
    assert_eq!(
        straight.evaluate_test().expect("test"),
        resumed.evaluate_test().expect("test")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn resume_rejects_other_config() {
    let device = Device::flex();
    let network = small_network(8, false);
    let data = TrainData::new(synthetic(20, 8, 4), synthetic(10, 8, 5)).expect("data");
    let dir = temporary_dir("config");
    let path = dir.join("checkpoint.bin");
    let mut trainer =
        Trainer::new(&network, data.clone(), tiny_config(2), &device).expect("trainer");
    trainer.train_epoch().expect("epoch 0");
    trainer.save_checkpoint(&path).expect("checkpoint");
    let other = TrainConfig {
        seed: 8,
        ..tiny_config(2)
    };
    let error = Trainer::resume(&network, data, other, &device, &path).expect_err("other seed");
    assert!(matches!(error, TrainError::Checkpoint { .. }));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_writes_checkpoint_and_csv() {
    let device = Device::flex();
    let network = small_network(8, false);
    let data = TrainData::new(synthetic(20, 8, 6), synthetic(10, 8, 7)).expect("data");
    let dir = temporary_dir("run");
    let checkpoint = dir.join("checkpoint.bin");
    let csv_path = dir.join("metrics.csv");
    let mut csv = MetricsCsv::create(&csv_path).expect("csv");
    let mut trainer = Trainer::new(&network, data, tiny_config(2), &device)
        .expect("trainer")
        .with_checkpoint(&checkpoint);
    let mut seen = Vec::new();
    let history = trainer
        .run(|metrics| {
            seen.push(metrics.train.epoch);
            csv.write(metrics).expect("csv line");
        })
        .expect("run");
    assert_eq!(seen, vec![0, 1]);
    assert_eq!(history.len(), 2);
    assert!(checkpoint.is_file());
    assert!(!dir.join("checkpoint.bin.tmp").exists());
    let text = std::fs::read_to_string(&csv_path).expect("csv text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], CSV_HEADER);
    // The CSV counts epochs from 1, as the `train` command prints them.
    assert!(lines[1].starts_with("1,0.025,"), "{lines:?}");
    assert!(lines[2].starts_with("2,"), "{lines:?}");
    for metrics in &history {
        assert!((0.0..=1.0).contains(&metrics.test_error));
        assert!(metrics.train.images_per_second > 0.0);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Returns the folder of the real CIFAR-10 binary batches: `$RWENAS_CIFAR10` or
/// `../shared/data/cifar10` beside the checkout, with `cifar-10-batches-bin` appended.
fn cifar_batches() -> PathBuf {
    let root = std::env::var_os("RWENAS_CIFAR10").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cifar10"),
        PathBuf::from,
    );
    let batches = root.join("cifar-10-batches-bin");
    assert!(
        batches.is_dir(),
        "CIFAR-10 not found at {}; set RWENAS_CIFAR10 to the folder that contains \
         cifar-10-batches-bin",
        batches.display()
    );
    batches
}

#[test]
fn cifar10_training_lowers_loss() {
    let source = DataSource::detect(&cifar_batches()).expect("CIFAR-10 detected");
    // 50 images per class: 500 training and 500 test images.
    let sets = source.load(Some(50)).expect("CIFAR-10 loads");
    assert_eq!(sets.train.len(), 500);
    let data = TrainData::new(sets.train, sets.test).expect("data");
    let config = TrainConfig {
        epochs: 4,
        learning_rate: 0.05,
        cutout_length: None,
        seed: 1,
        ..TrainConfig::default()
    };
    let mut trainer =
        Trainer::new(&small_network(32, false), data, config, &Device::flex()).expect("trainer");
    let losses: Vec<f64> = (0..4)
        .map(|_| trainer.train_epoch().expect("epoch").train_loss)
        .collect();
    assert!(losses.iter().all(|loss| loss.is_finite()));
    assert!(
        losses[3] < losses[0] - 0.05,
        "training loss did not fall: {losses:?}"
    );
    let error = trainer.evaluate_test().expect("test error");
    assert!((0.0..=1.0).contains(&error));
}

/// Builds DARTS V2 at 4 initial channels and 3 cells for 8x8 images, with its auxiliary
/// head off: a micro network whose backbone marks drop-path layers.
fn tiny_micro_network() -> Network {
    let genotype = catalogue::genotype("darts_v2").expect("catalogued genotype");
    let scale = MicroScale {
        initial_channels: 4,
        layers: 3,
        input_size: 8,
        ..MicroScale::search()
    };
    build_network(&genotype, &scale).expect("network builds")
}

fn tiny_micro_model() -> NetworkModule {
    let build = BuildConfig {
        norm: NormMode::Training,
        ..BuildConfig::default()
    };
    NetworkModule::init(&tiny_micro_network(), build, &Device::flex()).expect("network builds")
}

#[test]
fn learning_rate_warmup_and_exponential_decay() {
    let config = TrainConfig {
        epochs: 20,
        learning_rate: 0.1,
        warmup_epochs: 4,
        ..TrainConfig::default()
    };
    let warmup: Vec<f64> = (0..4).map(|epoch| config.learning_rate_at(epoch)).collect();
    for (epoch, rate) in warmup.iter().enumerate() {
        let expected = 0.1 * (epoch + 1) as f64 / 4.0;
        assert!((rate - expected).abs() < 1e-12, "epoch {epoch}: {rate}");
    }
    let cosine = cosine_learning_rate(0.1, 0.0, 4, 20);
    assert!((config.learning_rate_at(4) - cosine).abs() < 1e-12);

    let exponential = TrainConfig {
        schedule: LearningRateSchedule::Exponential { gamma: 0.97 },
        ..config.clone()
    };
    let expected = 0.1 * 0.97f64.powi(7);
    assert!((exponential.learning_rate_at(7) - expected).abs() < 1e-12);
    assert_eq!(exponential.learning_rate_at(2), warmup[2]);
}

#[test]
fn imagenet_preset_values() {
    let config = TrainConfig::imagenet();
    assert_eq!(config.epochs, 250);
    assert_eq!(config.batch_size, 128);
    assert_eq!(config.learning_rate, 0.1);
    assert_eq!(config.weight_decay, 3e-5);
    assert_eq!(config.gradient_clip_norm, Some(5.0));
    assert_eq!(config.auxiliary_weight, 0.4);
    assert_eq!(config.label_smoothing, 0.1);
    assert_eq!(config.warmup_epochs, 5);
    assert_eq!(config.drop_path_rate, 0.0);
    assert_eq!(config.cutout_length, None);
    assert_eq!(
        config.schedule,
        LearningRateSchedule::Exponential { gamma: 0.97 }
    );
    let jitter = config.color_jitter.expect("the preset jitters colours");
    assert_eq!(
        [
            jitter.brightness,
            jitter.contrast,
            jitter.saturation,
            jitter.hue
        ],
        [0.4, 0.4, 0.4, 0.2]
    );
    assert_eq!(config.resized_crop.scale, [0.08, 1.0]);
    assert!(config.validate().is_ok());
}

#[test]
fn invalid_recipe_values_rejected() {
    let cases = [
        (
            TrainConfig {
                drop_path_rate: 1.0,
                ..TrainConfig::default()
            },
            "drop_path_rate",
        ),
        (
            TrainConfig {
                label_smoothing: -0.1,
                ..TrainConfig::default()
            },
            "label_smoothing",
        ),
        (
            TrainConfig {
                schedule: LearningRateSchedule::Exponential { gamma: 0.0 },
                ..TrainConfig::default()
            },
            "schedule.gamma",
        ),
        (
            TrainConfig {
                learning_rate: -1.0,
                ..TrainConfig::default()
            },
            "learning_rate",
        ),
        (
            TrainConfig {
                batch_size: 0,
                ..TrainConfig::default()
            },
            "batch_size",
        ),
        (
            TrainConfig {
                eval_batch_size: 0,
                ..TrainConfig::default()
            },
            "eval_batch_size",
        ),
    ];
    for (config, expected) in cases {
        let error = config.validate().expect_err("invalid value");
        assert!(
            matches!(error, TrainError::InvalidSetting { setting, .. } if setting == expected),
            "{expected}: {error}"
        );
    }
}

#[test]
fn warmup_longer_than_run_rejected() {
    let config = TrainConfig {
        epochs: 1,
        warmup_epochs: 5,
        ..TrainConfig::default()
    };
    let error = config.validate().expect_err("warm-up beyond the run");
    let TrainError::InvalidSetting {
        setting,
        value,
        expected,
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(*setting, "warmup_epochs");
    assert_eq!(value, "5");
    assert_eq!(expected, "at most the 1 epoch of the run");
    let whole_run = TrainConfig {
        epochs: 5,
        ..config
    };
    assert!(whole_run.validate().is_ok());
}

#[test]
fn cutout_covering_image_rejected() {
    // A square of length 64 centred on any pixel of a 32x32 image masks rows
    // `center - 32` to `center + 32`, clipped, which is the whole image.
    let config = |length| TrainConfig {
        cutout_length: Some(length),
        ..TrainConfig::default()
    };
    for length in [64, 65, 100] {
        let error = config(length)
            .validate_for_image_size(32, 32)
            .expect_err("cutout over the whole image");
        assert!(
            matches!(&error, TrainError::InvalidSetting { setting: "cutout_length", value, .. } if *value == length.to_string()),
            "{error}"
        );
        assert!(error.to_string().contains("below 64"), "{error}");
        // The size-free check cannot know the image size.
        assert!(config(length).validate().is_ok());
    }
    for length in [1, 16, 63] {
        assert!(config(length).validate_for_image_size(32, 32).is_ok());
    }
    // The longer side decides: a 64-pixel square leaves columns of a 32x40 image unmasked.
    assert!(config(64).validate_for_image_size(32, 40).is_ok());
}

#[test]
fn trainer_rejects_cutout_over_images() {
    let network = small_network(8, false);
    let data = TrainData::new(synthetic(20, 8, 6), synthetic(10, 8, 7)).expect("data");
    let config = TrainConfig {
        cutout_length: Some(16),
        ..tiny_config(1)
    };
    let error = Trainer::new(&network, data, config, &Device::flex()).expect_err("cutout");
    assert!(
        matches!(
            error,
            TrainError::InvalidSetting {
                setting: "cutout_length",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn config_without_new_fields_loads() {
    let mut json = serde_json::to_value(TrainConfig::default()).expect("config serialises");
    let object = json.as_object_mut().expect("an object");
    for field in [
        "label_smoothing",
        "warmup_epochs",
        "schedule",
        "resized_crop",
        "color_jitter",
    ] {
        assert!(object.remove(field).is_some(), "{field} is serialised");
    }
    let loaded: TrainConfig = serde_json::from_value(json).expect("config loads");
    assert_eq!(loaded, TrainConfig::default());
}

#[test]
fn label_smoothing_mixes_uniform_target() {
    let device = Device::flex();
    let network = small_network(8, false);
    let build = BuildConfig {
        norm: NormMode::BatchStatistics,
        ..BuildConfig::default()
    };
    let model = NetworkModule::init(&network, build, &device).expect("network builds");
    let data = synthetic(12, 8, 3);
    let indices: Vec<usize> = (0..12).collect();
    let normalization = rwenas_rwe::Normalization::from_dataset(&data, &indices).expect("stats");
    let images = normalization
        .batch(&data, &indices, &device)
        .expect("batch");
    let labels: Vec<i64> = data.labels.iter().map(|&l| i64::from(l)).collect();
    let targets = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [12]), &device);

    let config = TrainConfig {
        label_smoothing: 0.1,
        ..TrainConfig::default()
    };
    let mut rng = StdRng::seed_from_u64(0);
    let mut hook = DropPath::new(0.0, &model.backbone, &mut rng);
    let (smoothed, _) = training_loss(&model, images.clone(), targets, &config, &mut hook);
    let smoothed = smoothed.into_scalar::<f32>();

    // With a = 0.1 and K = 10 classes: (1 - a) * -log p[true] + a / K * sum_k -log p[k],
    // averaged over the batch.
    let log_probs = burn::tensor::activation::log_softmax(model.forward(images), 1)
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32 logits");
    let mut expected = 0.0f64;
    for (row, &label) in log_probs.chunks_exact(10).zip(&labels) {
        let true_class = -f64::from(row[label as usize]);
        let all: f64 = row.iter().map(|&value| -f64::from(value)).sum();
        expected += 0.9 * true_class + 0.1 / 10.0 * all;
    }
    expected /= 12.0;
    assert!(
        (f64::from(smoothed) - expected).abs() < 1e-4,
        "smoothed loss {smoothed}, expected {expected}"
    );
}

#[test]
fn drop_path_zeroes_whole_samples_at_scheduled_rate() {
    let model = tiny_micro_model();
    let backbone = &model.backbone;
    let marked: Vec<usize> = (0..backbone.layers.len())
        .filter(|&layer| backbone.is_drop_path(layer))
        .collect();
    assert!(
        !marked.is_empty(),
        "the micro backbone marks drop-path layers"
    );
    let unmarked = (0..backbone.layers.len())
        .find(|&layer| !backbone.is_drop_path(layer))
        .expect("the stem is not a drop-path layer");

    let config = TrainConfig {
        epochs: 10,
        drop_path_rate: 0.3,
        ..TrainConfig::default()
    };
    let probability = config.drop_path_at(5);
    assert!((probability - 0.15).abs() < 1e-12);
    let scale = 1.0 / (1.0 - probability) as f32;

    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(11);
    let mut hook = DropPath::new(probability, backbone, &mut rng);
    let (draws, batch, values_per_sample) = (200, 32, 2 * 3 * 3);
    let mut zeroed = 0usize;
    for draw in 0..draws {
        let layer = marked[draw % marked.len()];
        let ones = Tensor::<4>::ones([batch, 2, 3, 3], &device);
        let output = rwenas_nn::LayerHook::after(&mut hook, layer, &backbone.layers[layer], ones);
        let values = output.into_data().try_into_vec::<f32>().expect("f32");
        for sample in values.chunks_exact(values_per_sample) {
            if sample.iter().all(|&value| value == 0.0) {
                zeroed += 1;
            } else {
                for &value in sample {
                    assert!(
                        (value - scale).abs() < 1e-6,
                        "a kept sample holds {value}, expected 1 / (1 - p) = {scale}"
                    );
                }
            }
        }
    }
    let samples = (draws * batch) as f64;
    let expected = samples * probability;
    let deviation = (samples * probability * (1.0 - probability)).sqrt();
    assert!(
        (zeroed as f64 - expected).abs() < 5.0 * deviation,
        "{zeroed} of {samples} samples dropped, expected about {expected}"
    );

    let ones = Tensor::<4>::ones([batch, 2, 3, 3], &device);
    let output = rwenas_nn::LayerHook::after(
        &mut hook,
        unmarked,
        &backbone.layers[unmarked],
        ones.clone(),
    );
    assert_eq!(
        output.into_data(),
        ones.into_data(),
        "unmarked layers are kept"
    );
}

#[test]
fn drop_path_rate_zero_changes_nothing() {
    let model = tiny_micro_model().with_norm(NormMode::BatchStatistics);
    let data = synthetic(8, 8, 9);
    let indices: Vec<usize> = (0..8).collect();
    let normalization = rwenas_rwe::Normalization::from_dataset(&data, &indices).expect("stats");
    let images = normalization
        .batch(&data, &indices, &Device::flex())
        .expect("batch");

    let (plain, _) = model.forward_with_auxiliary(images.clone());
    let mut rng = StdRng::seed_from_u64(5);
    let mut hook = DropPath::new(0.0, &model.backbone, &mut rng);
    let (hooked, _) = model.forward_with_auxiliary_hooked(images.clone(), &mut hook);
    assert_eq!(plain.into_data(), hooked.into_data());
    assert_eq!(
        rng.next_u64(),
        StdRng::seed_from_u64(5).next_u64(),
        "a probability of 0 draws nothing"
    );

    let mut rng = StdRng::seed_from_u64(5);
    let mut hook = DropPath::new(0.5, &model.backbone, &mut rng);
    let (dropped, _) = model.forward_with_auxiliary_hooked(images.clone(), &mut hook);
    let (plain, _) = model.forward_with_auxiliary(images);
    assert_ne!(
        plain.into_data(),
        dropped.into_data(),
        "p = 0.5 changes the logits"
    );
}

#[test]
fn drop_path_training_resumes_bit_identical() {
    let device = Device::flex();
    let network = tiny_micro_network();
    let data = TrainData::new(synthetic(16, 8, 12), synthetic(8, 8, 13)).expect("data");
    let config = |rate: f64| TrainConfig {
        epochs: 2,
        batch_size: 8,
        eval_batch_size: 8,
        crop_padding: 1,
        cutout_length: Some(2),
        drop_path_rate: rate,
        seed: 3,
        ..TrainConfig::default()
    };

    let dir = temporary_dir("drop-path");
    let path = dir.join("checkpoint.bin");
    let mut dropping = Trainer::new(&network, data.clone(), config(0.5), &device).expect("trainer");
    let mut plain = Trainer::new(&network, data.clone(), config(0.0), &device).expect("trainer");
    dropping.train_epoch().expect("epoch 0");
    plain.train_epoch().expect("epoch 0");
    // Epoch 0 drops with probability 0.5 * 0 / 2 = 0.
    assert_eq!(
        parameter_bits(&dropping.model().valid()),
        parameter_bits(&plain.model().valid()),
        "epoch 0 drops nothing"
    );
    dropping.save_checkpoint(&path).expect("checkpoint");
    dropping.train_epoch().expect("epoch 1");
    plain.train_epoch().expect("epoch 1");
    let expected = parameter_bits(&dropping.model().valid());
    assert_ne!(
        expected,
        parameter_bits(&plain.model().valid()),
        "epoch 1 drops paths with probability 0.25"
    );

    let mut resumed = Trainer::resume(&network, data, config(0.5), &device, &path).expect("resume");
    resumed.train_epoch().expect("epoch 1");
    let actual = parameter_bits(&resumed.model().valid());
    assert_eq!(expected.len(), actual.len());
    for (index, (expected, actual)) in expected.iter().zip(&actual).enumerate() {
        assert_eq!(expected, actual, "tensor {index} differs after resuming");
    }
    std::fs::remove_dir_all(&dir).ok();
}
