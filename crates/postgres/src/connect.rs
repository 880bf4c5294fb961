//! `--database-url`: parsing it, and connecting with errors that name the host and the
//! database but never the password.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _, PgConnection, PgPool};

/// How long a connection attempt may take before it is reported as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a query waits for a pooled connection (which includes opening a new one)
/// before it fails as "database unavailable". Short on purpose: while the database is
/// away every request would otherwise hold its caller this long, and the API answers
/// 503 with `Retry-After` instead, which the client retries once the database is back.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections the pool keeps at most: each replica's writes are short transactions, and
/// PostgreSQL's default of 100 connections must be shared by every replica.
const MAX_CONNECTIONS: u32 = 10;

/// A parsed database URL. Its `Display` and `Debug` name user, host, port and database,
/// never the password.
#[derive(Clone)]
pub struct DatabaseUrl {
    options: PgConnectOptions,
    /// The password as written (and percent-decoded), kept only to scrub it from any
    /// message that might repeat it.
    password: Option<String>,
}

impl DatabaseUrl {
    /// Parses a `postgres://user:password@host:port/database?sslmode=...` URL.
    ///
    /// # Errors
    /// [`ConnectError::InvalidUrl`], whose message repeats nothing of the URL.
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let password = password_of(url);
        let scheme_ok = url.starts_with("postgres://") || url.starts_with("postgresql://");
        if !scheme_ok {
            return Err(ConnectError::InvalidUrl {
                reason: "it must start with postgres:// or postgresql://".to_owned(),
            });
        }
        let options = PgConnectOptions::from_str(url).map_err(|err| ConnectError::InvalidUrl {
            reason: scrub(&err.to_string(), password.as_deref()),
        })?;
        // The server's own messages, not the log, carry what went wrong; sqlx would log
        // every statement at info.
        let options = options
            .application_name("scorewatch")
            .disable_statement_logging();
        Ok(Self { options, password })
    }

    /// The host (or socket directory) connected to.
    #[must_use]
    pub fn host(&self) -> String {
        self.options.get_socket().map_or_else(
            || self.options.get_host().to_owned(),
            |socket| socket.display().to_string(),
        )
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.options.get_port()
    }

    /// The user.
    #[must_use]
    pub fn user(&self) -> &str {
        self.options.get_username()
    }

    /// The database name (PostgreSQL's default is the user's name).
    #[must_use]
    pub fn database(&self) -> &str {
        self.options
            .get_database()
            .unwrap_or_else(|| self.options.get_username())
    }

    /// The same server with another database (tests create a database per test).
    #[must_use]
    pub fn with_database(&self, database: &str) -> Self {
        Self {
            options: self.options.clone().database(database),
            password: self.password.clone(),
        }
    }

    /// A pool of connections, checked by opening one (given [`CONNECT_TIMEOUT`], where
    /// later queries get [`ACQUIRE_TIMEOUT`]). A connection the server or the network
    /// closed is noticed by the ping before each acquire and replaced: the pool recovers
    /// by itself when the database comes back.
    pub(crate) async fn pool(&self) -> Result<PgPool, ConnectError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(true)
            .connect_lazy_with(self.options.clone());
        let first = self.connection().await?;
        // The checked connection is not handed to the pool (sqlx has no way in); closing
        // it costs one round trip at start.
        let _ = first.close().await;
        Ok(pool)
    }

    /// One connection outside any pool (migrations hold a session lock on it).
    pub(crate) async fn connection(&self) -> Result<PgConnection, ConnectError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.options.connect()).await {
            Ok(connected) => connected.map_err(|err| self.connect_error(&err)),
            Err(_elapsed) => Err(ConnectError::Unreachable {
                target: self.to_string(),
                reason: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            }),
        }
    }

    /// Classifies a failed connection attempt, naming the target and never the password.
    pub(crate) fn connect_error(&self, err: &sqlx::Error) -> ConnectError {
        let target = self.to_string();
        // The server's own message for a refusal (sqlx's display adds the server's source
        // line, which reads as if it were the URL's).
        let message = err
            .as_database_error()
            .map_or_else(|| err.to_string(), |db| db.message().to_owned());
        let reason = scrub(&message, self.password.as_deref());
        if let Some(db) = err.as_database_error() {
            match db.code().as_deref() {
                // invalid_catalog_name
                Some("3D000") => {
                    return ConnectError::MissingDatabase {
                        database: self.database().to_owned(),
                        target,
                    };
                }
                // invalid_password, invalid_authorization_specification
                Some("28P01" | "28000") => {
                    return ConnectError::Authentication {
                        user: self.options.get_username().to_owned(),
                        target,
                        reason,
                    };
                }
                _ => {}
            }
        }
        ConnectError::Unreachable { target, reason }
    }
}

impl fmt::Display for DatabaseUrl {
    /// `postgres://user@host:port/database`, without the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.host();
        write!(
            f,
            "postgres://{}@{}:{}/{}",
            self.options.get_username(),
            host,
            self.options.get_port(),
            self.database()
        )
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.to_string())
            .finish()
    }
}

/// Why the database cannot be used. Every message names the database as
/// `postgres://user@host:port/database`, never with the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL does not parse.
    #[error(
        "invalid database URL ({reason}); expected postgres://user:password@host:port/database"
    )]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The server answered that the database does not exist.
    #[error(
        "database {database:?} does not exist on {target}; create it (createdb) or fix the URL's path"
    )]
    MissingDatabase {
        /// The database asked for.
        database: String,
        /// The URL without its password.
        target: String,
    },
    /// The server refused the user or the password.
    #[error("PostgreSQL at {target} refused user {user:?}: wrong user or password ({reason})")]
    Authentication {
        /// The user.
        user: String,
        /// The URL without its password.
        target: String,
        /// The server's message.
        reason: String,
    },
    /// No connection could be made (refused, unknown host, timeout, TLS).
    #[error(
        "cannot connect to PostgreSQL at {target}: {reason}; is the server running and reachable?"
    )]
    Unreachable {
        /// The URL without its password.
        target: String,
        /// What failed.
        reason: String,
    },
    /// The backend's runtime could not start.
    #[error("cannot start the database runtime")]
    Runtime(#[source] std::io::Error),
}

/// The password part of `scheme://user:password@host...`, raw and percent-decoded, found
/// without a URL parser so that it is known even for a URL the parser refuses.
fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    (!password.is_empty()).then(|| password.to_owned())
}

/// `message` with every occurrence of the password (as written and percent-decoded)
/// replaced: a driver's message may quote the URL it was given.
fn scrub(message: &str, password: Option<&str>) -> String {
    let Some(password) = password else {
        return message.to_owned();
    };
    let mut out = message.replace(password, "***");
    if let Ok(decoded) = sqlx_percent_decode(password)
        && !decoded.is_empty()
    {
        out = out.replace(&decoded, "***");
    }
    out
}

/// Percent-decoding without another dependency (the URL crate sqlx uses is not exported).
fn sqlx_percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_user_host_port_and_database_without_the_password() {
        let url = DatabaseUrl::parse("postgres://alice:s3cr%40t@db.example:6543/scores").unwrap();
        let shown = url.to_string();
        assert_eq!(shown, "postgres://alice@db.example:6543/scores");
        assert!(!format!("{url:?}").contains("s3cr"));
    }

    #[test]
    fn the_password_is_found_raw_and_scrubbed_decoded() {
        assert_eq!(
            password_of("postgres://u:p%40ss@h/db").as_deref(),
            Some("p%40ss")
        );
        assert_eq!(password_of("postgres://u@h/db"), None);
        assert_eq!(password_of("postgres://h/db"), None);
        assert_eq!(scrub("a p@ss b p%40ss", Some("p%40ss")), "a *** b ***");
    }

    #[test]
    fn an_invalid_url_never_repeats_its_password() {
        for bad in [
            "postgres://user:hunter2@host:notaport/db",
            "postgres://user:hunter2@[::1/db",
            "mysql://user:hunter2@host/db",
            "postgres://user:hunter2@host/db?sslmode=hunter2",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains("hunter2"), "{bad}: {text}");
            assert!(
                matches!(err, ConnectError::InvalidUrl { .. }),
                "{bad}: {text}"
            );
        }
    }
}
