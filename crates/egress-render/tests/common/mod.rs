//! Helpers shared by the fixture-driven tests.

use egress_render::{Mode, Options, Release};

/// The options a fixture asks for in its `# options:` line.
pub fn fixture_options(text: &str) -> Options {
    let mut options = Options::default();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("# options:") else {
            continue;
        };
        for setting in rest.split_whitespace() {
            let (key, value) = setting
                .split_once('=')
                .unwrap_or_else(|| panic!("bad option {setting:?}: write key=value"));
            match key {
                "mode" => {
                    options.default_mode = Some(match value {
                        "ambient" => Mode::Ambient,
                        "sidecar" => Mode::Sidecar,
                        _ => panic!("bad mode {value:?}"),
                    })
                }
                "uds-core" => {
                    options.uds_core = Release::parse(value).unwrap_or_else(|e| panic!("{e}"))
                }
                "namespace" => options.default_namespace = Some(value.to_string()),
                "network-policies" => {
                    options.network_policies = value.parse().expect("network-policies=true|false")
                }
                "shared-generation" => {
                    options.shared_generation = value.parse().expect("shared-generation")
                }
                "gateway-ports" => {
                    options.gateway_ports = value
                        .split(',')
                        .map(|p| p.parse().expect("gateway port"))
                        .collect()
                }
                _ => panic!("unknown fixture option {key:?}"),
            }
        }
    }
    options
}
