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

# Re-render the committed examples after a behaviour change.
examples:
    for m in ambient sidecar; do cargo run -q --release -- examples/$m/package.yaml > examples/$m/rendered.yaml; done

# What CI runs.
ci:
    bash .ci/run

# Benchmark synthetic fleets against the YAML floor (docs/performance.md).
bench:
    cargo bench -p egress-render-bench
