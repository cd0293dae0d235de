//! Black-box tests: each starts the real `accord` binary on a random port
//! with its own fresh database, and talks to it over HTTP only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreements;
mod audience;
mod auth;
mod documents;
mod errors;
mod events;
mod helpers;
mod http;
mod polls;
mod repair;
mod review;
mod rights;
mod roundtables;
mod secrecy;
mod socket_limits;
mod yclient;
