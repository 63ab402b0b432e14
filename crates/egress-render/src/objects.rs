//! Object pieces both modes share: metadata of package-owned and shared
//! objects (SPEC §4) and ServiceEntries.

use crate::check::Placed;
use crate::manifest::{
    Manifest, ObjectMeta, OwnerReference, ServiceEntry, ServiceEntrySpec, ServicePort,
};
use crate::model::Package;
use crate::names;
use crate::normalize::{Egress, Pair};
use crate::options::Options;
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// Metadata of an object a package owns.
pub(crate) fn package_meta(pkg: &Package, name: String) -> ObjectMeta {
    // Room for the mode-specific labels callers add.
    let mut labels = IndexMap::with_capacity(4);
    labels.insert("uds/package".to_string(), pkg.name.clone());
    labels.insert("uds/generation".to_string(), pkg.generation.to_string());
    ObjectMeta {
        name,
        namespace: pkg.namespace.clone(),
        labels,
        annotations: BTreeMap::new(),
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

/// Metadata of a shared object: one ownership annotation per contributing
/// package (sorted by key), `uds/package` naming the shared resource set.
pub(crate) fn shared_meta<'a>(
    name: String,
    namespace: &str,
    uds_package: &str,
    users: impl IntoIterator<Item = &'a Package>,
    options: &Options,
) -> ObjectMeta {
    let mut labels = IndexMap::with_capacity(3);
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
            .collect(),
        owner_references: Vec::new(),
    }
}

/// A ServiceEntry for one host and its pairs.
pub(crate) fn service_entry(metadata: ObjectMeta, host: &str, pairs: &[Pair]) -> ServiceEntry {
    ServiceEntry {
        api_version: "networking.istio.io/v1",
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

/// The package's ServiceEntries, one per host in host-map order (SPEC §4);
/// `extra` adds the mode's own metadata (ambient: the waypoint labels).
pub(crate) fn package_service_entries<'a>(
    e: &Egress<'a>,
    extra: impl Fn(&mut ObjectMeta),
) -> Vec<Placed<'a>> {
    e.hosts
        .iter()
        .map(|(&host, pairs)| {
            let name = names::package_service_entry(&e.pkg.name, host, pairs);
            let mut meta = package_meta(e.pkg, name);
            extra(&mut meta);
            Placed::owned(
                Manifest::ServiceEntry(service_entry(meta, host, pairs)),
                e.pkg,
                host,
            )
            .asked_by(e.first_rule(host), "remoteHost")
        })
        .collect()
}
