//! Text and numbers as they go into the page: every string from the store is escaped
//! here, so a feature name or category such as `<script>` stays text.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `text` with the five characters HTML gives a meaning escaped, safe in element content
/// and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A statistic with four decimals, as the CLI prints PSI and metrics.
pub fn decimal(value: f64) -> String {
    format!("{value:.4}")
}

/// A share in [0, 1] as a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// A p-value: fixed decimals down to 0.001, scientific notation below.
pub fn p_value(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// An instant as RFC 3339 to the second, in UTC.
pub fn instant(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// An instant's date, `YYYY-MM-DD`.
pub fn date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(decimal(0.123_456), "0.1235");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(p_value(0.5), "0.500");
        assert_eq!(p_value(1.5e-7), "1.5e-7");
        let at = time::macros::datetime!(2026-12-03 09:37:21.5 UTC);
        assert_eq!(instant(at), "2026-12-03T09:37:21Z");
        assert_eq!(date(at), "2026-12-03");
    }
}
