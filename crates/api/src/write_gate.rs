//! The handler deadline, and the per-request write gate that keeps "a rejected request
//! changes nothing" true when the deadline fires.
//!
//! The [`deadline`] middleware drops a handler's future when `--handler-timeout` passes
//! and answers 503 `deadline_exceeded`. Dropping the future does not stop work the
//! handler gave to `web::block`: that closure keeps running on the blocking pool and
//! would write after the client was told the request failed. So each request carries a
//! [`WriteGate`], and the two sides race for it once:
//!
//! - the blocking work calls [`WriteGate::commit`] right before it writes (Pending →
//!   Committing); if the deadline came first the gate is Abandoned and nothing is written;
//! - the deadline claims the gate (Pending → Abandoned) before it answers 503; if the
//!   write is already Committing it cannot be taken back, so the middleware waits for the
//!   handler and returns its real answer, late but true.
//!
//! Handlers that write inline, with no `.await` between the write and the answer
//! (`/predict`, `POST /monitoring/outcomes`, `/monitoring/run-pipeline`), need no gate:
//! the timeout is only checked between polls, and their write and answer happen in one.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Nothing has happened yet.
const PENDING: u8 = 0;
/// The write has started; the deadline can no longer cancel it.
const COMMITTING: u8 = 1;
/// The deadline fired first; the write must not happen.
const ABANDONED: u8 = 2;
/// Committing, and the deadline passed meanwhile: the answer will be late.
const LATE: u8 = 3;

/// One request's write token, shared by the deadline middleware and the handler's
/// blocking work. Extract it as a handler argument; a request no deadline watches gets a
/// fresh gate that nothing abandons.
#[derive(Debug, Clone, Default)]
pub struct WriteGate(Arc<AtomicU8>);

/// The write was refused: the request's deadline passed before it started.
#[derive(Debug, thiserror::Error)]
#[error("the request's deadline passed before its write started; nothing was written")]
pub struct Abandoned;

/// Who won when the deadline fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// No write had started: the request may answer 503.
    Abandoned,
    /// A write is under way: the request must answer what the handler answers.
    Committing,
}

impl WriteGate {
    /// A pending gate.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Claims the gate for this request's write; call it right before the write, on the
    /// thread that writes. A request writes at most once, so a second call (of the same
    /// request) finds the gate already claimed and is let through.
    ///
    /// # Errors
    /// [`Abandoned`] when the deadline fired first: write nothing.
    pub fn commit(&self) -> Result<(), Abandoned> {
        match self
            .0
            .compare_exchange(PENDING, COMMITTING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(COMMITTING | LATE) => Ok(()),
            Err(_) => Err(Abandoned),
        }
    }

    /// What the deadline does: abandons the gate unless a write has claimed it.
    fn expire(&self) -> Expiry {
        match self
            .0
            .compare_exchange(PENDING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(ABANDONED) => Expiry::Abandoned,
            Err(_) => {
                // Only this middleware moves a claimed gate on, once per request.
                self.0.store(LATE, Ordering::Release);
                Expiry::Committing
            }
        }
    }

    /// Whether the deadline fired while the write was committing.
    #[cfg(test)]
    fn is_late(&self) -> bool {
        self.0.load(Ordering::Acquire) == LATE
    }
}

impl From<Abandoned> for ApiError {
    /// Never reaches a client: the deadline answered and dropped the handler before the
    /// blocking work could see the refusal. Should that change, a 500 says so in the log.
    fn from(err: Abandoned) -> Self {
        ApiError::internal(anyhow::Error::new(err))
    }
}

impl FromRequest for WriteGate {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<WriteGate>()
            .cloned()
            .unwrap_or_default()))
    }
}

/// Middleware: a handler that runs past the deadline answers 503 `deadline_exceeded`
/// (gunicorn's `--timeout` killed the worker instead), unless its write had already
/// started, in which case the handler's own answer is awaited and returned.
pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = req.app_data::<web::Data<AppState>>().map_or(
        Duration::from_secs(crate::config::DEFAULT_HANDLER_TIMEOUT_SECS),
        |s| s.config.handler_timeout,
    );
    let gate = WriteGate::new();
    req.extensions_mut().insert(gate.clone());
    let call = next.call(req);
    tokio::pin!(call);
    match tokio::time::timeout(limit, &mut call).await {
        Ok(result) => result,
        Err(_) => match gate.expire() {
            Expiry::Abandoned => Err(ApiError::DeadlineExceeded {
                seconds: limit.as_secs(),
            }
            .into()),
            Expiry::Committing => {
                tracing::warn!(
                    seconds = limit.as_secs(),
                    "handler passed its deadline while writing; answering when the write ends"
                );
                call.await
            }
        },
    }
}

#[cfg(test)]
mod tests;
