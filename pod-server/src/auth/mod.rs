//! Who is calling, and what they may do: access token verification and the access policy.

pub mod policy;
pub mod token;
