//! The deploy engine's tests: exact API sequences with `aws-smithy-mocks` (`mocks`), and
//! the real API conversation with a local moto server through the CLI (`moto`).

mod mocks;
mod moto;
