//! Real-time plumbing for Accord: rooms, presence, fan-out and the bus.
//!
//! Empty for now: the foundation serves REST only. The live polling and
//! co-drafting work fill this crate (see ARCHITECTURE.md).
