//! Any bytes through parse → render → to_yaml/to_json: no panic, no stack
//! overflow, no unbounded time or memory, and an output that reads back.
#![no_main]

use egress_render::{parse, render, Mode, Options, Release};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse("fuzz.yaml", data);
    // Both modes, each layout of ambient (per-package before 0.59, central
    // after) and the release switches of SPEC §3.
    let runs = [
        (Mode::Ambient, Release::new(0, 58)),
        (Mode::Sidecar, Release::new(0, 58)),
        (Mode::Ambient, Release::LATEST),
        (Mode::Sidecar, Release::LATEST),
    ];
    for (mode, uds_core) in runs {
        let options = Options {
            uds_core,
            default_mode: Some(mode),
            ..Options::default()
        };
        let Ok(rendered) = render(&parsed.packages, &options) else {
            continue;
        };
        // A successful render is referentially sound, except where a
        // dangling-target warning says otherwise (SPEC §7) ...
        let problems = rendered.unwarned_reference_problems();
        assert!(problems.is_empty(), "{problems:?}");
        // ... and serialises; the YAML it writes parses back as YAML.
        let yaml = rendered.to_yaml().expect("YAML output");
        let json = rendered.to_json().expect("JSON output");
        let _: serde_json::Value = serde_json::from_str(&json).expect("JSON reads back");
        let again = parse("again.yaml", yaml.as_bytes());
        assert!(again.errors.is_empty(), "output YAML re-parse: {:?}", again.errors);
    }
});
