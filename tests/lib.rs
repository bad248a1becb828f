//! Test support shared by the integration tests in `it/` and the root package's `up --demo`
//! test: a headless Chromium driver.

pub mod chromium;
