//! From plan to objects (SPEC §5, §6): which builder makes what, by mode
//! and release, in one place.

use crate::model::Mode;
use crate::placed::Placed;
use crate::plan::Plan;
use crate::{ambient, netpol, sidecar};

/// Every object the chosen release's operator creates for the plan, in
/// build order (the output order is set by `order`).
pub(crate) fn objects<'a>(plan: &Plan<'a>) -> Vec<Placed<'a>> {
    let mut out = Vec::new();
    for (index, e) in plan.packages.iter().enumerate() {
        match e.mode {
            Mode::Ambient if !plan.behaviour.central_ambient => {
                out.extend(ambient::per_package_objects(e, index, plan));
            }
            Mode::Ambient => {}
            Mode::Sidecar => out.extend(sidecar::package_objects(e, index, plan)),
        }
        if plan.options.network_policies {
            out.extend(netpol::package_network_policies(e, index, &plan.behaviour));
        }
    }
    out.extend(ambient::waypoint(plan));
    if plan.behaviour.central_ambient {
        out.extend(ambient::central_objects(plan));
    }
    out.extend(sidecar::shared_objects(plan));
    out
}
