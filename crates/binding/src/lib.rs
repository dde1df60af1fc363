//! The Node-API binding of `netns-core`: checks arguments, calls the core, maps errors.
//!
//! No policy lives here. Every function is stateless over file descriptors that the
//! TypeScript facade owns; every error is a JS `Error` with `code`, `errno`, `syscall` and the
//! path or fd involved, which the facade turns into its exported classes.
#![deny(missing_docs)]
#![deny(clippy::all)]
// Under cfg(test) napi-derive registers nothing, so every export looks unused; the binding is
// tested through the package by the ava suite instead.
#![cfg_attr(test, allow(dead_code))]

mod address;
mod args;
mod error;
mod lifecycle;
mod link;
mod mark;
mod ns;
mod owned;
mod pool;
mod resolve;
mod rootless;
mod route;
mod rule;
mod socket;
mod switch;
mod sysctl;
