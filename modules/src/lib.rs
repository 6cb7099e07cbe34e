//! Secure-by-default patterns built on the public API of `stackforge`.
