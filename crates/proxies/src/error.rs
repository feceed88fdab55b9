//! Errors of the zero-cost proxies.

/// An error of a proxy that could not score a network.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The minibatch does not fit the network or the proxy.
    #[error("invalid minibatch: {0}")]
    InvalidBatch(String),
    /// The proxy needs gradients, but the network is not on an autodiff device.
    #[error(
        "proxy {proxy} needs gradients, but the network is on a device without autodiff; \
         build it on `device.autodiff()`"
    )]
    NoAutodiff {
        /// The proxy's name.
        proxy: &'static str,
    },
    /// The computation gave a value that is not a finite number.
    #[error("proxy {proxy} is not finite ({value}): {reason}")]
    NotFinite {
        /// The proxy's name.
        proxy: &'static str,
        /// The value computed.
        value: f64,
        /// The cause of the non-finite value.
        reason: String,
    },
    /// A proxy name that is not known.
    #[error(
        "unknown proxy {0:?}; expected one of synflow, snip, grasp, fisher, grad_norm, jacob_cov, naswot"
    )]
    UnknownProxy(String),
}
