//! Each proxy on a network small enough to compute its value by hand. The network is a 1x1
//! convolution (2 to 3 channels), a ReLU, global average pooling and a linear classifier
//! (3 to 2 classes) on 2x2 images. The expected values are computed in f64 from the
//! module's weights.

use burn::tensor::{Device, Distribution, Tensor};
use rwenas_nn::{BuildConfig, LayerModule, NetworkModule};
use rwenas_proxies::{
    Proxy, ProxyBatch, ProxyError, correlation_matrix, log_abs_determinant, symmetric_eigenvalues,
};
use rwenas_space::network::{Classifier, Graph, Layer, Network};

const IN: usize = 2;
const HIDDEN: usize = 3;
const CLASSES: usize = 2;
const PIXELS: usize = 4;

fn tiny_network(with_norm: bool) -> Network {
    let mut graph = Graph::new();
    let mut layers = vec![Layer::Conv2d {
        in_channels: IN,
        out_channels: HIDDEN,
        kernel: [1, 1],
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
        groups: 1,
        bias: false,
    }];
    if with_norm {
        layers.push(Layer::BatchNorm2d { channels: HIDDEN });
    }
    layers.extend([Layer::Relu, Layer::GlobalAvgPool]);
    graph.output = graph.chain(layers, 0);
    Network {
        input: [IN, 2, 2],
        backbone: graph,
        classifier: Classifier {
            in_features: HIDDEN,
            classes: CLASSES,
        },
        auxiliary: None,
    }
}

/// The tiny network's parameters in f64: `w1[c][i]`, `w2[c][k]` (Burn's `[in, out]`
/// layout) and `b[k]`.
#[derive(Clone, Debug)]
struct Params {
    w1: Vec<f64>,
    w2: Vec<f64>,
    b: Vec<f64>,
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .inner()
        .into_data()
        .iter::<f32>()
        .map(f64::from)
        .collect()
}

fn params(model: &NetworkModule) -> Params {
    let LayerModule::Conv2d(conv) = &model.backbone.layers[0] else {
        panic!("the first layer is the convolution")
    };
    Params {
        w1: values(conv.weight.val()),
        w2: values(model.classifier.weight.val()),
        b: values(model.classifier.bias.as_ref().expect("bias").val()),
    }
}

/// Images as `x[n][i][p]`, `p` the pixel.
struct Images {
    count: usize,
    x: Vec<f64>,
}

impl Images {
    fn at(&self, n: usize, i: usize, p: usize) -> f64 {
        self.x[(n * IN + i) * PIXELS + p]
    }
}

/// Pre-activations `h[n][c][p]` of the convolution.
fn conv(params: &Params, images: &Images) -> Vec<f64> {
    let mut h = vec![0.0; images.count * HIDDEN * PIXELS];
    for n in 0..images.count {
        for c in 0..HIDDEN {
            for p in 0..PIXELS {
                h[(n * HIDDEN + c) * PIXELS + p] = (0..IN)
                    .map(|i| params.w1[c * IN + i] * images.at(n, i, p))
                    .sum();
            }
        }
    }
    h
}

/// Pooled features `f[n][c]` and logits `z[n][k]`.
fn head(params: &Params, h: &[f64], count: usize) -> (Vec<f64>, Vec<f64>) {
    let mut f = vec![0.0; count * HIDDEN];
    for n in 0..count {
        for c in 0..HIDDEN {
            f[n * HIDDEN + c] = (0..PIXELS)
                .map(|p| h[(n * HIDDEN + c) * PIXELS + p].max(0.0))
                .sum::<f64>()
                / PIXELS as f64;
        }
    }
    let mut z = vec![0.0; count * CLASSES];
    for n in 0..count {
        for k in 0..CLASSES {
            z[n * CLASSES + k] = params.b[k]
                + (0..HIDDEN)
                    .map(|c| f[n * HIDDEN + c] * params.w2[c * CLASSES + k])
                    .sum::<f64>();
        }
    }
    (f, z)
}

/// `dL/dz` of the mean cross-entropy.
fn logit_gradient(z: &[f64], labels: &[usize]) -> Vec<f64> {
    let count = labels.len();
    let mut g = vec![0.0; z.len()];
    for n in 0..count {
        let row = &z[n * CLASSES..(n + 1) * CLASSES];
        let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = row.iter().map(|v| (v - max).exp()).sum();
        for k in 0..CLASSES {
            let p = (row[k] - max).exp() / total;
            g[n * CLASSES + k] = (p - f64::from(u8::from(labels[n] == k))) / count as f64;
        }
    }
    g
}

/// Loss gradients `(dL/dw1, dL/dw2, dL/dh)`.
fn gradients(params: &Params, images: &Images, labels: &[usize]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let count = images.count;
    let h = conv(params, images);
    let (f, z) = head(params, &h, count);
    let gz = logit_gradient(&z, labels);
    let mut gw2 = vec![0.0; HIDDEN * CLASSES];
    let mut gh = vec![0.0; h.len()];
    for n in 0..count {
        for c in 0..HIDDEN {
            let gf: f64 = (0..CLASSES)
                .map(|k| gz[n * CLASSES + k] * params.w2[c * CLASSES + k])
                .sum();
            for k in 0..CLASSES {
                gw2[c * CLASSES + k] += f[n * HIDDEN + c] * gz[n * CLASSES + k];
            }
            for p in 0..PIXELS {
                let index = (n * HIDDEN + c) * PIXELS + p;
                if h[index] > 0.0 {
                    gh[index] = gf / PIXELS as f64;
                }
            }
        }
    }
    let mut gw1 = vec![0.0; HIDDEN * IN];
    for n in 0..count {
        for c in 0..HIDDEN {
            for i in 0..IN {
                gw1[c * IN + i] += (0..PIXELS)
                    .map(|p| gh[(n * HIDDEN + c) * PIXELS + p] * images.at(n, i, p))
                    .sum::<f64>();
            }
        }
    }
    (gw1, gw2, gh)
}

struct Case {
    model: NetworkModule,
    params: Params,
    images: Images,
    labels: Vec<usize>,
    batch: ProxyBatch,
}

fn case(seed: u64, with_norm: bool) -> Case {
    let device = Device::flex().autodiff();
    let config = BuildConfig {
        seed,
        ..BuildConfig::default()
    };
    let model = NetworkModule::init(&tiny_network(with_norm), config, &device).unwrap();
    let count = 4;
    let images = Tensor::<4>::random(
        [count, IN, 2, 2],
        Distribution::Normal(0.0, 1.0),
        &Device::flex(),
    );
    let labels = vec![0, 1, 1, 0];
    Case {
        params: params(&model),
        images: Images {
            count,
            x: values(images.clone()),
        },
        batch: ProxyBatch::new(images, labels.clone(), CLASSES).unwrap(),
        labels,
        model,
    }
}

fn assert_close(actual: f64, expected: f64, tolerance: f64) {
    let scale = expected.abs().max(1e-6);
    assert!(
        (actual - expected).abs() <= tolerance * scale,
        "got {actual}, expected {expected}"
    );
}

#[test]
fn snip_and_grad_norm_match_hand_gradients() {
    for seed in 0..3 {
        let Case {
            model,
            params,
            images,
            labels,
            batch,
        } = case(seed, false);
        let (gw1, gw2, _) = gradients(&params, &images, &labels);
        let snip: f64 = params
            .w1
            .iter()
            .zip(&gw1)
            .chain(params.w2.iter().zip(&gw2))
            .map(|(w, g)| (w * g).abs())
            .sum();
        assert_close(Proxy::Snip.score(&model, &batch).unwrap(), snip, 1e-4);
        let norm = |g: &[f64]| g.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert_close(
            Proxy::GradNorm.score(&model, &batch).unwrap(),
            norm(&gw1) + norm(&gw2),
            1e-4,
        );
    }
}

#[test]
fn grasp_matches_a_finite_difference_hessian() {
    for seed in 0..3 {
        let Case {
            model,
            params,
            images,
            labels,
            batch,
        } = case(seed, false);
        // H g by central differences of the exact gradient along g, in f64.
        let (gw1, gw2, _) = gradients(&params, &images, &labels);
        let step = 1e-6;
        let shifted = |sign: f64| {
            let mut moved = params.clone();
            moved
                .w1
                .iter_mut()
                .zip(&gw1)
                .for_each(|(w, g)| *w += sign * step * g);
            moved
                .w2
                .iter_mut()
                .zip(&gw2)
                .for_each(|(w, g)| *w += sign * step * g);
            let (a, b, _) = gradients(&moved, &images, &labels);
            a.into_iter().chain(b).collect::<Vec<f64>>()
        };
        let (plus, minus) = (shifted(1.0), shifted(-1.0));
        let theta: Vec<f64> = params.w1.iter().chain(&params.w2).copied().collect();
        let expected: f64 = theta
            .iter()
            .zip(plus.iter().zip(&minus))
            .map(|(w, (p, m))| -w * (p - m) / (2.0 * step))
            .sum();
        assert_close(Proxy::Grasp.score(&model, &batch).unwrap(), expected, 1e-3);
    }
}

#[test]
fn fisher_matches_activation_times_gradient() {
    for seed in 0..3 {
        let Case {
            model,
            params,
            images,
            labels,
            batch,
        } = case(seed, false);
        let count = images.count;
        let h = conv(&params, &images);
        let (_, z) = head(&params, &h, count);
        let gz = logit_gradient(&z, &labels);
        let (_, _, gh) = gradients(&params, &images, &labels);
        let mut expected = 0.0;
        for c in 0..HIDDEN {
            let squares: f64 = (0..count)
                .map(|n| {
                    (0..PIXELS)
                        .map(|p| {
                            let index = (n * HIDDEN + c) * PIXELS + p;
                            h[index] * gh[index]
                        })
                        .sum::<f64>()
                        .powi(2)
                })
                .sum();
            expected += 0.5 * squares / count as f64;
        }
        for k in 0..CLASSES {
            let squares: f64 = (0..count)
                .map(|n| (z[n * CLASSES + k] * gz[n * CLASSES + k]).powi(2))
                .sum();
            expected += 0.5 * squares / count as f64;
        }
        assert_close(Proxy::Fisher.score(&model, &batch).unwrap(), expected, 1e-4);
    }
}

#[test]
fn jacob_cov_matches_hand_jacobians() {
    for seed in 0..3 {
        let Case {
            model,
            params,
            images,
            batch,
            ..
        } = case(seed, false);
        let count = images.count;
        let h = conv(&params, &images);
        // d(sum of logits)/dx[n][i][p] = sum_c (sum_k w2[c][k]) [h > 0] / P * w1[c][i]
        let mut jacobians = vec![0.0; count * IN * PIXELS];
        for n in 0..count {
            for i in 0..IN {
                for p in 0..PIXELS {
                    jacobians[(n * IN + i) * PIXELS + p] = (0..HIDDEN)
                        .filter(|&c| h[(n * HIDDEN + c) * PIXELS + p] > 0.0)
                        .map(|c| {
                            let out: f64 = (0..CLASSES).map(|k| params.w2[c * CLASSES + k]).sum();
                            out * params.w1[c * IN + i] / PIXELS as f64
                        })
                        .sum();
                }
            }
        }
        let correlation = correlation_matrix(&jacobians, count, IN * PIXELS);
        let expected: f64 = -symmetric_eigenvalues(&correlation, count)
            .iter()
            .map(|v| (v + 1e-5).ln() + 1.0 / (v + 1e-5))
            .sum::<f64>();
        match Proxy::JacobCov.score(&model, &batch) {
            Ok(score) => assert_close(score, expected, 1e-3),
            // A constant Jacobian row (every unit of an image inactive) has no correlation.
            Err(ProxyError::NotFinite { .. }) => assert!(!expected.is_finite()),
            Err(other) => panic!("{other}"),
        }
    }
}

#[test]
fn synflow_bypasses_batch_norm_and_uses_absolute_weights() {
    for seed in 0..3 {
        let Case { model, params, .. } = case(seed, true);
        // All-ones input, |w|: h[c] = sum_i |w1[c][i]| at every pixel (positive, so the ReLU
        // passes it), f[c] = h[c], R = sum_k (|b[k]| + sum_c f[c] |w2[c][k]|).
        let h: Vec<f64> = (0..HIDDEN)
            .map(|c| (0..IN).map(|i| params.w1[c * IN + i].abs()).sum())
            .collect();
        let mut expected = 0.0;
        for (c, &pooled) in h.iter().enumerate() {
            let out: f64 = (0..CLASSES).map(|k| params.w2[c * CLASSES + k].abs()).sum();
            // dR/dw2[c][k] = f[c]; dR/dw1[c][i] = out[c], since dh[c]/dw1[c][i] = 1 per pixel
            // and pooling averages the 4 equal pixels.
            expected += pooled * out;
            expected += (0..IN)
                .map(|i| params.w1[c * IN + i].abs() * out)
                .sum::<f64>();
        }
        let batch = ProxyBatch::new(
            Tensor::zeros([2, IN, 2, 2], &Device::flex()),
            vec![0, 1],
            CLASSES,
        )
        .unwrap();
        assert_close(
            Proxy::Synflow.score(&model, &batch).unwrap(),
            expected,
            1e-9,
        );
    }
}

#[test]
fn naswot_counts_agreeing_relu_units() {
    for seed in 0..3 {
        let Case {
            model,
            params,
            images,
            batch,
            ..
        } = case(seed, false);
        let count = images.count;
        let h = conv(&params, &images);
        let units = HIDDEN * PIXELS;
        let mut kernel = vec![0.0; count * count];
        for a in 0..count {
            for b in 0..count {
                kernel[a * count + b] = (0..units)
                    .filter(|&u| (h[a * units + u] > 0.0) == (h[b * units + u] > 0.0))
                    .count() as f64;
            }
        }
        // The diagonal counts every unit.
        assert!((0..count).all(|a| kernel[a * count + a] == units as f64));
        let expected = log_abs_determinant(&kernel, count);
        match Proxy::Naswot.score(&model, &batch) {
            Ok(score) => assert_close(score, expected, 1e-9),
            Err(ProxyError::NotFinite { .. }) => assert!(!expected.is_finite()),
            Err(other) => panic!("{other}"),
        }
    }
}

#[test]
fn naswot_of_two_opposite_images() {
    // One image positive everywhere, one negative everywhere, through a 1x1 convolution whose
    // three channels all have positive weights: the codes disagree on all 12 units, so
    // K = [[12, 0], [0, 12]] and log det K = 2 log 12.
    let device = Device::flex();
    let mut model =
        NetworkModule::init(&tiny_network(false), BuildConfig::default(), &device).unwrap();
    if let LayerModule::Conv2d(conv) = &mut model.backbone.layers[0] {
        conv.weight = conv.weight.clone().map(|weight| weight.abs());
    }
    let positive = Tensor::<4>::ones([1, IN, 2, 2], &device);
    let images = Tensor::cat(vec![positive.clone(), positive.neg()], 0);
    let batch = ProxyBatch::new(images, vec![0, 1], CLASSES).unwrap();
    assert_close(
        Proxy::Naswot.score(&model, &batch).unwrap(),
        2.0 * 12f64.ln(),
        1e-12,
    );
}

#[test]
fn gradient_proxies_need_autodiff() {
    let device = Device::flex();
    let model = NetworkModule::init(&tiny_network(false), BuildConfig::default(), &device).unwrap();
    let batch =
        ProxyBatch::new(Tensor::zeros([2, IN, 2, 2], &device), vec![0, 1], CLASSES).unwrap();
    let error = Proxy::Snip.score(&model, &batch).unwrap_err();
    assert!(error.to_string().contains("autodiff"), "{error}");
}

#[test]
fn bad_batches_are_rejected() {
    let device = Device::flex();
    let one = ProxyBatch::new(Tensor::zeros([1, IN, 2, 2], &device), vec![0], CLASSES);
    assert!(matches!(one, Err(ProxyError::InvalidBatch(_))));
    let label =
        ProxyBatch::new(Tensor::zeros([2, IN, 2, 2], &device), vec![0, 2], CLASSES).unwrap_err();
    assert!(label.to_string().contains("label 2"), "{label}");
    let model = NetworkModule::init(
        &tiny_network(false),
        BuildConfig::default(),
        &device.clone().autodiff(),
    )
    .unwrap();
    let channels =
        ProxyBatch::new(Tensor::zeros([2, 3, 2, 2], &device), vec![0, 1], CLASSES).unwrap();
    let error = Proxy::Snip.score(&model, &channels).unwrap_err();
    assert!(error.to_string().contains("3 channels"), "{error}");
}

#[test]
fn names_round_trip() {
    for proxy in Proxy::ALL {
        assert_eq!(proxy.name().parse::<Proxy>().unwrap(), proxy);
    }
    let error = "synflw".parse::<Proxy>().unwrap_err();
    assert!(error.to_string().contains("synflw"));
}
