//! "Export report": where the HTML report is saved and how.
//!
//! No file dialog: the well-kept native dialog crates pull in GTK on Linux, which the
//! dashboard otherwise does without. The report goes to a documented directory instead,
//! and the notice names the file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::state::{Notice, NoticeLevel};

/// The variable that chooses the report directory.
pub const REPORT_DIR_ENV: &str = "SCOREWATCH_REPORT_DIR";

/// Where reports are saved: `$SCOREWATCH_REPORT_DIR` when set, else `~/Downloads` when it
/// exists, else the directory the dashboard was started in.
#[must_use]
pub fn default_report_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(REPORT_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    std::env::var_os("HOME")
        .map(|home| Path::new(&home).join("Downloads"))
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The report's file name at `now`: `scorewatch-report-YYYYMMDD-HHMMSS.html` (UTC), so
/// exports sort by time and never overwrite one another within a second.
#[must_use]
pub fn report_file_name(now: OffsetDateTime) -> String {
    format!(
        "scorewatch-report-{:04}{:02}{:02}-{:02}{:02}{:02}.html",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Writes `html` into `dir` (a temporary file renamed into place, so a half-written page
/// never carries the report's name) and returns the file's path.
///
/// # Errors
/// When the directory is missing or not writable; the message names the path.
pub fn save_report(dir: &Path, html: &str, now: OffsetDateTime) -> Result<PathBuf, String> {
    let path = dir.join(report_file_name(now));
    let tmp = dir.join(format!(".{}.tmp", report_file_name(now)));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(html.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, &path));
    match written {
        Ok(()) => Ok(path),
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!(
                "cannot save the report in {}: {err}",
                dir.display()
            ))
        }
    }
}

/// The notice an export leaves: where the file is, or why it is not there.
#[must_use]
pub fn save_notice(dir: &Path, html: &str, now: OffsetDateTime) -> Notice {
    match save_report(dir, html, now) {
        Ok(path) => {
            tracing::info!(path = %path.display(), bytes = html.len(), "report exported");
            Notice {
                level: NoticeLevel::Info,
                text: format!("Report saved to {}", path.display()),
            }
        }
        Err(text) => Notice {
            level: NoticeLevel::Error,
            text,
        },
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-03 09:05:07 UTC);

    #[test]
    fn saves_under_a_timestamped_name_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let notice = save_notice(dir.path(), "<html></html>", NOW);
        let path = dir.path().join("scorewatch-report-20261203-090507.html");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "<html></html>");
        assert_eq!(notice.level, NoticeLevel::Info);
        assert_eq!(notice.text, format!("Report saved to {}", path.display()));
        // Only the report: the temporary file was renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let notice = save_notice(&missing, "x", NOW);
        assert_eq!(notice.level, NoticeLevel::Error);
        assert!(
            notice
                .text
                .starts_with(&format!("cannot save the report in {}:", missing.display())),
            "{}",
            notice.text
        );
    }
}
