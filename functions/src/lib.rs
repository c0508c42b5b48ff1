//! Latch's entry points: the Lambda runner every function binary calls, and the local server
//! that mounts the whole route table on one port.

pub mod job;
pub mod lambda;
pub mod local;
