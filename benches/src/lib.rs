//! Benchmarks live in `benches/benches/`; this crate keeps criterion out of the root package.
