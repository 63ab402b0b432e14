//! Render options (SPEC §3, §5, §6), with the defaults UDS Core uses today.

use crate::model::Mode;

/// Who an ambient rule without a `serviceAccount` admits (SPEC §5, §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnscopedIdentity {
    /// The namespace's `default` service account, as the UDS docs state.
    #[default]
    DefaultServiceAccount,
    /// Every workload in the namespace, as UDS Core's operator does.
    Namespace,
}

/// How to render. `Options::default()` matches current UDS Core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The mode of packages that do not set `spec.network.serviceMesh.mode`.
    /// Default: ambient.
    pub default_mode: Mode,
    /// The SPIFFE trust domain of AuthorizationPolicy principals.
    /// Default: `cluster.local`.
    pub trust_domain: String,
    /// Who an ambient rule without a service account admits.
    /// Default: the `default` service account.
    pub unscoped_identity: UnscopedIdentity,
    /// The `uds/generation` label of shared objects. Default: 1.
    pub shared_generation: u64,
    /// The ports the sidecar egress gateway exposes; sidecar rules on other
    /// ports get a warning. Default: 80, 443.
    pub gateway_ports: Vec<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_mode: Mode::Ambient,
            trust_domain: "cluster.local".to_string(),
            unscoped_identity: UnscopedIdentity::DefaultServiceAccount,
            shared_generation: 1,
            gateway_ports: vec![80, 443],
        }
    }
}
