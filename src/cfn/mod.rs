//! Typed CloudFormation resources, generated from the registry schemas (placeholder until
//! the generator has run).
