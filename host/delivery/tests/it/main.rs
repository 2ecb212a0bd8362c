//! Integration tests of the delivery worker: real HTTP on loopback, real engine types.

mod common;
mod guard;
mod sending;
mod sharing;
