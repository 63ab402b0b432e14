//! One fixture → one snapshot. Each file in `fixtures/*.yaml` is parsed and
//! rendered; its snapshot in `snapshots/` holds the manifests and warnings,
//! or the error report. Adding a case is adding a file (then `just snap`).
//!
//! A fixture may set render options in a comment line anywhere in the file:
//! `# options: uds-core=0.58 mode=sidecar namespace=team-a network-policies=false
//! shared-generation=7 gateway-ports=80,443,9200`.

mod common;

use common::fixture_options;
use egress_render::parse;
use std::path::Path;

/// What a fixture renders to, as snapshot text.
fn render_fixture(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("fixture is readable");
    let label = format!(
        "fixtures/{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
    );
    let options = fixture_options(&String::from_utf8_lossy(&bytes));
    match parse(&label, &bytes).render(&options) {
        Ok(rendered) => {
            let mut out = String::new();
            for w in &rendered.warnings {
                out.push_str(&format!("# {}\n", w.to_string().replace('\n', "\n# ")));
            }
            out.push_str(&rendered.to_yaml().expect("serializable"));
            out
        }
        Err(errors) => errors.to_string(),
    }
}

#[test]
fn fixtures_render_to_their_snapshots() {
    insta::glob!("../../../fixtures", "*.yaml", |path| {
        let text = render_fixture(path);
        insta::with_settings!({
            snapshot_path => "../../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            input_file => path,
        }, {
            insta::assert_snapshot!("render", text);
        });
    });
}

/// SPEC §7: in every rendered fixture, references resolve and no two
/// objects share kind, namespace and name, except the policy targets that a
/// dangling-target warning names (SPEC §5.1).
#[test]
fn every_fixture_output_is_referentially_sound() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut rendered_any = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("readable");
        let options = fixture_options(&String::from_utf8_lossy(&bytes));
        if let Ok(r) = parse("fixture", &bytes).render(&options) {
            rendered_any += 1;
            let problems = r.unwarned_reference_problems();
            assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        }
    }
    assert!(rendered_any > 0, "no fixture rendered");
}
