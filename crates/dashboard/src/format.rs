//! How the dashboard writes times and durations, the same on every tab.

use time::OffsetDateTime;

/// `YYYY-MM-DD HH:MM:SS` in UTC; the dashboard shows every time in UTC, like the API.
#[must_use]
pub fn format_time(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Where the data is kept and which replica answered, as the Server card says it:
/// `postgres · replica web-1`, or `files` alone from a server that names no replica (one
/// that predates it: several replicas need a database anyway).
#[must_use]
pub fn server_place(backend: &str, replica: &str) -> String {
    if replica.is_empty() {
        backend.to_owned()
    } else {
        format!("{backend} · replica {replica}")
    }
}

/// `1h 02m 03s`, `2m 03s` or `4.2s`.
#[must_use]
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1}s");
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked finite and >= 60 above"
    )]
    let whole = seconds.round() as u64;
    let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else {
        format!("{m}m {s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_place_names_the_replica_when_the_server_does() {
        assert_eq!(
            server_place("postgres", "web-1"),
            "postgres · replica web-1"
        );
        assert_eq!(server_place("files", ""), "files");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(4.24), "4.2s");
        assert_eq!(format_duration(125.0), "2m 05s");
        assert_eq!(format_duration(3723.0), "1h 02m 03s");
        assert_eq!(format_duration(f64::NAN), "?");
    }
}
