# egress-render's recipes. `just` lists them.

default:
    @just --list

# Render the ambient example.
example:
    cargo run --release -- examples/ambient/package.yaml

# Run every test.
test:
    cargo test --workspace

# Run the tests and review changed snapshots (needs cargo-insta).
snap:
    cargo insta test --workspace --review

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Re-render the committed examples after a behaviour change: each example
# Package as UDS Core 1.11 (central ambient layout) and 0.58 (per-package
# ambient layout) create it.
examples:
    for m in ambient sidecar; do for v in 1.11 0.58; do cargo run -q --release -p egress-render-cli -- --uds-core $v examples/$m/package.yaml > examples/$m/rendered-$v.yaml; done; done

# What CI runs.
ci:
    bash .ci/run

# The egress audit report of the ambient example, as the README shows it.
report-example:
    cargo run -q -p egress-render-cli -- report --format markdown examples/ambient/package.yaml

# Build the library's API docs as CI checks them (missing docs fail).
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

# The robustness tests too big for `cargo test` (50 MB scalar, 100 MB fleet), release build.
stress:
    cargo test --release -p egress-render-cli --test cli robustness:: -- --ignored --nocapture

# Needs `cargo install cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# build it. Crashes land in fuzz/artifacts/render/ (docs/robustness.md).
#
# Fuzz parse → render → YAML/JSON for SECONDS, seeded from fixtures/.
fuzz seconds="600":
    mkdir -p fuzz/corpus/render
    cp fixtures/*.yaml fuzz/corpus/render/
    cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run render corpus/render -- -max_total_time={{seconds}} -timeout=10 -rss_limit_mb=2048 -max_len=65536 -dict=render.dict

# Benchmark synthetic fleets against the YAML floor (docs/performance.md).
bench:
    cargo bench -p egress-render-bench
