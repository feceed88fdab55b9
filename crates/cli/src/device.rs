//! Parsing of the `--device` option.

use burn::tensor::Device;

use crate::CliError;

/// Parses `cpu`, `wgpu` or `cuda:N` into a device of a backend compiled into this binary.
pub fn parse(name: &str) -> Result<Device, CliError> {
    match name {
        "cpu" | "flex" => cpu(),
        "wgpu" => wgpu(),
        _ => match name.strip_prefix("cuda") {
            Some(rest) => {
                let index = match rest.strip_prefix(':') {
                    Some(index) => index.parse::<usize>().map_err(|_| {
                        CliError::new(format!("invalid CUDA device index in `{name}`"))
                            .with_hint("write the device as cuda:0, cuda:1, ...")
                    })?,
                    None if rest.is_empty() => 0,
                    None => return Err(unknown(name)),
                };
                cuda(index)
            }
            None => Err(unknown(name)),
        },
    }
}

fn unknown(name: &str) -> CliError {
    CliError::new(format!("unknown device `{name}`")).with_hint("use cpu, wgpu or cuda:N")
}

#[cfg(feature = "flex")]
fn cpu() -> Result<Device, CliError> {
    Ok(Device::flex())
}

#[cfg(not(feature = "flex"))]
fn cpu() -> Result<Device, CliError> {
    Err(missing("cpu", "flex"))
}

#[cfg(feature = "wgpu")]
fn wgpu() -> Result<Device, CliError> {
    Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu() -> Result<Device, CliError> {
    Err(missing("wgpu", "wgpu"))
}

#[cfg(feature = "cuda")]
fn cuda(index: usize) -> Result<Device, CliError> {
    Ok(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_index: usize) -> Result<Device, CliError> {
    Err(missing("cuda", "cuda"))
}

#[allow(dead_code)]
fn missing(device: &str, feature: &str) -> CliError {
    CliError::new(format!(
        "device `{device}` is not compiled into this binary"
    ))
    .with_hint(format!(
        "rebuild with `cargo build --release -p rwenas-cli --features {feature}`"
    ))
}
