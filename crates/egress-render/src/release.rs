//! UDS Core releases and what each changes (SPEC §3), in one table, so that
//! supporting a new release is one entry here.

use crate::model::{Mode, Protocol};
use std::fmt;

/// A UDS Core release, `MAJOR.MINOR` (patch releases do not change egress).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl Release {
    /// The oldest release this project knows: the one the seeds describe.
    pub const OLDEST: Release = Release::new(0, 56);
    /// The newest release this project knows; `latest` and the default.
    pub const LATEST: Release = Release::new(1, 11);

    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Release { major, minor }
    }

    /// Read `MAJOR.MINOR`, `MAJOR.MINOR.PATCH` (an optional leading `v`) or
    /// `latest`. A release older than [`Release::OLDEST`] is an error; a
    /// newer one than [`Release::LATEST`] is kept as written (it renders as
    /// the latest, with a warning).
    pub fn parse(text: &str) -> Result<Release, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("latest") {
            return Ok(Release::LATEST);
        }
        let digits = t.strip_prefix('v').unwrap_or(t);
        let mut parts = digits.split('.');
        let number = |p: Option<&str>| p.and_then(|p| p.parse::<u32>().ok());
        let (major, minor) = (number(parts.next()), number(parts.next()));
        let patch_ok = match parts.next() {
            None => true,
            Some(p) => p.parse::<u32>().is_ok() && parts.next().is_none(),
        };
        let (Some(major), Some(minor), true) = (major, minor, patch_ok) else {
            return Err(format!(
                "{text:?} is not a UDS Core release: write MAJOR.MINOR (e.g. {}), MAJOR.MINOR.PATCH or latest",
                Release::LATEST
            ));
        };
        let release = Release::new(major, minor);
        if release < Release::OLDEST {
            return Err(format!(
                "UDS Core {release} is older than {}, the oldest release egress-render knows (it renders {} to {})",
                Release::OLDEST,
                Release::OLDEST,
                Release::LATEST
            ));
        }
        Ok(release)
    }

    /// True when this release is newer than every release this project knows.
    pub fn is_newer_than_known(self) -> bool {
        self > Release::LATEST
    }

    /// What the operator of this release does (a newer release than known
    /// behaves as [`Release::LATEST`]).
    pub fn behaviour(self) -> Behaviour {
        let at_least = |major, minor| self >= Release::new(major, minor);
        let istio_version = if at_least(1, 3) { "v1" } else { "v1beta1" };
        Behaviour {
            central_ambient: at_least(0, 59),
            anywhere_service_account: at_least(0, 59),
            http_default_port: if at_least(0, 59) { 80 } else { 443 },
            empty_ports_given: !at_least(0, 59),
            default_mode: if at_least(0, 60) {
                Mode::Ambient
            } else {
                Mode::Sidecar
            },
            remote_required: at_least(1, 0),
            empty_remote_counts: at_least(1, 0),
            istio_version,
            tcp_udp: at_least(1, 4),
            network_policy_protocol: at_least(1, 4),
        }
    }
}

impl Default for Release {
    fn default() -> Self {
        Release::LATEST
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl std::str::FromStr for Release {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Release::parse(s)
    }
}

/// Every behaviour switch of SPEC §3, for one release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// 0.59+: per-host ambient objects in `istio-egress-ambient` (§5.2);
    /// before, per-package ambient objects (§5.1).
    pub central_ambient: bool,
    /// 0.59+: `serviceAccount` is allowed with `remoteGenerated: Anywhere`.
    pub anywhere_service_account: bool,
    /// The port of an HTTP rule without ports: 443 before 0.59, then 80.
    pub http_default_port: u16,
    /// Before 0.59: `ports: []` counts as given, so the rule adds no pair.
    pub empty_ports_given: bool,
    /// The mode of a package that sets none: sidecar before 0.60.
    pub default_mode: Mode,
    /// 1.0+: every rule names a remote (§2.9).
    pub remote_required: bool,
    /// 1.0+: an empty `remoteNamespace`/`remoteSelector` counts for the
    /// exclusions of §2.3.
    pub empty_remote_counts: bool,
    /// The `networking.istio.io` / `security.istio.io` version: `v1beta1`
    /// before 1.3, then `v1` (Sidecar and Istio Gateway are `v1` always).
    pub istio_version: &'static str,
    /// 1.4+: `remoteProtocol` TCP/UDP on rules without `remoteHost`.
    pub tcp_udp: bool,
    /// 1.4+: NetworkPolicy ports carry `protocol` and generated names end in
    /// the protocol.
    pub network_policy_protocol: bool,
}

impl Behaviour {
    /// The port of a rule that lists none (SPEC §4).
    pub fn default_port(&self, protocol: Protocol) -> u16 {
        match protocol {
            Protocol::Http => self.http_default_port,
            _ => 443,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_and_refuses_old_ones() {
        assert_eq!(Release::parse("latest"), Ok(Release::LATEST));
        assert_eq!(Release::parse("0.58"), Ok(Release::new(0, 58)));
        assert_eq!(Release::parse("v1.4.2"), Ok(Release::new(1, 4)));
        assert_eq!(Release::parse("2.0"), Ok(Release::new(2, 0)));
        assert!(Release::parse("2.0").is_ok_and(Release::is_newer_than_known));
        let old = Release::parse("0.40").unwrap_err();
        assert!(old.contains("0.56"), "{old}");
        assert!(Release::parse("1").is_err());
        assert!(Release::parse("1.x").is_err());
        assert!(Release::parse("1.2.3.4").is_err());
    }

    #[test]
    fn each_switch_flips_at_its_release() {
        let b = |maj, min| Release::new(maj, min).behaviour();
        assert!(!b(0, 58).central_ambient && b(0, 59).central_ambient);
        assert_eq!(
            (b(0, 58).http_default_port, b(0, 59).http_default_port),
            (443, 80)
        );
        assert_eq!(b(0, 59).default_mode, Mode::Sidecar);
        assert_eq!(b(0, 60).default_mode, Mode::Ambient);
        assert!(!b(0, 63).remote_required && b(1, 0).remote_required);
        assert_eq!(
            (b(1, 2).istio_version, b(1, 3).istio_version),
            ("v1beta1", "v1")
        );
        assert!(!b(1, 3).tcp_udp && b(1, 4).tcp_udp);
        assert_eq!(b(9, 0), b(1, 11), "a newer release behaves as the latest");
    }
}
