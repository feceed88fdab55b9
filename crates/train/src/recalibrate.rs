//! Batch norm recalibration: running statistics recomputed from training images with the
//! current weights.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::nn::BatchNorm;
use burn::tensor::{Device, Tensor, TensorData};
use rwenas_nn::{LayerHook, LayerModule, NetworkModule, NormMode};

use crate::{TrainConfig, TrainData, TrainError};

/// Returns `model` with the running mean and variance of every backbone batch norm replaced
/// by the mean of its batch statistics over the first `config.bn_recalibration_images`
/// training images, without augmentation, in batches of `config.batch_size`. Each batch is
/// weighted by its size. `device` is the device of `model`. With 0 recalibration images
/// the model is returned unchanged.
///
/// # Errors
///
/// [`TrainError::Data`] from batching.
pub(crate) fn recalibrate(
    model: &NetworkModule,
    data: &TrainData,
    config: &TrainConfig,
    device: &Device,
) -> Result<NetworkModule, TrainError> {
    let count = config.bn_recalibration_images.min(data.train.len());
    if count == 0 {
        return Ok(model.clone());
    }
    // `valid` also merges the pending running statistics update of the last training step
    // into the stored value, so that the merge cannot overwrite the replacement later.
    let plain = model.valid().with_norm(NormMode::BatchStatistics);
    let plain_device = device.clone().inner();
    let indices: Vec<usize> = (0..count).collect();
    let mut moments = BatchMoments::default();
    for chunk in indices.chunks(config.batch_size) {
        let images = data
            .normalization
            .batch(&data.train, chunk, &plain_device)?;
        moments.weight = chunk.len() as f64 / count as f64;
        let _ = plain.forward_hooked(images, &mut moments);
    }
    let mut replace = ReplaceStatistics {
        values: moments.statistics,
        device: device.clone(),
    };
    Ok(model.clone().map(&mut replace))
}

/// Accumulates, for every batch norm a forward pass runs, the weighted per-channel mean and
/// population variance of its input batches, keyed by the ids of its running statistics.
#[derive(Default)]
struct BatchMoments {
    /// Weight of the current batch: its share of the recalibration images.
    weight: f64,
    statistics: HashMap<ParamId, Vec<f64>>,
}

impl LayerHook for BatchMoments {
    fn before(
        &mut self,
        _layer: usize,
        module: &LayerModule,
        input: &Tensor<4>,
    ) -> Option<Tensor<4>> {
        let LayerModule::BatchNorm(bn) = module else {
            return None;
        };
        let [batch, channels, height, width] = input.dims();
        let values = input
            .clone()
            .into_data()
            .try_into_vec::<f32>()
            .expect("network tensors are f32");
        let plane = height * width;
        let count = (batch * plane) as f64;
        let mut means = vec![0f64; channels];
        let mut variances = vec![0f64; channels];
        for channel in 0..channels {
            let planes = (0..batch).map(|image| {
                let start = (image * channels + channel) * plane;
                &values[start..start + plane]
            });
            let mean = planes.clone().flatten().map(|&x| f64::from(x)).sum::<f64>() / count;
            let squares: f64 = planes
                .flatten()
                .map(|&x| (f64::from(x) - mean).powi(2))
                .sum();
            means[channel] = mean;
            variances[channel] = squares / count;
        }
        for (id, batch_values) in running_statistic_ids(bn)
            .into_iter()
            .zip([means, variances])
        {
            let total = self
                .statistics
                .entry(id)
                .or_insert_with(|| vec![0.0; channels]);
            for (total, value) in total.iter_mut().zip(batch_values) {
                *total += self.weight * value;
            }
        }
        None
    }
}

/// Returns the ids of the running mean and the running variance of `bn`.
fn running_statistic_ids(bn: &BatchNorm) -> Vec<ParamId> {
    struct Ids(Vec<ParamId>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id);
        }
    }
    let mut ids = Ids(Vec::with_capacity(2));
    bn.running_mean.visit(&mut ids);
    bn.running_var.visit(&mut ids);
    ids.0
}

/// Mapper that replaces the values of the tensors whose ids are keys of `values`.
struct ReplaceStatistics {
    values: HashMap<ParamId, Vec<f64>>,
    device: Device,
}

impl ModuleMapper for ReplaceStatistics {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(values) = self.values.remove(&param.id) else {
            return param;
        };
        let shape = param.shape();
        let values: Vec<f32> = values.into_iter().map(|value| value as f32).collect();
        let tensor = Tensor::from_data(TensorData::new(values, shape), &self.device);
        Param::initialized(param.id, tensor)
    }
}
