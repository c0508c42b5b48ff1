//! Latch's entry points: the Lambda runner every function binary calls, the jobs, the key
//! rotation function, the first administrator's seed function, and the local server that mounts the whole route table on one port.

pub mod job;
pub mod lambda;
pub mod local;
pub mod local_backup;
pub mod mail_sender;
pub mod rotation;
pub mod seed_admin;
