//! Render options (SPEC §3, §9). `Options::default()` renders what the
//! newest known UDS Core release creates.

use crate::model::Mode;
use crate::release::Release;

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The UDS Core release whose operator's output is rendered (SPEC §3).
    /// Default: [`Release::LATEST`].
    pub uds_core: Release,
    /// The mode of packages that do not set `spec.network.serviceMesh.mode`;
    /// `None` (the default) takes the release's default mode.
    pub default_mode: Option<Mode>,
    /// The namespace of Packages without `metadata.namespace` (CLI `-n`).
    pub default_namespace: Option<String>,
    /// The `uds/generation` label of shared objects. Default: 1.
    pub shared_generation: u64,
    /// The ports the sidecar egress gateway exposes; a sidecar rule on
    /// another port fails, as the operator fails it. Default: 80, 443.
    pub gateway_ports: Vec<u16>,
    /// Render the NetworkPolicy of every remoteHost rule (SPEC §6.3).
    /// Default: true.
    pub network_policies: bool,
    /// Which objects [`crate::render`] returns. Default: all of them.
    pub objects: ObjectSet,
}

/// Which rendered objects to return (CLI `--objects`).
///
/// Package-owned objects depend only on their own Package; shared objects
/// (the ambient waypoint, the central per-host ambient objects and the
/// sidecar egress gateway's per-host objects) on every Package of their
/// mode. A run over part of a fleet renders its package-owned objects
/// exactly, but partial shared objects: render those from the whole fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ObjectSet {
    /// Every object, in SPEC §7 order.
    #[default]
    All,
    /// Only the objects in the Packages' own namespaces.
    Package,
    /// Only the shared objects: the waypoint and the per-host objects.
    Shared,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            uds_core: Release::LATEST,
            default_mode: None,
            default_namespace: None,
            shared_generation: 1,
            gateway_ports: vec![80, 443],
            network_policies: true,
            objects: ObjectSet::All,
        }
    }
}
