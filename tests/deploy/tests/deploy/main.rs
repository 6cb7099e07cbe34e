//! The deploy engine's tests: exact API sequences with `aws-smithy-mocks` (`mocks`), the
//! real API conversation with a local moto server through the CLI (`moto`), and each seed
//! example deployed to moto (`examples`).

mod examples;
mod mocks;
mod moto;
mod orders_api;
