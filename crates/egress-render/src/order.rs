//! The output order of SPEC §7, in one place: package-owned objects by
//! package, then the waypoint, the ambient per-host objects and the sidecar
//! per-host objects, hosts in byte order.

use crate::placed::Placed;

/// Put objects in SPEC §7 order. Stable, so objects of one slot keep the
/// order they were built in.
pub(crate) fn in_spec_order(placed: &mut [Placed]) {
    placed.sort_by(|a, b| a.slot.cmp(&b.slot));
}
