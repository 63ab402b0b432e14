//! Errors and warnings as data: where, what and how to fix it. The CLI only
//! formats them (`Display`).

use crate::model::{Package, Pos, Source};
use crate::text::elide;
use std::fmt;

/// What kind of problem an [`Error`] is, and the SPEC rule it enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not valid YAML, or breaks a parser budget (alias bomb,
    /// nesting depth, size).
    Syntax,
    /// The input is not UTF-8, or is larger than the 256 MiB limit.
    Encoding,
    /// A document is not a mapping.
    NotAMapping,
    /// `kind: Package` with a `uds.dev/` apiVersion other than `v1alpha1`.
    UnsupportedApiVersion,
    /// A `uds.dev/` object whose kind is a misspelt `Package` (`package`,
    /// `Packages`).
    PackageKind,
    /// A field has the wrong type or a value outside its allowed set (§2.8).
    InvalidValue,
    /// `metadata.name`/`namespace` missing or a reserved namespace (§2.1).
    Metadata,
    /// Two Packages in one namespace (§2.2).
    DuplicateNamespace,
    /// Mutually exclusive remote fields combined (§2.3).
    ExclusiveFields,
    /// `remoteProtocol` that does not fit the rule or the release (§2.4).
    ProtocolWithoutHost,
    /// `remoteHost`/`remoteProtocol` on an Ingress rule (§2.5).
    RemoteHostOnIngress,
    /// A wildcard `remoteHost` (§2.6).
    WildcardHost,
    /// `serviceAccount` where the release does not accept it (§2.7).
    ServiceAccountMisuse,
    /// A rule that names no remote, from 1.0 (§2.9).
    RemoteRequired,
    /// `remoteHost` is not a bare lowercase DNS name (§2.10).
    InvalidHost,
    /// `serviceAccount` or a selector label is not valid (§2.11).
    InvalidServiceAccount,
    /// One host:port asked for with two protocols, in one package or across
    /// packages of one mode (§2.12).
    PortProtocolConflict,
    /// Before 0.59, ambient packages ask for different pairs on one host
    /// (§2.13).
    AmbientHostConflict,
    /// A sidecar port the egress gateway does not expose (§2.14).
    GatewayPort,
    /// A rendered object the API server or Istio would refuse (§2.15).
    MetadataLimit,
    /// Two rendered objects share kind, namespace and name (§2.16).
    NameCollision,
    /// Two rules of a package generate the same NetworkPolicy name (§2.17).
    NetworkPolicyCollision,
    /// A warning, refused because warnings are denied.
    DeniedWarning,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 23] = [
        ErrorKind::Syntax,
        ErrorKind::Encoding,
        ErrorKind::NotAMapping,
        ErrorKind::UnsupportedApiVersion,
        ErrorKind::PackageKind,
        ErrorKind::InvalidValue,
        ErrorKind::Metadata,
        ErrorKind::DuplicateNamespace,
        ErrorKind::ExclusiveFields,
        ErrorKind::ProtocolWithoutHost,
        ErrorKind::RemoteHostOnIngress,
        ErrorKind::WildcardHost,
        ErrorKind::ServiceAccountMisuse,
        ErrorKind::RemoteRequired,
        ErrorKind::InvalidHost,
        ErrorKind::InvalidServiceAccount,
        ErrorKind::PortProtocolConflict,
        ErrorKind::AmbientHostConflict,
        ErrorKind::GatewayPort,
        ErrorKind::MetadataLimit,
        ErrorKind::NameCollision,
        ErrorKind::NetworkPolicyCollision,
        ErrorKind::DeniedWarning,
    ];

    /// A short stable code, shown in messages and usable by tools.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "yaml",
            ErrorKind::Encoding => "encoding",
            ErrorKind::NotAMapping => "not-a-mapping",
            ErrorKind::UnsupportedApiVersion => "api-version",
            ErrorKind::PackageKind => "package-kind",
            ErrorKind::InvalidValue => "invalid-value",
            ErrorKind::Metadata => "metadata",
            ErrorKind::DuplicateNamespace => "duplicate-namespace",
            ErrorKind::ExclusiveFields => "exclusive-fields",
            ErrorKind::ProtocolWithoutHost => "remote-protocol",
            ErrorKind::RemoteHostOnIngress => "remote-host-on-ingress",
            ErrorKind::WildcardHost => "wildcard-host",
            ErrorKind::ServiceAccountMisuse => "service-account",
            ErrorKind::RemoteRequired => "remote-required",
            ErrorKind::InvalidHost => "invalid-host",
            ErrorKind::InvalidServiceAccount => "invalid-name",
            ErrorKind::PortProtocolConflict => "port-protocol-conflict",
            ErrorKind::AmbientHostConflict => "ambient-port-sets",
            ErrorKind::GatewayPort => "gateway-port",
            ErrorKind::MetadataLimit => "refused-object",
            ErrorKind::NameCollision => "name-collision",
            ErrorKind::NetworkPolicyCollision => "network-policy-name",
            ErrorKind::DeniedWarning => "warning",
        }
    }

    /// The SPEC section this kind enforces, e.g. `§2.10`.
    pub fn spec_rule(self) -> &'static str {
        match self {
            ErrorKind::Syntax | ErrorKind::Encoding => "§2",
            ErrorKind::NotAMapping | ErrorKind::UnsupportedApiVersion | ErrorKind::PackageKind => {
                "§1"
            }
            ErrorKind::InvalidValue => "§2.8",
            ErrorKind::Metadata => "§2.1",
            ErrorKind::DuplicateNamespace => "§2.2",
            ErrorKind::ExclusiveFields => "§2.3",
            ErrorKind::ProtocolWithoutHost => "§2.4",
            ErrorKind::RemoteHostOnIngress => "§2.5",
            ErrorKind::WildcardHost => "§2.6",
            ErrorKind::ServiceAccountMisuse => "§2.7",
            ErrorKind::RemoteRequired => "§2.9",
            ErrorKind::InvalidHost => "§2.10",
            ErrorKind::InvalidServiceAccount => "§2.11",
            ErrorKind::PortProtocolConflict => "§2.12",
            ErrorKind::AmbientHostConflict => "§2.13",
            ErrorKind::GatewayPort => "§2.14",
            ErrorKind::MetadataLimit => "§2.15",
            ErrorKind::NameCollision => "§2.16",
            ErrorKind::NetworkPolicyCollision => "§2.17",
            ErrorKind::DeniedWarning => "§0",
        }
    }
}

/// One problem with the input: where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Error {
    /// The file (source label) the problem is in; empty when not tied to one.
    pub file: String,
    /// The document's number in the file, from 1; 0 when not known.
    pub document: usize,
    /// The index in a List document's `items`, when the Package is one.
    pub item: Option<usize>,
    /// Line and column, when known.
    pub pos: Option<Pos>,
    /// The package, as `namespace/name`, when known.
    pub package: Option<String>,
    /// The rule's index in `spec.network.allow[]`, when the problem is in one.
    pub rule: Option<usize>,
    /// The field, e.g. `remoteHost` or `metadata.name`.
    pub field: Option<String>,
    /// What kind of problem.
    pub kind: ErrorKind,
    /// What is wrong, showing the offending value.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Error {
    /// An error with only a kind and a message; add the rest with the
    /// builder methods.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = elide(message.into());
        Error {
            file: String::new(),
            document: 0,
            item: None,
            pos: None,
            package: None,
            rule: None,
            field: None,
            kind,
            message,
            help: None,
        }
    }

    /// Set the source file and document.
    pub fn in_source(mut self, source: &Source) -> Self {
        self.file = source.file.clone();
        self.document = source.document;
        self.item = source.item;
        if self.pos.is_none() {
            self.pos = Some(source.pos);
        }
        self
    }

    /// Set file, document and package from a package.
    pub fn in_package(mut self, pkg: &Package) -> Self {
        self = self.in_source(&pkg.source);
        if !pkg.name.is_empty() || !pkg.namespace.is_empty() {
            self.package = Some(pkg.id());
        }
        self
    }

    /// Set the `allow[]` index.
    pub fn rule(mut self, index: usize) -> Self {
        self.rule = Some(index);
        self
    }

    /// Set the field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Set the position.
    pub fn at(mut self, pos: Pos) -> Self {
        self.pos = Some(pos);
        self
    }

    /// Set the fix.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(elide(help.into()));
        self
    }

    /// The sort key errors are reported in: by file, then position, so the
    /// report does not depend on the order of the input.
    pub(crate) fn sort_key(&self) -> (&str, usize, Option<Pos>, Option<usize>, &str) {
        (
            &self.file,
            self.document,
            self.pos,
            self.rule,
            &self.message,
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The code, which `egress-render explain CODE` and docs/rules.md
        // document; the SPEC section is `ErrorKind::spec_rule`.
        write!(f, "error[{}]: {}", self.kind.code(), self.message)?;
        let mut place: Vec<String> = Vec::new();
        if !self.file.is_empty() {
            let mut loc = self.file.clone();
            if let Some(p) = self.pos {
                loc.push_str(&format!(":{}:{}", p.line, p.column));
            }
            place.push(loc);
        }
        if self.document > 0 {
            place.push(format!("document {}", self.document));
        }
        if let Some(i) = self.item {
            place.push(format!("items[{i}]"));
        }
        if let Some(pkg) = &self.package {
            place.push(format!("package {pkg}"));
        }
        match (self.rule, &self.field) {
            (Some(i), Some(field)) => place.push(format!("allow[{i}].{field}")),
            (Some(i), None) => place.push(format!("allow[{i}]")),
            (None, Some(field)) => place.push(field.clone()),
            (None, None) => {}
        }
        if !place.is_empty() {
            write!(f, "\n  --> {}", place.join(", "))?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Every problem found in one run, in a deterministic order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// Sort into report order and drop exact repeats.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then(a.cmp(b)));
        self.0.dedup();
        self
    }

    /// True when there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors, in report order.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// What kind of warning a [`Warning`] is: each is something the chosen
/// release creates that is broken or surprising (SPEC §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// Both `podLabels` and `selector` (or `remotePodLabels` and
    /// `remoteSelector`) were given; the deprecated field won (§1).
    DeprecatedLabels,
    /// `port` beside `ports`: the operator ignores `port` for Istio objects
    /// (§4).
    PortIgnored,
    /// Before 0.59, an AuthorizationPolicy whose `targetRef` names a
    /// ServiceEntry that does not exist (§5.1).
    DanglingTarget,
    /// Before 0.59, two packages' ServiceEntries for one host on the shared
    /// waypoint, which serves only one (§5.1).
    DuplicateHostWaypoint,
    /// Sidecar workloads can reach hosts they did not ask for (§6.2).
    SharedAccess,
    /// Two Sidecars of a package that can select the same pod (§6.1).
    OverlappingSidecars,
    /// `--uds-core` names a release newer than the newest known (§3).
    NewerRelease,
}

impl WarningKind {
    /// Every kind, in declaration order.
    pub const ALL: [WarningKind; 7] = [
        WarningKind::DeprecatedLabels,
        WarningKind::PortIgnored,
        WarningKind::DanglingTarget,
        WarningKind::DuplicateHostWaypoint,
        WarningKind::SharedAccess,
        WarningKind::OverlappingSidecars,
        WarningKind::NewerRelease,
    ];

    /// The SPEC section this kind is about, e.g. `§6.2`.
    pub fn spec_rule(self) -> &'static str {
        match self {
            WarningKind::DeprecatedLabels => "§1",
            WarningKind::PortIgnored => "§4",
            WarningKind::DanglingTarget | WarningKind::DuplicateHostWaypoint => "§5.1",
            WarningKind::SharedAccess => "§6.2",
            WarningKind::OverlappingSidecars => "§6.1",
            WarningKind::NewerRelease => "§3",
        }
    }

    /// A short stable code.
    pub fn code(self) -> &'static str {
        match self {
            WarningKind::DeprecatedLabels => "deprecated-labels",
            WarningKind::PortIgnored => "port-ignored",
            WarningKind::DanglingTarget => "dangling-target",
            WarningKind::DuplicateHostWaypoint => "duplicate-host-waypoint",
            WarningKind::SharedAccess => "shared-access",
            WarningKind::OverlappingSidecars => "overlapping-sidecars",
            WarningKind::NewerRelease => "newer-release",
        }
    }
}

/// Something that renders but probably does not do what the author wants.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Warning {
    /// The file the package is in.
    pub file: String,
    /// The document's number, from 1.
    pub document: usize,
    /// The index in a List document's `items`, when the Package is one.
    pub item: Option<usize>,
    /// Where the rule (or else the package) starts, when known.
    pub pos: Option<Pos>,
    /// The package, `namespace/name`.
    pub package: String,
    /// The rule, when one.
    pub rule: Option<usize>,
    /// What kind.
    pub kind: WarningKind,
    /// What will happen.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl Warning {
    pub(crate) fn new(
        kind: WarningKind,
        pkg: &Package,
        rule: Option<usize>,
        message: String,
        help: String,
    ) -> Self {
        // `allow[i]` is at index i (parse keeps the order); looked up, not
        // searched, since a package may have a warning per rule.
        let rule_pos = rule.and_then(|i| {
            pkg.allow
                .get(i)
                .filter(|r| r.index == i)
                .or_else(|| pkg.allow.iter().find(|r| r.index == i))
                .map(|r| r.pos)
        });
        Warning {
            file: pkg.source.file.clone(),
            document: pkg.source.document,
            item: pkg.source.item,
            pos: rule_pos.or(Some(pkg.source.pos)).filter(|p| p.line > 0),
            package: pkg.id(),
            rule,
            kind,
            message: elide(message),
            help: elide(help),
        }
    }

    /// A warning about the whole run rather than one package.
    pub(crate) fn global(kind: WarningKind, message: String, help: String) -> Self {
        Warning {
            file: String::new(),
            document: 0,
            item: None,
            pos: None,
            package: String::new(),
            rule: None,
            kind,
            message: elide(message),
            help: elide(help),
        }
    }

    /// This warning as an error, for `--deny-warnings`.
    pub fn into_error(self) -> Error {
        let mut e = Error::new(ErrorKind::DeniedWarning, self.message).help(self.help);
        e.file = self.file;
        e.document = self.document;
        e.item = self.item;
        e.pos = self.pos;
        e.package = (!self.package.is_empty()).then_some(self.package);
        e.rule = self.rule;
        e
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning[{}]: {}", self.kind.code(), self.message)?;
        let mut place = Vec::new();
        if !self.file.is_empty() {
            let mut loc = self.file.clone();
            if let Some(p) = self.pos {
                loc.push_str(&format!(":{}:{}", p.line, p.column));
            }
            place.push(loc);
        }
        if self.document > 0 {
            place.push(format!("document {}", self.document));
        }
        if let Some(i) = self.item {
            place.push(format!("items[{i}]"));
        }
        if !self.package.is_empty() {
            place.push(format!("package {}", self.package));
        }
        if let Some(i) = self.rule {
            place.push(format!("allow[{i}]"));
        }
        if !place.is_empty() {
            write!(f, "\n  --> {}", place.join(", "))?;
        }
        write!(f, "\n  = help: {}", self.help)
    }
}
