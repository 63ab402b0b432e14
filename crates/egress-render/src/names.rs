//! Every name the renderer makes (SPEC §4–§6), and the Kubernetes and DNS
//! syntax rules names, labels and hosts are checked against (SPEC §2.9,
//! §2.10, §2.12), in one place.

use crate::model::{Direction, Labels, Protocol};
use sha2::{Digest, Sha256};

/// SPEC §4 `sanitize`: lowercase; each run of characters outside `[a-z0-9]`
/// becomes one `-`; cut to 250 characters; strip leading and trailing
/// characters that are not `a-z`.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    // Only ASCII is pushed, so byte and char counts agree.
    out.truncate(250);
    out.trim_matches(|c: char| !c.is_ascii_lowercase())
        .to_string()
}

/// SPEC §4 `pp`: the pairs joined as `{port}-{protocol}` with `-`.
pub fn pp(pairs: &[(u16, Protocol)]) -> String {
    pairs
        .iter()
        .map(|(port, proto)| format!("{port}-{}", proto.lower()))
        .collect::<Vec<_>>()
        .join("-")
}

/// A port's Istio name, e.g. `tls-443`.
pub fn port_name(port: u16, protocol: Protocol) -> String {
    format!("{}-{port}", protocol.lower())
}

/// The package ServiceEntry name (SPEC §4).
pub fn package_service_entry(pkg: &str, host: &str, pairs: &[(u16, Protocol)]) -> String {
    sanitize(&format!("{pkg}-egress-{host}-{}", pp(pairs)))
}

/// The ambient AuthorizationPolicy name (SPEC §5).
pub fn authorization_policy(host: &str, service_account: Option<&str>) -> String {
    match service_account {
        Some(sa) => sanitize(&format!("{host}-{sa}-egress")),
        None => sanitize(&format!("{host}-egress")),
    }
}

/// The Sidecar name for a selector (SPEC §6), keys in the order written.
pub fn sidecar(pkg: &str, selector: Option<&Labels>) -> String {
    match selector {
        Some(sel) if !sel.is_empty() => {
            let mut s = format!("{pkg}-egress");
            for (k, v) in sel {
                s.push('-');
                s.push_str(k);
                s.push('-');
                s.push_str(v);
            }
            sanitize(&s)
        }
        _ => sanitize(&format!("{pkg}-egress-default")),
    }
}

/// The shared Istio Gateway name for a host (SPEC §6): a DNS-1123 label,
/// shortened with a SHA-256 suffix when longer than 63 characters.
pub fn egress_gateway(host: &str) -> String {
    let name = sanitize(&format!("gateway-{host}"));
    if name.len() <= 63 {
        return name;
    }
    let digest = Sha256::digest(host.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut short = name[..54].trim_end_matches('-').to_string();
    short.push('-');
    short.push_str(&hex);
    short
}

/// The shared VirtualService name for a host (SPEC §6).
pub fn egress_virtual_service(host: &str) -> String {
    sanitize(&format!("egress-vs-{host}"))
}

/// The shared ServiceEntry name for a host (SPEC §6).
pub fn egress_service_entry(host: &str) -> String {
    sanitize(&format!("service-entry-{host}"))
}

/// The ownership annotation key of shared objects (SPEC §4).
pub fn user_annotation(name: &str, namespace: &str) -> String {
    format!("uds.dev/user-{name}-{namespace}")
}

/// The NetworkPolicy name UDS Core would generate for a rule (SPEC §2.14).
pub fn network_policy(
    pkg: &str,
    direction: Direction,
    description: Option<&str>,
    selector: Option<&Labels>,
    remote_generated: Option<&str>,
    remote_namespace: Option<&str>,
    remote_selector: Option<&Labels>,
) -> String {
    let rest = match description {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => {
            let mut parts: Vec<&str> = Vec::new();
            match selector {
                None => parts.push("all pods"),
                Some(sel) => parts.extend(sel.values().map(String::as_str)),
            }
            if let Some(gen) = remote_generated {
                parts.push(gen);
            } else {
                parts.push(remote_namespace.unwrap_or(""));
                match remote_selector {
                    None => parts.push("all pods"),
                    Some(sel) => parts.extend(sel.values().map(String::as_str)),
                }
            }
            parts.join("-")
        }
    };
    sanitize(&format!("allow-{pkg}-{}-{rest}", direction.as_str()))
}

/// An RFC 1123 label: `a-z0-9-`, 1–63 characters, no leading or trailing `-`.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain as Kubernetes checks object names: at most 253
/// characters of dot-separated parts of `a-z0-9-`, each non-empty and without
/// a leading or trailing `-`. Unlike DNS, Kubernetes does not limit a part to
/// 63 characters, so a 250-character name without dots is valid (host names
/// get their own 63-character check in [`host_problem`]).
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A Kubernetes label value: empty, or up to 63 characters of
/// `[A-Za-z0-9_.-]` starting and ending with an alphanumeric.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// The name part of a label or annotation key: 1–63 characters of
/// `[A-Za-z0-9_.-]`, starting and ending with an alphanumeric.
pub fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// A label or annotation key: an optional DNS-subdomain prefix and `/`,
/// then a name part.
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

/// Why a `remoteHost` is not a bare lowercase DNS name, with the fix
/// (SPEC §2.9); `None` when it is one.
pub fn host_problem(host: &str) -> Option<(String, String)> {
    let h = host.trim();
    if let Some(idx) = h.find("://") {
        let rest = &h[idx + 3..];
        let bare = rest.split(['/', '?', '#']).next().unwrap_or("");
        let bare = bare.rsplit('@').next().unwrap_or(bare);
        let bare = strip_port(bare).to_ascii_lowercase();
        return Some((
            format!("remoteHost {host:?} is a URL"),
            format!("write the bare host: {bare}"),
        ));
    }
    if h != host {
        return Some((
            format!("remoteHost {host:?} has leading or trailing spaces"),
            format!("write {h}"),
        ));
    }
    if let Some((before, _)) = host.split_once(['/', '?', '#']) {
        return Some((
            format!("remoteHost {host:?} has a path"),
            format!(
                "write the bare host: {}",
                strip_port(before).to_ascii_lowercase()
            ),
        ));
    }
    if let Some((name, port)) = host.rsplit_once(':') {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            return Some((
                format!("remoteHost {host:?} includes a port"),
                format!(
                    "write remoteHost: {} and port: {port}",
                    name.to_ascii_lowercase()
                ),
            ));
        }
    }
    if host.len() > 253 {
        return Some((
            format!(
                "remoteHost {host:?} is {} characters long, more than 253",
                host.len()
            ),
            "use the host's real DNS name; DNS names are at most 253 characters".to_string(),
        ));
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some((
            format!("remoteHost {host:?} has upper-case letters"),
            format!("write {}", host.to_ascii_lowercase()),
        ));
    }
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    if trimmed != host && is_dns_subdomain(trimmed) && trimmed.split('.').all(|l| l.len() <= 63) {
        return Some((
            format!("remoteHost {host:?} ends with a dot"),
            format!("write {trimmed}"),
        ));
    }
    if let Some(label) = host.split('.').find(|l| l.len() > 63) {
        return Some((
            format!(
                "remoteHost {host:?} has a label of {} characters ({label:?}), more than 63",
                label.len()
            ),
            "each dot-separated part of a DNS name is at most 63 characters".to_string(),
        ));
    }
    if host.split('.').any(str::is_empty) {
        return Some((
            format!("remoteHost {host:?} has an empty label (two dots in a row, or a leading dot)"),
            "write the host as dot-separated names, e.g. api.example.com".to_string(),
        ));
    }
    if !is_dns_subdomain(host) {
        return Some((
            format!("remoteHost {host:?} is not a valid DNS name"),
            "use only a-z, 0-9, '-' and '.', with no '-' at the start or end of a part, e.g. api.example.com".to_string(),
        ));
    }
    None
}

fn strip_port(hostport: &str) -> &str {
    match hostport.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => hostport,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_follows_the_spec() {
        assert_eq!(
            sanitize("pkg-1-egress-httpbin.org-443-tls"),
            "pkg-1-egress-httpbin-org-443-tls"
        );
        assert_eq!(sanitize("--Foo__Bar.."), "foo-bar");
        assert_eq!(sanitize("9lives-1"), "lives");
        assert_eq!(sanitize(&"a".repeat(300)).len(), 250);
        assert_eq!(sanitize("app-curl-1"), "app-curl");
    }

    #[test]
    fn object_names_longer_than_63_are_subdomains() {
        // Kubernetes limits object names to 253 characters, not 63 per part.
        assert!(is_dns_subdomain(&"a".repeat(250)));
        assert!(is_dns_subdomain(
            "service-entry-a-very-long-host-name-that-goes-past-sixty-three-chars-example-com"
        ));
        assert!(!is_dns_subdomain(&"a".repeat(254)));
        assert!(!is_dns_subdomain("a..b"));
        assert!(!is_dns_subdomain("-a.b"));
        assert!(!is_dns_subdomain("a.b-"));
        assert!(!is_dns_subdomain("A.b"));
        // Hosts still get DNS's 63-character label limit.
        assert!(host_problem(&format!("{}.com", "a".repeat(64))).is_some());
        assert!(host_problem(&format!("{}.com", "a".repeat(63))).is_none());
    }

    #[test]
    fn long_gateway_names_get_a_hash_suffix() {
        let host = format!("{}.example.com", "a".repeat(60));
        let name = egress_gateway(&host);
        assert!(name.len() <= 63, "{name}");
        assert!(is_dns_label(&name), "{name}");
        assert_eq!(name.len(), 54 + 1 + 8);
        assert_eq!(egress_gateway("httpbin.org"), "gateway-httpbin-org");
    }

    #[test]
    fn object_names_are_subdomains_as_kubernetes_checks_them() {
        // No 63-character limit per dot-separated part (that is for hosts).
        assert!(is_dns_subdomain(&"a".repeat(100)));
        assert!(is_dns_subdomain("app-egress-api-example-com-443-tls"));
        assert!(!is_dns_subdomain(&"a".repeat(254)));
        assert!(!is_dns_subdomain("a..b"));
        assert!(!is_dns_subdomain("-a"));
        assert!(!is_dns_subdomain("A"));
        assert!(host_problem(&format!("{}.com", "a".repeat(64))).is_some());
    }

    #[test]
    fn host_problems_say_the_fix() {
        let (msg, fix) = host_problem("https://api.example.com/v1").unwrap_or_default();
        assert_eq!(msg, "remoteHost \"https://api.example.com/v1\" is a URL");
        assert_eq!(fix, "write the bare host: api.example.com");
        let (msg, fix) = host_problem("Example.com").unwrap_or_default();
        assert_eq!(msg, "remoteHost \"Example.com\" has upper-case letters");
        assert_eq!(fix, "write example.com");
        assert!(host_problem("example.com:8443").is_some());
        assert!(host_problem("api.example.com").is_none());
    }

    #[test]
    fn network_policy_name_uses_all_pods_and_remote_parts() {
        let name = network_policy("app", Direction::Egress, None, None, None, None, None);
        assert_eq!(name, "allow-app-egress-all-pods-all-pods");
        let mut sel = Labels::new();
        sel.insert("app".into(), "curl".into());
        let name = network_policy(
            "app",
            Direction::Egress,
            None,
            Some(&sel),
            Some("Anywhere"),
            None,
            None,
        );
        assert_eq!(name, "allow-app-egress-curl-anywhere");
    }
}
