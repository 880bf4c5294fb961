//! Answers on the service's port while the store opens, so that a replica waiting for its
//! database says why on `/health` instead of refusing connections.
//!
//! `serve` binds its listener first, then opens the store, which with a database can take
//! up to `--database-wait` (retries with backoff). Meanwhile this thread accepts on the
//! same listener and answers every request with 503 and `Retry-After: 1`: `/health` with
//! `{"status": "starting", "backend", "replica", "reason", "attempts"}`, anything else with
//! the error body (code `starting`). Once the store is open it stops, and the listener,
//! with any connection still queued on it, goes to the real server: no moment without a
//! listener.
//!
//! The answers are fixed and small, so this is a plain HTTP/1.1 responder over
//! `std::net` (one request per connection, `Connection: close`) rather than a second
//! actix server whose workers would have to be built and torn down around the real one.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

/// The pause between two looks at a listener with nothing to accept.
const IDLE_POLL: Duration = Duration::from_millis(20);
/// How long one connection may hold the responder, all reads included (one thread
/// answers every connection, so a client trickling bytes must not keep it).
const CONNECTION_BUDGET: Duration = Duration::from_secs(2);
/// The largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How much of a request body is read (and dropped) after the answer.
const MAX_DRAIN: usize = 1024 * 1024;

/// What `/health` says while starting.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// The last failed attempt's reason, once one failed.
    reason: Option<String>,
    /// Attempts that failed so far.
    attempts: u32,
}

/// Who is starting, as `/health` names it.
#[derive(Debug, Clone)]
struct Identity {
    /// `files` or `postgres`.
    backend: &'static str,
    /// `--replica-name`.
    replica: String,
}

/// The responder thread; [`StartingResponder::finish`] stops it.
#[derive(Debug)]
pub struct StartingResponder {
    progress: Arc<Mutex<Progress>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StartingResponder {
    /// Starts answering on `listener` (a clone of it: the caller keeps its own) for a
    /// store of `backend` (`files` or `postgres`) on the replica named `replica`.
    ///
    /// # Errors
    /// When the listener cannot be cloned, made non-blocking or the thread spawned.
    pub fn spawn(
        listener: &TcpListener,
        backend: &'static str,
        replica: &str,
    ) -> std::io::Result<Self> {
        let identity = Identity {
            backend,
            replica: replica.to_owned(),
        };
        let listener = listener.try_clone()?;
        // Non-blocking so that the loop sees `stop`; actix sets the same anyway.
        listener.set_nonblocking(true)?;
        let progress = Arc::new(Mutex::new(Progress::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("scorewatch-starting".to_owned())
            .spawn({
                let progress = Arc::clone(&progress);
                let stop = Arc::clone(&stop);
                move || accept_until_stopped(&listener, &identity, &progress, &stop)
            })?;
        Ok(Self {
            progress,
            stop,
            thread: Some(thread),
        })
    }

    /// Records a failed attempt to open the store and why (no secret: the reasons name
    /// the database without its password).
    pub fn note_failure(&self, reason: &str) {
        let mut progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        progress.attempts += 1;
        progress.reason = Some(reason.to_owned());
    }

    /// Stops answering; returns once the thread has let go of the listener.
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for StartingResponder {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn accept_until_stopped(
    listener: &TcpListener,
    identity: &Identity,
    progress: &Mutex<Progress>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, _)) => {
                let snapshot = progress
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                // A client that misbehaves only loses its own answer.
                let _ = answer(stream, identity, &snapshot);
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => std::thread::sleep(IDLE_POLL),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => {
                tracing::warn!(error = %err, "accepting a connection while starting");
                std::thread::sleep(IDLE_POLL);
            }
        }
    }
}

/// Reads the request head and writes the 503.
fn answer(mut stream: TcpStream, identity: &Identity, progress: &Progress) -> std::io::Result<()> {
    // Accepted sockets do not inherit the listener's non-blocking flag on Linux; set it
    // explicitly so that the read timeout applies everywhere.
    stream.set_nonblocking(false)?;
    let deadline = Instant::now() + CONNECTION_BUDGET;
    stream.set_write_timeout(Some(CONNECTION_BUDGET))?;
    let path = read_request_path(&mut stream, deadline)?;
    let body = body_for(path.as_deref(), identity, progress);
    let text = body.to_string();
    write!(
        stream,
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()?;
    // Closing a socket with unread bytes (a request body) resets the connection, and
    // the client may then lose the answer: end our side, and read what is left first.
    stream.shutdown(Shutdown::Write)?;
    let mut rest = [0_u8; 4096];
    let mut drained = 0;
    while drained < MAX_DRAIN {
        match read_before(&mut stream, &mut rest, deadline) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    Ok(())
}

/// One read that gives up at `deadline` (a timed-out read is an error).
fn read_before(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> std::io::Result<usize> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ErrorKind::TimedOut.into());
    }
    stream.set_read_timeout(Some(left))?;
    stream.read(buf)
}

/// The path of the request line, once the head has arrived (`None` for a head that is
/// not HTTP or too long).
fn read_request_path(stream: &mut TcpStream, deadline: Instant) -> std::io::Result<Option<String>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = read_before(stream, &mut chunk, deadline)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (_method, target) = (parts.next(), parts.next());
    Ok(target.map(|t| t.split('?').next().unwrap_or_default().to_owned()))
}

/// `/health`'s starting body, or the error body every other path gets.
fn body_for(path: Option<&str>, identity: &Identity, progress: &Progress) -> serde_json::Value {
    let reason = progress
        .reason
        .clone()
        .unwrap_or_else(|| match identity.backend {
            "postgres" => "connecting to the database".to_owned(),
            _ => "opening the data directory".to_owned(),
        });
    if path == Some("/health") {
        json!({
            "status": "starting",
            "version": env!("CARGO_PKG_VERSION"),
            "backend": identity.backend,
            "replica": identity.replica,
            "reason": reason,
            "attempts": progress.attempts,
        })
    } else {
        json!({"error": {
            "code": "starting",
            "message": format!("the service is starting ({reason}); try again shortly"),
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(port: u16, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(stream, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").expect("write");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        text
    }

    #[test]
    fn health_says_why_the_store_is_not_open_yet_and_others_get_503_starting() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let responder = StartingResponder::spawn(&listener, "postgres", "web-1").expect("spawn");

        let before = get(port, "/health");
        assert!(before.starts_with("HTTP/1.1 503"), "{before}");
        assert!(before.contains("retry-after: 1"), "{before}");
        assert!(
            before.contains(r#""reason":"connecting to the database""#),
            "{before}"
        );

        responder.note_failure("postgres://u@db:5432/scores: connection refused");
        let after = get(port, "/health?verbose=1");
        let body: serde_json::Value =
            serde_json::from_str(after.split("\r\n\r\n").nth(1).expect("body")).expect("json");
        assert_eq!(body["status"], "starting");
        assert_eq!(body["backend"], "postgres");
        assert_eq!(body["replica"], "web-1");
        assert_eq!(body["attempts"], 1);
        assert_eq!(
            body["reason"],
            "postgres://u@db:5432/scores: connection refused"
        );

        let other = get(port, "/predict");
        assert!(other.contains(r#""code":"starting""#), "{other}");
        assert!(other.contains("connection refused"), "{other}");

        // Finished: the listener stays the caller's, and a connection made now waits in
        // its queue for the real server instead of being answered here.
        responder.finish();
        let mut queued = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(queued, "GET /health HTTP/1.1\r\n\r\n").expect("write");
        listener.set_nonblocking(false).expect("blocking");
        let (mut accepted, _) = listener.accept().expect("queued connection");
        let mut head = [0_u8; 16];
        accepted.read_exact(&mut head).expect("request");
        assert_eq!(&head, b"GET /health HTTP");
    }

    #[test]
    fn a_client_that_sends_nothing_does_not_stop_the_responder() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let responder = StartingResponder::spawn(&listener, "files", "web-1").expect("spawn");
        // Sends half a request line and hangs up.
        let mut rude = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        rude.write_all(b"GE").expect("write");
        drop(rude);
        let answer = get(port, "/health");
        assert!(
            answer.contains(r#""reason":"opening the data directory""#),
            "{answer}"
        );
        responder.finish();
    }
}
