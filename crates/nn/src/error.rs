use rwenas_space::SpaceError;

/// Errors of building a network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NnError {
    /// The network description is invalid.
    #[error(transparent)]
    Network(#[from] SpaceError),
}
