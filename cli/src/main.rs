//! `stackforge`: the standalone command line.
fn main() {}
