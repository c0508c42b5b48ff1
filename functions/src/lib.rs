//! Latch functions.
