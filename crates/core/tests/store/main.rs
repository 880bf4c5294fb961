//! Integration tests of the file-backed store (one binary, one file per concern).
#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns panic on setup failure"
)]

mod archives;
mod concurrency;
mod corrupt;
mod data_quality;
mod helpers;
mod init;
mod json_docs;
mod lock;
mod predictions;
mod rotation;
mod torn_tail;
