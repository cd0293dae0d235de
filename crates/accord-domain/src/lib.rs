//! Accord's domain rules: who may do what, which values are valid.
//!
//! This crate does no I/O and knows nothing of HTTP, SQL or async runtimes, so
//! every rule can be unit-tested exhaustively and reused by every layer.

pub mod account;
pub mod agreement;
pub mod audit;
pub mod document;
pub mod permissions;
pub mod polls;
pub mod questions;
pub mod review;
pub mod roundtable;
pub mod text;

pub use permissions::{allowed, Action};
pub use roundtable::{Role, Side, Theme};
