//! Every name the renderer makes (SPEC §4–§6), and the Kubernetes and DNS
//! syntax rules names, labels and hosts are checked against (SPEC §2.9,
//! §2.10, §2.12), in one place.

use crate::model::{AllowRule, Direction, Labels, Protocol};
use crate::release::Behaviour;

/// The shared ambient egress waypoint (SPEC §5.3).
pub const WAYPOINT_NAME: &str = "egress-waypoint";
/// Where ambient shared objects live (SPEC §5.2, §5.3).
pub const AMBIENT_NAMESPACE: &str = "istio-egress-ambient";
/// Where sidecar shared objects live (SPEC §6.2).
pub const GATEWAY_NAMESPACE: &str = "istio-egress-gateway";
/// The sidecar egress gateway's Service (SPEC §6.2).
pub const GATEWAY_SERVICE: &str = "egressgateway.istio-egress-gateway.svc.cluster.local";
/// `uds/package` of ambient shared objects.
pub const AMBIENT_SHARED_PACKAGE: &str = "shared-ambient-egress-resource";
/// `uds/package` of sidecar shared objects.
pub const SIDECAR_SHARED_PACKAGE: &str = "shared-egress-resource";
/// The NetworkPolicy port of HBONE, opened beside a rule's ports (SPEC §6.3).
pub const HBONE_PORT: u16 = 15008;

/// A principal as the operator writes it (SPEC §4).
pub fn principal(namespace: &str, service_account: &str) -> String {
    format!("cluster.local/ns/{namespace}/sa/{service_account}")
}

/// Labels as written, for messages: `{app: curl, tier: web}`.
pub fn show_labels(labels: &Labels) -> String {
    let kv: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", kv.join(", "))
}

/// SPEC §4 `sanitize`: lowercase; each run of characters outside `[a-z0-9]`
/// becomes one `-`; cut to 250 characters; strip leading and trailing
/// characters that are not `a-z`.
pub fn sanitize(s: &str) -> String {
    let mut out = Sanitizer::with_capacity(s.len());
    out.push(s);
    out.finish()
}

/// `sanitize` of a concatenation, fed piece by piece, so names are built
/// without an intermediate string.
struct Sanitizer {
    out: String,
    in_run: bool,
}

impl Sanitizer {
    fn with_capacity(n: usize) -> Self {
        Sanitizer {
            out: String::with_capacity(n),
            in_run: false,
        }
    }

    fn push_lower(&mut self, c: char) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            self.out.push(c);
            self.in_run = false;
        } else if !self.in_run {
            self.out.push('-');
            self.in_run = true;
        }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        if s.is_ascii() {
            for b in s.bytes() {
                self.push_lower(char::from(b.to_ascii_lowercase()));
            }
            return self;
        }
        for c in s.chars() {
            if c.is_ascii() {
                self.push_lower(c.to_ascii_lowercase());
            } else {
                for l in c.to_lowercase() {
                    self.push_lower(l);
                }
            }
        }
        self
    }

    fn push_u16(&mut self, n: u16) -> &mut Self {
        let mut digits = [0u8; 5];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        for &d in digits.get(i..).unwrap_or_default() {
            self.push_lower(char::from(d));
        }
        self
    }

    fn finish(self) -> String {
        let mut out = self.out;
        // Only ASCII is pushed, so byte and char counts agree.
        out.truncate(250);
        let end = out
            .bytes()
            .rposition(|b| b.is_ascii_lowercase())
            .map_or(0, |i| i + 1);
        out.truncate(end);
        let start = out
            .bytes()
            .position(|b| b.is_ascii_lowercase())
            .unwrap_or(0);
        out.drain(..start);
        out
    }
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
    let mut s = Sanitizer::with_capacity(pkg.len() + host.len() + 8 + 10 * pairs.len());
    s.push(pkg).push("-egress-").push(host);
    // `{host}-{pp}`: pp's pieces are joined with `-` too.
    for &(port, proto) in pairs {
        s.push("-").push_u16(port).push("-").push(proto.lower());
    }
    if pairs.is_empty() {
        s.push("-");
    }
    s.finish()
}

/// The per-package ambient AuthorizationPolicy name (SPEC §5.1).
pub fn authorization_policy(host: &str, service_account: Option<&str>) -> String {
    let mut s = Sanitizer::with_capacity(host.len() + 32);
    s.push(host);
    if let Some(sa) = service_account {
        s.push("-").push(sa);
    }
    s.push("-egress");
    s.finish()
}

/// The central ambient ServiceEntry name of a host (SPEC §5.2).
pub fn ambient_service_entry(host: &str) -> String {
    let mut s = Sanitizer::with_capacity(host.len() + 11);
    s.push("ambient-se-").push(host);
    s.finish()
}

/// The central ambient AuthorizationPolicy name of a host (SPEC §5.2).
pub fn ambient_authorization_policy(host: &str) -> String {
    let mut s = Sanitizer::with_capacity(host.len() + 11);
    s.push("ambient-ap-").push(host);
    s.finish()
}

/// The Sidecar name for a selector (SPEC §6.1), keys in the order written;
/// `-default` without a selector. `selector: {}` adds nothing, so its
/// Sidecar is `{pkg}-egress`.
pub fn sidecar(pkg: &str, selector: Option<&Labels>) -> String {
    let mut s = Sanitizer::with_capacity(pkg.len() + 32);
    s.push(pkg).push("-egress-");
    match selector {
        Some(sel) => {
            for (k, v) in sel {
                s.push(k).push("-").push(v).push("-");
            }
        }
        None => {
            s.push("default");
        }
    }
    s.finish()
}

/// The shared Istio Gateway name of a host (SPEC §6.2). Istio refuses one
/// longer than 63 characters (§2.15); the caller checks.
pub fn egress_gateway(host: &str) -> String {
    let mut s = Sanitizer::with_capacity(host.len() + 8);
    s.push("gateway-").push(host);
    s.finish()
}

/// The shared VirtualService name for a host (SPEC §6.2).
pub fn egress_virtual_service(host: &str) -> String {
    let mut s = Sanitizer::with_capacity(host.len() + 10);
    s.push("egress-vs-").push(host);
    s.finish()
}

/// The shared ServiceEntry name for a host (SPEC §6.2).
pub fn egress_service_entry(host: &str) -> String {
    let mut s = Sanitizer::with_capacity(host.len() + 14);
    s.push("service-entry-").push(host);
    s.finish()
}

/// The ownership annotation key of shared objects (SPEC §4).
pub fn user_annotation(name: &str, namespace: &str) -> String {
    format!("uds.dev/user-{name}-{namespace}")
}

/// What a rule's generated NetworkPolicy name is made of (SPEC §6.3).
pub struct NetworkPolicyName<'a> {
    /// The package's `metadata.name`.
    pub package: &'a str,
    /// The rule's direction.
    pub direction: Direction,
    /// `description`.
    pub description: Option<&'a str>,
    /// `selector`, `{}` kept (it adds nothing, a missing one adds `all pods`).
    pub selector: Option<&'a Labels>,
    /// `remoteGenerated`.
    pub remote_generated: Option<&'a str>,
    /// `remoteNamespace`.
    pub remote_namespace: Option<&'a str>,
    /// `remoteSelector`.
    pub remote_selector: Option<&'a Labels>,
    /// From UDS Core 1.4, the protocol the name ends in (`TCP`, `UDP`).
    pub protocol: Option<&'a str>,
}

/// The NetworkPolicy name UDS Core generates for a rule (SPEC §6.3):
/// `allow-{name}-{direction}-{description}`, or without a description the
/// selector's values, the remote, and from 1.4 the protocol.
pub fn network_policy(n: &NetworkPolicyName) -> String {
    let mut s = Sanitizer::with_capacity(n.package.len() + 64);
    s.push("allow-")
        .push(n.package)
        .push("-")
        .push(n.direction.as_str())
        .push("-");
    if let Some(d) = n.description.filter(|d| !d.is_empty()) {
        s.push(d);
        return s.finish();
    }
    // The parts joined with `-`; sanitize turns each run of separators into
    // one `-` whether joined first or not.
    let part = |s: &mut Sanitizer, p: &str| {
        s.push(p).push("-");
    };
    match n.selector {
        None => part(&mut s, "all pods"),
        Some(sel) => sel.values().for_each(|v| part(&mut s, v)),
    }
    if let Some(gen) = n.remote_generated {
        part(&mut s, gen);
    } else {
        if let Some(ns) = n.remote_namespace {
            part(&mut s, ns);
        }
        match n.remote_selector {
            None => part(&mut s, "all pods"),
            Some(sel) => sel.values().for_each(|v| part(&mut s, v)),
        }
    }
    if let Some(p) = n.protocol {
        part(&mut s, p);
    }
    s.finish()
}

/// The name the operator gives a rule's NetworkPolicy (any rule, so that
/// §2.17 can compare them all).
pub(crate) fn rule_network_policy(
    package: &str,
    rule: &AllowRule,
    behaviour: &Behaviour,
) -> Option<String> {
    let direction = rule.direction?;
    let protocol = behaviour
        .network_policy_protocol
        .then_some(match rule.remote_protocol {
            Some(Protocol::Udp) => "UDP",
            _ => "TCP",
        });
    Some(network_policy(&NetworkPolicyName {
        package,
        direction,
        description: rule.description.as_deref(),
        selector: rule.selector.as_ref(),
        remote_generated: rule.remote_generated.as_deref(),
        remote_namespace: rule.remote_namespace.as_deref(),
        remote_selector: rule.remote_selector.as_ref(),
        protocol,
    }))
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
    // One pass over the bytes, without a split searcher: this runs for
    // every rendered object.
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let mut part_len = 0usize;
    let mut prev = b'.';
    for b in s.bytes() {
        match b {
            b'.' => {
                if part_len == 0 || prev == b'-' {
                    return false;
                }
                part_len = 0;
            }
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {
                if part_len == 0 && b == b'-' {
                    return false;
                }
                part_len += 1;
            }
            _ => return false,
        }
        prev = b;
    }
    part_len > 0 && prev != b'-'
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
    // The common case first: a valid host needs none of the diagnosis below.
    if host.len() <= 253 && host.split('.').all(is_dns_label) {
        return None;
    }
    let h = host.trim();
    if h.is_empty() {
        return Some((
            format!("remoteHost {host:?} is blank"),
            "write the host's DNS name, e.g. api.example.com, or remove remoteHost".to_string(),
        ));
    }
    if let Some(ip) = ipv6_of(h) {
        return Some((
            format!("remoteHost {host:?} is an IPv6 address, not a DNS name"),
            format!("for an address use remoteCidr: {ip}/128 instead of remoteHost"),
        ));
    }
    // A scheme-relative URL: `//api.example.com/v1`.
    if let Some(rest) = h
        .strip_prefix("//")
        .filter(|r| !r.is_empty() && !r.starts_with('/'))
    {
        let bare = rest.split(['/', '?', '#']).next().unwrap_or("");
        let bare = strip_port(bare.rsplit('@').next().unwrap_or(bare)).to_ascii_lowercase();
        return Some((
            format!("remoteHost {host:?} is a URL without a scheme"),
            format!("write the bare host: {}", bare.trim_end_matches('.')),
        ));
    }
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
        if strip_port(before).is_empty() {
            return Some((
                format!("remoteHost {host:?} is a path, not a host"),
                "write the host's DNS name, e.g. api.example.com".to_string(),
            ));
        }
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
        let lower = host.to_ascii_lowercase();
        return Some((
            format!("remoteHost {host:?} has upper-case letters"),
            format!("write {}", lower.strip_suffix('.').unwrap_or(&lower)),
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

/// The IPv6 address `h` spells, bracketed or not, with or without a port
/// (`[2001:db8::1]:443`).
fn ipv6_of(h: &str) -> Option<std::net::Ipv6Addr> {
    let inner = match h.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map(|(a, _)| a)?,
        None => h,
    };
    inner.parse().ok()
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
    fn is_dns_subdomain_is_labels_joined_by_dots() {
        // Kubernetes' rule: no 63-character limit per part (unlike a host).
        let part = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !p.starts_with('-')
                && !p.ends_with('-')
        };
        let reference = |s: &str| !s.is_empty() && s.len() <= 253 && s.split('.').all(part);
        let alphabet = ["a", "-", ".", "0", "A", "_"];
        let mut words = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            for w in &longer {
                assert_eq!(is_dns_subdomain(w), reference(w), "{w:?}");
            }
            words = longer;
        }
        for s in [
            "a".repeat(63),
            "a".repeat(64),
            format!("{}.b", "a".repeat(63)),
            format!("b.{}", "a".repeat(64)),
            vec!["a".repeat(63); 4].join("."),
            format!("{}.a", vec!["a".repeat(63); 4].join(".")),
        ] {
            assert_eq!(is_dns_subdomain(&s), reference(&s), "{s:?}");
        }
    }

    #[test]
    fn names_built_piece_by_piece_equal_sanitize_of_the_whole() {
        let long = "x.".repeat(200);
        let cases: [(&str, &str); 5] = [
            ("My_Pkg", "api.example.com"),
            ("-x-", "--a..b--"),
            ("\u{212A}elvin", "\u{130}stanbul.example"),
            ("9lives", "1.2.3"),
            ("a", &long),
        ];
        let pairs = [
            (443, Protocol::Tls),
            (80, Protocol::Http),
            (9, Protocol::Tls),
        ];
        let mut sel = Labels::new();
        sel.insert("App".into(), "We\u{212A}b".into());
        sel.insert("tier".into(), "".into());
        for (pkg, host) in cases {
            for pairs in [&pairs[..], &pairs[..1], &[]] {
                assert_eq!(
                    package_service_entry(pkg, host, pairs),
                    sanitize(&format!("{pkg}-egress-{host}-{}", pp(pairs)))
                );
            }
            assert_eq!(
                authorization_policy(host, Some(pkg)),
                sanitize(&format!("{host}-{pkg}-egress"))
            );
            assert_eq!(
                authorization_policy(host, None),
                sanitize(&format!("{host}-egress"))
            );
            assert_eq!(
                sidecar(pkg, Some(&sel)),
                sanitize(&format!("{pkg}-egress-App-We\u{212A}b-tier-"))
            );
            assert_eq!(
                sidecar(pkg, None),
                sanitize(&format!("{pkg}-egress-default"))
            );
            assert_eq!(
                egress_virtual_service(host),
                sanitize(&format!("egress-vs-{host}"))
            );
            assert_eq!(
                egress_service_entry(host),
                sanitize(&format!("service-entry-{host}"))
            );
            assert_eq!(
                ambient_service_entry(host),
                sanitize(&format!("ambient-se-{host}"))
            );
            assert_eq!(
                ambient_authorization_policy(host),
                sanitize(&format!("ambient-ap-{host}"))
            );
            assert_eq!(egress_gateway(host), sanitize(&format!("gateway-{host}")));
            assert_eq!(
                network_policy(&NetworkPolicyName {
                    selector: Some(&sel),
                    remote_namespace: Some(host),
                    protocol: Some("TCP"),
                    ..np(pkg, Direction::Egress)
                }),
                sanitize(&format!(
                    "allow-{pkg}-Egress-We\u{212A}b--{host}-all pods-TCP"
                ))
            );
            assert_eq!(
                network_policy(&NetworkPolicyName {
                    description: Some(host),
                    protocol: Some("TCP"),
                    ..np(pkg, Direction::Ingress)
                }),
                sanitize(&format!("allow-{pkg}-Ingress-{host}"))
            );
        }
        assert_eq!(sanitize("\u{212A}"), "k", "the Kelvin sign lowercases to k");
        assert_eq!(sanitize("--9a-b9--"), "a-b");
        assert_eq!(sanitize("99"), "");
    }

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
    fn sidecar_names_tell_no_selector_from_an_empty_one() {
        assert_eq!(sidecar("app", None), "app-egress-default");
        assert_eq!(sidecar("app", Some(&Labels::new())), "app-egress");
        let mut sel = Labels::new();
        sel.insert("app".into(), "web".into());
        assert_eq!(sidecar("app", Some(&sel)), "app-egress-app-web");
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

    /// Fixes that are right for every host shape: they were "write " (blank),
    /// "write remoteHost: 2001:db8: and port: 1" (IPv6), "write the bare
    /// host: " (`//host`), and kept the trailing dot with upper case.
    #[test]
    fn host_fixes_fit_every_shape() {
        let fix = |h: &str| host_problem(h).unwrap_or_default();
        assert_eq!(
            fix("  "),
            (
                "remoteHost \"  \" is blank".to_string(),
                "write the host's DNS name, e.g. api.example.com, or remove remoteHost".to_string()
            )
        );
        for h in ["2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443"] {
            assert_eq!(
                fix(h),
                (
                    format!("remoteHost {h:?} is an IPv6 address, not a DNS name"),
                    "for an address use remoteCidr: 2001:db8::1/128 instead of remoteHost"
                        .to_string()
                )
            );
        }
        assert_eq!(
            fix("//api.example.com/v1").1,
            "write the bare host: api.example.com"
        );
        assert_eq!(
            fix("/v1/api").0,
            "remoteHost \"/v1/api\" is a path, not a host"
        );
        assert_eq!(fix("Api.Example.com.").1, "write api.example.com");
        assert_eq!(fix("api.example.com.").1, "write api.example.com");
    }

    fn np(package: &str, direction: Direction) -> NetworkPolicyName<'_> {
        NetworkPolicyName {
            package,
            direction,
            description: None,
            selector: None,
            remote_generated: None,
            remote_namespace: None,
            remote_selector: None,
            protocol: None,
        }
    }

    #[test]
    fn network_policy_name_uses_all_pods_and_remote_parts() {
        let name = network_policy(&np("app", Direction::Egress));
        assert_eq!(name, "allow-app-egress-all-pods-all-pods");
        let mut sel = Labels::new();
        sel.insert("app".into(), "curl".into());
        let name = network_policy(&NetworkPolicyName {
            selector: Some(&sel),
            remote_generated: Some("Anywhere"),
            ..np("app", Direction::Egress)
        });
        assert_eq!(name, "allow-app-egress-curl-anywhere");
        let empty = Labels::new();
        let name = network_policy(&NetworkPolicyName {
            selector: Some(&empty),
            protocol: Some("TCP"),
            ..np("authentik", Direction::Egress)
        });
        assert_eq!(name, "allow-authentik-egress-all-pods-tcp");
    }
}
