//! Object pieces every builder shares: metadata of package-owned and shared
//! objects (SPEC §4) and the ServiceEntry.

use crate::manifest::{
    Manifest, ObjectMeta, OwnerReference, ServiceEntry, ServiceEntrySpec, ServicePort, StringMap,
};
use crate::model::Package;
use crate::names;
use crate::normalize::{Egress, Pair};
use crate::options::Options;
use crate::placed::{OwnedGroup, Placed, Slot};

/// Metadata of an object a package owns.
pub(crate) fn package_meta(pkg: &Package, name: String) -> ObjectMeta {
    // Room for the labels callers add.
    let mut labels = StringMap::new();
    labels.insert("uds/package".to_string(), pkg.name.clone());
    labels.insert("uds/generation".to_string(), pkg.generation.to_string());
    ObjectMeta {
        name,
        namespace: pkg.namespace.clone(),
        labels,
        annotations: StringMap::new(),
        owner_references: pkg
            .uid
            .iter()
            .map(|uid| OwnerReference {
                api_version: "uds.dev/v1alpha1",
                kind: "Package",
                name: pkg.name.clone(),
                uid: uid.clone(),
            })
            .collect(),
    }
}

/// Metadata of a shared object: `uds/package` naming the shared resource
/// set, and one ownership annotation per contributing package, sorted.
pub(crate) fn shared_meta<'a>(
    name: String,
    namespace: &str,
    uds_package: &str,
    users: impl IntoIterator<Item = &'a Package>,
    options: &Options,
) -> ObjectMeta {
    let mut labels = StringMap::new();
    labels.insert("uds/package".to_string(), uds_package.to_string());
    labels.insert(
        "uds/generation".to_string(),
        options.shared_generation.to_string(),
    );
    ObjectMeta {
        name,
        namespace: namespace.to_string(),
        labels,
        annotations: users
            .into_iter()
            .map(|p| {
                (
                    names::user_annotation(&p.name, &p.namespace),
                    "user".to_string(),
                )
            })
            .collect::<StringMap>()
            .sorted(),
        owner_references: Vec::new(),
    }
}

/// The labels that bind a ServiceEntry to the shared egress waypoint.
pub(crate) fn bind_to_waypoint(meta: &mut ObjectMeta) {
    for (k, v) in [
        ("istio.io/use-waypoint", names::WAYPOINT_NAME),
        ("istio.io/use-waypoint-namespace", names::AMBIENT_NAMESPACE),
    ] {
        meta.labels.insert(k.to_string(), v.to_string());
    }
}

/// A ServiceEntry for one host and its pairs.
pub(crate) fn service_entry(
    istio_version: &'static str,
    metadata: ObjectMeta,
    host: &str,
    pairs: &[Pair],
) -> ServiceEntry {
    ServiceEntry {
        api_version: networking_istio(istio_version),
        kind: "ServiceEntry",
        metadata,
        spec: ServiceEntrySpec {
            hosts: vec![host.to_string()],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
            ports: pairs
                .iter()
                .map(|&(number, protocol)| ServicePort {
                    name: names::port_name(number, protocol),
                    number,
                    protocol: protocol.as_str(),
                })
                .collect(),
            export_to: vec![".".to_string()],
        },
    }
}

/// `networking.istio.io/{version}`.
pub(crate) fn networking_istio(version: &'static str) -> &'static str {
    match version {
        "v1beta1" => "networking.istio.io/v1beta1",
        _ => "networking.istio.io/v1",
    }
}

/// `security.istio.io/{version}`.
pub(crate) fn security_istio(version: &'static str) -> &'static str {
    match version {
        "v1beta1" => "security.istio.io/v1beta1",
        _ => "security.istio.io/v1",
    }
}

/// The package's own ServiceEntry per host, in host-map order (SPEC §5.1,
/// §6.1); ambient ones are bound to the waypoint.
pub(crate) fn package_service_entries<'a>(
    e: &Egress<'a>,
    index: usize,
    istio_version: &'static str,
) -> Vec<Placed<'a>> {
    let pkg = e.pkg;
    e.hosts
        .iter()
        .enumerate()
        .map(|(seq, (&host, pairs))| {
            let mut meta = package_meta(pkg, names::package_service_entry(&pkg.name, host, pairs));
            if e.mode == crate::model::Mode::Ambient {
                bind_to_waypoint(&mut meta);
            }
            let slot = Slot::Package {
                package: index,
                group: OwnedGroup::ServiceEntries,
                seq,
            };
            Placed::new(
                Manifest::ServiceEntry(service_entry(istio_version, meta, host, pairs)),
                slot,
                pkg,
                host,
            )
            .asked_by(e.first_rule(host), "remoteHost")
        })
        .collect()
}
