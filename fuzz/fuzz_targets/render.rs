//! Any bytes through parse → render → to_yaml/to_json: no panic, no stack
//! overflow, no unbounded time or memory, and an output that reads back.
#![no_main]

use egress_render::{parse, reference_problems, render, Mode, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse("fuzz.yaml", data);
    for mode in [Mode::Ambient, Mode::Sidecar] {
        let options = Options {
            default_mode: mode,
            ..Options::default()
        };
        let Ok(rendered) = render(&parsed.packages, &options) else {
            continue;
        };
        // A successful render is referentially sound (SPEC §7) ...
        assert!(
            reference_problems(&rendered.manifests).is_empty(),
            "{:?}",
            reference_problems(&rendered.manifests)
        );
        // ... and serialises; the YAML it writes parses back as YAML.
        let yaml = rendered.to_yaml().expect("YAML output");
        let json = rendered.to_json().expect("JSON output");
        let _: serde_json::Value = serde_json::from_str(&json).expect("JSON reads back");
        let again = parse("again.yaml", yaml.as_bytes());
        assert!(again.errors.is_empty(), "output YAML re-parse: {:?}", again.errors);
    }
});
