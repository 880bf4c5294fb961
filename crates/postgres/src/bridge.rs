//! Runs the backend's async queries for synchronous callers.
//!
//! Core's store traits are synchronous (core has no async runtime), and the API calls them
//! from `web::block` threads, which belong to tokio's blocking pool. `Runtime::block_on`
//! panics there ("cannot start a runtime from within a runtime"), and `Handle::block_on`
//! on the API's own runtime would tie the store to one caller's runtime. So the backend
//! owns a small multi-thread runtime: a call spawns its future onto it and waits on a
//! plain channel for the answer. Waiting blocks only the calling thread, which is a
//! blocking-pool thread (or a CLI's main thread), never one of the runtime's workers,
//! and works the same inside and outside any tokio context.

use std::future::Future;
use std::sync::mpsc;

use tokio::runtime::{Builder, Handle, Runtime};

/// The backend's runtime: two workers drive the connection pool's sockets; the queries'
/// waiting happens on the callers' threads.
#[derive(Debug)]
pub(crate) struct Bridge {
    /// `Some` until dropped; taken in `drop` to shut down without blocking.
    runtime: Option<Runtime>,
    handle: Handle,
}

/// The backend's runtime went away or a query's task panicked: no answer came back.
#[derive(Debug, thiserror::Error)]
#[error("the database task ended without an answer (runtime shut down or task panicked)")]
pub(crate) struct NoAnswer;

impl Bridge {
    /// Starts the runtime.
    pub(crate) fn new() -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("scorewatch-postgres")
            .enable_io()
            .enable_time()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    /// Runs `future` on the backend's runtime and blocks the calling thread until it
    /// finishes. Never call it from one of the backend's own workers (nothing here does).
    pub(crate) fn run<F>(&self, future: F) -> Result<F::Output, NoAnswer>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            // The receiver is gone only if the caller's thread died; nothing to tell then.
            let _ = tx.send(future.await);
        });
        // A panicking task drops `tx` unsent, which ends the wait with an error.
        rx.recv().map_err(|_| NoAnswer)
    }

    /// The runtime, for tasks that live as long as the store (group commit).
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` on the backend's runtime without waiting for it: for clean-up that
    /// must happen there (a transaction given up between two calls rolls back on the
    /// runtime that owns its connection).
    pub(crate) fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.handle.spawn(future));
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // A plain drop of a runtime blocks until its tasks end, and panics when the store
        // is dropped on an async thread (the API's workers); shut down in the background.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_future_from_a_plain_thread() {
        let bridge = Bridge::new().unwrap();
        assert_eq!(bridge.run(async { 40 + 2 }).unwrap(), 42);
    }

    #[test]
    fn runs_a_future_from_inside_another_tokio_runtime_and_drops_there() {
        // As the API does: a call from a thread of another runtime's blocking pool, and
        // the store dropped on one of its async workers.
        let outer = Builder::new_current_thread().build().unwrap();
        outer.block_on(async {
            let bridge = Bridge::new().unwrap();
            let bridge = tokio::task::spawn_blocking(move || {
                assert_eq!(bridge.run(async { 7 }).unwrap(), 7);
                bridge
            })
            .await
            .unwrap();
            drop(bridge);
        });
    }

    #[test]
    fn a_panicking_task_is_an_error_not_a_hang() {
        let bridge = Bridge::new().unwrap();
        let boom = std::hint::black_box(true);
        let answer = bridge.run(async move {
            assert!(!boom, "boom");
        });
        assert!(answer.is_err());
    }
}
