//! Strict typed-client tests for checkoutd's Stripe dialect, with the
//! `async-stripe` SDK (1.0.0-rc.10). The library is empty on purpose: the
//! harness and the tests live in `tests/`, so only `cargo test` builds the
//! SDK crates.
