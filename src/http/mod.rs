//! The stack's own pages: the demo matcher, served by `up --demo`.

pub mod demo_matcher;
