//! One line for an error and its causes, as `scorewatch` prints, logs and answers it.

use std::error::Error;

/// `err` and its causes, joined with `": "` (as anyhow's `{:#}` writes them).
///
/// A cause whose text the line already holds is skipped: errors that format their source
/// into their own message (and reqwest, which repeats the URL at each level) would
/// otherwise print it twice.
///
/// ```
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
/// let err = std::io::Error::other(io);
/// assert_eq!(scorewatch_core::error_chain(&err), "no such file");
/// ```
#[must_use]
pub fn error_chain(err: &dyn Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{what}")]
    struct Layer {
        what: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn layers(texts: &[&'static str]) -> Layer {
        texts
            .iter()
            .rev()
            .fold(None, |source, &what| {
                Some(Layer {
                    what,
                    source: source.map(Box::new),
                })
            })
            .expect("at least one layer")
    }

    #[test]
    fn joins_every_cause_in_order() {
        let err = layers(&["writing model_metrics.json failed", "disk full", "errno 28"]);
        assert_eq!(
            error_chain(&err),
            "writing model_metrics.json failed: disk full: errno 28"
        );
    }

    #[test]
    fn a_cause_already_in_the_line_is_not_repeated() {
        let err = layers(&[
            "request to http://x/health failed",
            "http://x/health",
            "refused",
        ]);
        assert_eq!(
            error_chain(&err),
            "request to http://x/health failed: refused"
        );
    }
}
