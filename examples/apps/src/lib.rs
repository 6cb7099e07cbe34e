//! The example systems, as library functions that the example binaries, tests and benches share.
