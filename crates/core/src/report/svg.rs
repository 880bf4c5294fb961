//! Inline SVG plots. Colours are attributes, not classes, so a plot keeps them where a
//! mail client drops the page's `<style>`.

use std::fmt::Write as _;

use crate::drift::BinShare;

use super::escape::{date, escape, instant, percent};

/// Reference colour (blue) and current colour (orange) of every plot.
pub const REFERENCE_COLOUR: &str = "#4c72b0";
/// The current window's colour.
pub const CURRENT_COLOUR: &str = "#dd8452";

/// Size and detail of a bin plot.
#[derive(Debug, Clone, Copy)]
pub struct BarsSize {
    pub width: f64,
    pub height: f64,
    /// Axis, bin labels and legend (the score plot); without, a sparkline-sized plot for
    /// a table cell.
    pub detailed: bool,
}

/// Reference and current share of each bin side by side.
pub fn bars(bins: &[BinShare], size: BarsSize, title: &str) -> String {
    let BarsSize {
        width,
        height,
        detailed,
    } = size;
    let (left, right, top, bottom) = if detailed {
        (44.0, 8.0, 22.0, 56.0)
    } else {
        (1.0, 1.0, 1.0, 1.0)
    };
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = bins
        .iter()
        .map(|b| b.reference_share.max(b.current_share))
        .fold(0.01_f64, f64::max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="plot" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = write!(svg, "<title>{}</title>", escape(title));
    if detailed {
        for tick in [0.0, 0.5, 1.0] {
            let y = top + plot_h * (1.0 - tick);
            let _ = write!(
                svg,
                r##"<line x1="{left}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{}</text>"##,
                left + plot_w,
                left - 4.0,
                y + 3.0,
                percent(max * tick)
            );
        }
    }
    let n = bins.len().max(1) as f64;
    let group = plot_w / n;
    let bar = group * if detailed { 0.38 } else { 0.42 };
    for (i, bin) in bins.iter().enumerate() {
        let x0 = left + group * i as f64 + (group - 2.0 * bar) / 2.0;
        for (k, (share, colour, side)) in [
            (bin.reference_share, REFERENCE_COLOUR, "reference"),
            (bin.current_share, CURRENT_COLOUR, "current"),
        ]
        .into_iter()
        .enumerate()
        {
            let h = plot_h * share / max;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{bar:.1}" height="{h:.1}" fill="{colour}"><title>{}: {side} {}</title></rect>"#,
                x0 + bar * k as f64,
                top + plot_h - h,
                escape(&bin.label),
                percent(share)
            );
        }
        if detailed {
            let cx = left + group * (i as f64 + 0.5);
            let ly = top + plot_h + 12.0;
            let _ = write!(
                svg,
                r##"<text x="{cx:.1}" y="{ly:.1}" font-size="9" fill="#333" text-anchor="end" transform="rotate(-35 {cx:.1} {ly:.1})">{}</text>"##,
                escape(&short(&bin.label, 16))
            );
        }
    }
    if detailed {
        legend(
            &mut svg,
            left,
            12.0,
            &[("reference", REFERENCE_COLOUR), ("current", CURRENT_COLOUR)],
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One line of a [`lines`] plot.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    /// (unix seconds, value), oldest first.
    pub points: Vec<(i64, f64)>,
}

/// Values over time, one line and its points per series, with a date axis.
pub fn lines(series: &[Series], width: f64, height: f64, title: &str) -> String {
    let (left, right, top, bottom) = (48.0, 12.0, 24.0, 28.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let all = series.iter().flat_map(|s| s.points.iter());
    let (mut x_min, mut x_max, mut y_min, mut y_max) =
        (i64::MAX, i64::MIN, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    if x_min > x_max {
        (x_min, x_max, y_min, y_max) = (0, 1, 0.0, 1.0);
    }
    if x_max - x_min < 1 {
        // One instant: centre it in a day.
        x_min -= 43_200;
        x_max += 43_200;
    }
    let pad = ((y_max - y_min) * 0.1).max(0.01);
    y_min -= pad;
    y_max += pad;
    let sx = |x: i64| left + plot_w * (x - x_min) as f64 / (x_max - x_min) as f64;
    let sy = |y: f64| top + plot_h * (1.0 - (y - y_min) / (y_max - y_min));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="plot" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    for i in 0..=4 {
        let y = y_min + (y_max - y_min) * f64::from(i) / 4.0;
        let py = sy(y);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{:.1}" y1="{py:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{y:.3}</text>"##,
            left + plot_w,
            left - 4.0,
            py + 3.0
        );
    }
    for (x, anchor) in [(x_min, "start"), (x_max, "end")] {
        // Within two days the dates alone would all be the same.
        let label = time::OffsetDateTime::from_unix_timestamp(x).map_or_else(
            |_| String::new(),
            |at| {
                if x_max - x_min < 172_800 {
                    instant(at)[..16].replace('T', " ")
                } else {
                    date(at)
                }
            },
        );
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}" fill="#555">{label}</text>"##,
            sx(x),
            height - 8.0
        );
    }
    for s in series {
        if s.points.len() > 1 {
            let path: Vec<String> = s
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"#,
                s.colour,
                path.join(" ")
            );
        }
        for &(x, y) in &s.points {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>{}: {y:.4}</title></circle>"#,
                sx(x),
                sy(y),
                s.colour,
                escape(&s.name)
            );
        }
    }
    let keys: Vec<(&str, &str)> = series.iter().map(|s| (s.name.as_str(), s.colour)).collect();
    legend(&mut svg, left, 12.0, &keys);
    svg.push_str("</svg>");
    svg
}

fn legend(svg: &mut String, mut x: f64, y: f64, keys: &[(&str, &str)]) {
    for (name, colour) in keys {
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#333">{}</text>"##,
            y - 9.0,
            x + 14.0,
            y,
            escape(name)
        );
        x += 24.0 + 7.0 * name.chars().count() as f64;
    }
}

/// `label` cut to `max` characters with an ellipsis (the full label is in the title).
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut cut: String = label.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(label: &str, reference: f64, current: f64) -> BinShare {
        BinShare {
            label: label.to_owned(),
            reference_share: reference,
            current_share: current,
        }
    }

    #[test]
    fn bars_scale_to_the_largest_share_and_escape_labels() {
        let svg = bars(
            &[bin("<a>", 0.5, 0.25), bin("b", 0.5, 0.75)],
            BarsSize {
                width: 102.0,
                height: 52.0,
                detailed: false,
            },
            "x",
        );
        // The tallest bar (current 0.75) fills the plot's 50 px; reference 0.5 two thirds.
        assert!(svg.contains(r#"height="50.0""#), "{svg}");
        assert!(svg.contains(r#"height="33.3""#), "{svg}");
        assert!(svg.contains("&lt;a&gt;: reference 50.0%"), "{svg}");
        assert!(!svg.contains("<a>"));
    }

    #[test]
    fn lines_survive_a_single_point_and_no_points() {
        let one = Series {
            name: "production".into(),
            colour: CURRENT_COLOUR,
            points: vec![(1_700_000_000, 0.8)],
        };
        let svg = lines(&[one], 600.0, 200.0, "AUC");
        assert!(svg.contains("<circle") && !svg.contains("NaN"), "{svg}");
        let svg = lines(&[], 600.0, 200.0, "AUC");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
