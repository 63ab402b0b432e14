//! The Package model (SPEC §1): the fields of a UDS `Package` that egress
//! rendering reads, each with the place in the input it came from.

use indexmap::IndexMap;
use std::fmt;

/// A line and column in a YAML file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

/// Where a package came from: the source label the caller gave (a file
/// path, `<stdin>`), the document's number in that stream (from 1, counting
/// non-empty documents) and the position of the document's first node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Source {
    /// The label the caller passed to [`crate::parse`], usually a path.
    pub file: String,
    /// The document's number in its stream, from 1.
    pub document: usize,
    /// Where the document starts.
    pub pos: Pos,
    /// The index in the document's `items` when the document is a List
    /// (`kubectl get packages -A -o yaml`, SPEC §1).
    pub item: Option<usize>,
}

/// The mesh mode of a package (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Mode {
    /// Istio ambient mode: ServiceEntry + AuthorizationPolicy + shared waypoint.
    #[default]
    Ambient,
    /// Istio sidecar mode: ServiceEntry + Sidecar + shared egress gateway objects.
    Sidecar,
}

impl Mode {
    /// The spelling used in a Package (`ambient`, `sidecar`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Ambient => "ambient",
            Mode::Sidecar => "sidecar",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `remoteProtocol`. Ordered `HTTP` before `TLS`, which is the order shared
/// objects list pairs in (SPEC §6). `TCP` and `UDP` (UDS Core 1.4+) are only
/// valid on rules without `remoteHost`, so they never reach a host's pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// Plain HTTP; default port 80.
    Http,
    /// TLS passthrough; default port 443. The default protocol.
    Tls,
    /// Plain TCP, on rules without `remoteHost` (1.4+).
    Tcp,
    /// UDP, on rules without `remoteHost` (1.4+).
    Udp,
}

impl Protocol {
    /// As written in a Package and in Istio port specs: `HTTP`, `TLS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Tls => "TLS",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// Lower case, as used in names: `http`, `tls`.
    pub fn lower(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Tls => "tls",
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `allow[].direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Traffic into the package's workloads.
    Ingress,
    /// Traffic out of the package's workloads.
    Egress,
}

impl Direction {
    /// As written in a Package.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// Pod labels as written, in the order written.
pub type Labels = IndexMap<String, String>;

/// One UDS `Package` document, reduced to what egress rendering reads.
///
/// Fields hold what the document says after type checks: a field that had
/// the wrong type was reported by [`crate::parse`] and is absent here.
/// Empty strings and empty maps are absent (`None`), except where SPEC §2.14
/// needs to tell `selector: {}` from a missing selector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Package {
    /// Where the document is.
    pub source: Source,
    /// `metadata.name` (empty when missing: reported by validation).
    pub name: String,
    /// `metadata.namespace` (empty when missing: reported by validation).
    pub namespace: String,
    /// `metadata.generation`, default 0.
    pub generation: i64,
    /// `metadata.uid`, when given.
    pub uid: Option<String>,
    /// `spec.network.serviceMesh.mode`, when given.
    pub mode: Option<Mode>,
    /// Position of `spec.network.serviceMesh.mode`, when given.
    pub mode_pos: Option<Pos>,
    /// `spec.network.allow[]`, in order.
    pub allow: Vec<AllowRule>,
    /// Fields that were present but invalid (already reported by
    /// [`crate::parse`]), so validation does not report them as missing.
    pub invalid_fields: Vec<String>,
    /// Positions of the metadata fields written (`metadata`,
    /// `metadata.name`, `metadata.namespace`, `metadata.generation`,
    /// `metadata.uid`), for error messages. A short list: one lookup per
    /// error, and no allocation per field for the packages that have none.
    pub field_pos: Vec<(&'static str, Pos)>,
}

impl Package {
    /// Where a metadata field was written; else where `metadata` was;
    /// else the document.
    pub fn pos_of(&self, field: &str) -> Pos {
        field_pos(&self.field_pos, field)
            .or_else(|| field_pos(&self.field_pos, "metadata"))
            .unwrap_or(self.source.pos)
    }

    /// `namespace/name`, the way errors name a package; a missing part
    /// shows as `?` (only invalid packages lack one).
    pub fn id(&self) -> String {
        let or_unknown = |s: &str| {
            if s.is_empty() {
                "?".to_string()
            } else {
                s.to_string()
            }
        };
        crate::text::elide(format!(
            "{}/{}",
            or_unknown(&self.namespace),
            or_unknown(&self.name)
        ))
    }

    /// The mode this package renders in under the given default (SPEC §3).
    pub fn effective_mode(&self, default_mode: Mode) -> Mode {
        self.mode.unwrap_or(default_mode)
    }
}

/// One `spec.network.allow[]` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AllowRule {
    /// The entry's index in `allow[]`, from 0.
    pub index: usize,
    /// Position of the entry.
    pub pos: Pos,
    /// Positions of the fields egress rendering reads, by field name, for
    /// error messages (see [`Package::field_pos`]).
    pub field_pos: Vec<(&'static str, Pos)>,
    /// `direction`.
    pub direction: Option<Direction>,
    /// `description`.
    pub description: Option<String>,
    /// `remoteHost`.
    pub remote_host: Option<String>,
    /// `remoteProtocol`.
    pub remote_protocol: Option<Protocol>,
    /// `port`.
    pub port: Option<u16>,
    /// `ports`, in order (empty when not given).
    pub ports: Vec<u16>,
    /// True when `ports` was written, even as `[]` (before 0.59 an empty
    /// list counts as given, SPEC §4).
    pub ports_given: bool,
    /// `selector` after migrating `podLabels` into it; `Some(empty)` for `{}`.
    pub selector: Option<Labels>,
    /// True when both `podLabels` and `selector` were given (podLabels won).
    pub pod_labels_overrode_selector: bool,
    /// True when both `remotePodLabels` and `remoteSelector` were given.
    pub remote_pod_labels_overrode_selector: bool,
    /// `serviceAccount`.
    pub service_account: Option<String>,
    /// `remoteGenerated`.
    pub remote_generated: Option<String>,
    /// `remoteNamespace`; `Some("")` when written empty (any namespace).
    pub remote_namespace: Option<String>,
    /// `remoteSelector` after migrating `remotePodLabels`; `Some(empty)` for `{}`.
    pub remote_selector: Option<Labels>,
    /// `remoteCidr`; `Some("")` when written empty (it still counts, §6.3).
    pub remote_cidr: Option<String>,
    /// `labels`: extra labels of the rule's NetworkPolicy (§6.3).
    pub labels: Labels,
    /// Fields that were present but invalid (already reported by
    /// [`crate::parse`]); `*` when the whole entry was not a mapping.
    pub invalid_fields: Vec<String>,
}

impl AllowRule {
    /// Where a field of this rule was written, or the rule itself.
    pub fn pos_of(&self, field: &str) -> Pos {
        field_pos(&self.field_pos, field).unwrap_or(self.pos)
    }

    /// `remoteProtocol`, default TLS.
    pub fn protocol(&self) -> Protocol {
        self.remote_protocol.unwrap_or(Protocol::Tls)
    }

    /// True when `field` was written but invalid (already reported).
    pub fn is_invalid(&self, field: &str) -> bool {
        self.invalid_fields.iter().any(|f| f == field || f == "*")
    }

    /// The selector, with `{}` treated as absent (the whole namespace).
    pub fn workload_selector(&self) -> Option<&Labels> {
        self.selector.as_ref().filter(|s| !s.is_empty())
    }
}

/// The position recorded for `field`.
fn field_pos(positions: &[(&'static str, Pos)], field: &str) -> Option<Pos> {
    positions.iter().find(|(f, _)| *f == field).map(|&(_, p)| p)
}
