//! The report as one self-contained HTML page: tables and inline SVG plots
//! (DET curves, TPIR and FPIR by threshold, by group), no scripts, no
//! external files, so it can be mailed or archived as it is.

use std::fmt::Write;

use crate::report::Report;
use crate::score::Rate;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(r: &Rate) -> String {
    format!(
        "{:.1}% ({}/{}; 95% CI {:.1}-{:.1}%)",
        100.0 * r.rate,
        r.k,
        r.n,
        100.0 * r.lo,
        100.0 * r.hi
    )
}

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    dashed: bool,
}

/// A line chart; `log_x` plots x on a log scale from `x_min`.
#[allow(clippy::too_many_arguments)]
fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    x: (f64, f64),
    y: (f64, f64),
    log_x: bool,
) -> String {
    let (w, h, l, r, t, b) = (560.0, 340.0, 60.0, 150.0, 30.0, 45.0);
    let fx = |v: f64| {
        let (a, z, v) = if log_x {
            (x.0.log10(), x.1.log10(), v.max(x.0).log10())
        } else {
            (x.0, x.1, v)
        };
        l + (v - a) / (z - a) * (w - l - r)
    };
    let fy = |v: f64| h - b - (v - y.0) / (y.1 - y.0) * (h - t - b);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11"><text x="{}" y="18" font-size="13" font-weight="bold">{}</text>"#,
        l,
        esc(title)
    );
    let _ = write!(
        s,
        r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#888"/>"##,
        w - l - r,
        h - t - b
    );
    for i in 0..=4 {
        let v = y.0 + (y.1 - y.0) * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{l}" x2="{}" y1="{y}" y2="{y}" stroke="#eee"/><text x="{}" y="{}" text-anchor="end">{v:.2}</text>"##,
            w - r,
            l - 4.0,
            fy(v) + 4.0,
            y = fy(v)
        );
    }
    let ticks: Vec<f64> = if log_x {
        let mut v = Vec::new();
        let mut e = x.0.log10().floor();
        while 10f64.powf(e) <= x.1 * 1.0001 {
            if 10f64.powf(e) >= x.0 * 0.9999 {
                v.push(10f64.powf(e));
            }
            e += 1.0;
        }
        v
    } else {
        (0..=4)
            .map(|i| x.0 + (x.1 - x.0) * i as f64 / 4.0)
            .collect()
    };
    for v in ticks {
        let label = if log_x {
            format!("{v:.0e}")
        } else {
            format!("{v:.2}")
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{label}</text>"#,
            fx(v),
            h - b + 14.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        (l + w - r) / 2.0,
        h - 8.0,
        esc(x_label)
    );
    let _ = write!(
        s,
        r#"<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>"#,
        (t + h - b) / 2.0,
        (t + h - b) / 2.0,
        esc(y_label)
    );
    for (i, se) in series.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        let pts: Vec<String> = se
            .points
            .iter()
            .map(|&(a, v)| format!("{:.1},{:.1}", fx(a), fy(v.clamp(y.0, y.1))))
            .collect();
        let dash = if se.dashed {
            r#" stroke-dasharray="5,3""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2"{dash} points="{}"/>"#,
            pts.join(" ")
        );
        let ly = t + 14.0 + 16.0 * i as f64;
        let _ = write!(
            s,
            r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
            w - r + 8.0,
            w - r + 28.0,
            w - r + 32.0,
            ly + 4.0,
            esc(&se.name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Bars with 95 % intervals, one per group.
fn bars(title: &str, items: &[(String, Rate)]) -> String {
    let (w, row) = (560.0, 24.0);
    let h = 40.0 + row * items.len() as f64;
    let (l, span) = (160.0, 330.0);
    let top = items
        .iter()
        .map(|(_, r)| r.hi)
        .fold(0.0f64, f64::max)
        .max(0.01);
    let fx = |v: f64| l + v / top * span;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11"><text x="4" y="16" font-size="13" font-weight="bold">{}</text>"#,
        esc(title)
    );
    for (i, (name, r)) in items.iter().enumerate() {
        let y = 28.0 + row * i as f64;
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{l}" y="{y}" width="{:.1}" height="{}" fill="{}"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#000"/><text x="{}" y="{}">{:.1}% ({}/{})</text>"##,
            l - 6.0,
            y + 13.0,
            esc(name),
            fx(r.rate) - l,
            row - 8.0,
            COLOURS[i % COLOURS.len()],
            fx(r.lo),
            fx(r.hi),
            y + (row - 8.0) / 2.0,
            y + (row - 8.0) / 2.0,
            l + span + 8.0,
            y + 13.0,
            100.0 * r.rate,
            r.k,
            r.n
        );
    }
    s.push_str("</svg>");
    s
}

pub fn page(r: &Report) -> String {
    let f = &r.figures;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lfr walk-through report, seed {seed}</title>
<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}.note{{color:#555;font-size:90%}}</style></head><body>
<h1>Walk-through report</h1>
<p>Seed {seed}: {passes} passes ({blue} Blue Watchlist, {public} public) in {secs:.0} s of video; on average {inview:.2} people in view ({ppm:.1} a minute). Algorithm <code>{alg}</code>. Watchlist of {size} identities.</p>
<h2>At threshold {t:.2}</h2><table>
<tr><th>measure</th><th>value</th></tr>
<tr><td>True Recognition Rate (Blue passes with a true alert)</td><td>{trr}</td></tr>
<tr><td>The same passes' photographs as stills, reaching the threshold against the enrolment</td><td>{stills}</td></tr>
<tr><td>System False Alert Rate by person (public passes with a false alert)</td><td>{farp}</td></tr>
<tr><td>System False Alert Rate by face scanned (false alerts / faces scanned)</td><td>{fars}</td></tr>
<tr><td>True alerts / false alerts (on public, on Blue, on no passer)</td><td>{ta} / {fa} ({fap}, {fab}, {fan})</td></tr>
<tr><td>Faces scanned (tracks past the quality gate)</td><td>{scanned}</td></tr>
<tr><td>Passes scanned (Blue)</td><td>{ps} ({bps})</td></tr>
<tr><td>Tracks that followed more than one passer</td><td>{span}</td></tr>
<tr><td>Recognition time p50 / p90 / p95 / max (s)</td><td>{rt}</td></tr>
<tr><td>Dropped frames</td><td>{dropped} of {frames} (every frame analysed, not in real time)</td></tr>
<tr><td>Analysis speed</td><td>{fps:.1} frames/s on {workers} worker(s), {ms:.0} ms a frame (p95 {p95:.0})</td></tr>
<tr><td>False alerts stop at</td><td>{zero}</td></tr>
</table>"#,
        seed = r.seed,
        passes = r.passes,
        blue = r.blue_passes,
        public = r.public_passes,
        secs = r.video_seconds,
        inview = r.crowd.mean_in_view,
        ppm = r.crowd.people_per_minute,
        alg = esc(&r.algorithm),
        size = f.watchlist_size,
        t = f.threshold,
        trr = pct(&f.true_recognition_rate),
        stills = r
            .stills
            .as_ref()
            .map_or("not measured".into(), |s| pct(&s.reach)),
        farp = pct(&f.false_alert_rate_by_person),
        fars = pct(&f.false_alert_rate_by_face_scanned),
        ta = f.true_alerts,
        fa = f.false_alerts,
        fap = f.false_alerts_on_public,
        fab = f.false_alerts_on_blue,
        fan = f.false_alerts_on_nobody,
        scanned = f.faces_scanned,
        ps = f.passes_scanned,
        bps = f.blue_passes_scanned,
        span = f.tracks_spanning_passes,
        rt = {
            let p = &f.recognition_time_s;
            let o = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
            format!(
                "{} / {} / {} / {} (n = {})",
                o(p.p50),
                o(p.p90),
                o(p.p95),
                o(p.max),
                p.n
            )
        },
        dropped = r.speed.dropped_frames,
        frames = r.speed.frames_in_video,
        fps = r.speed.fps,
        workers = r.speed.workers,
        ms = r.speed.frame_ms_mean,
        p95 = r.speed.frame_ms_p95,
        zero = {
            let z = &r.zero_false_alerts;
            match z.highest_false_score {
                Some(h) => format!(
                    "threshold {:.2} (highest false score {h:.4}); TRR there {}",
                    z.threshold,
                    pct(&z.true_recognition_rate)
                ),
                None => "no false alert at any threshold recorded".into(),
            }
        },
    );
    // The sweep table.
    s.push_str("<h2>Threshold sweep</h2><table><tr><th>threshold</th>");
    let sizes: Vec<(usize, bool)> = r
        .det
        .iter()
        .map(|c| (c.watchlist_size, c.extrapolated))
        .collect();
    for (n, ex) in &sizes {
        let _ = write!(
            s,
            "<th>TPIR {n}{}</th><th>FPIR {n}{}</th>",
            if *ex { "*" } else { "" },
            if *ex { "*" } else { "" }
        );
    }
    s.push_str("</tr>");
    let mut ts: Vec<f64> = r.sweep.iter().map(|x| x.threshold).collect();
    ts.dedup();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    for t in &ts {
        let _ = write!(s, "<tr><td>{t:.2}</td>");
        for (n, _) in &sizes {
            if let Some(row) = r
                .sweep
                .iter()
                .find(|x| x.threshold == *t && x.watchlist_size == *n)
            {
                let ci = |c: Option<(f64, f64)>| {
                    c.map_or(String::new(), |(a, b)| {
                        format!(" [{:.1}-{:.1}]", 100.0 * a, 100.0 * b)
                    })
                };
                let _ = write!(
                    s,
                    "<td>{:.1}%{}</td><td>{:.2}%{}</td>",
                    100.0 * row.tpir,
                    ci(row.tpir_ci),
                    100.0 * row.fpir,
                    ci(row.fpir_ci)
                );
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</table><p class=\"note\">* extrapolated beyond the identities enrolled (no interval); see docs/evaluation.md. Brackets: Wilson 95% intervals.</p>");

    // Two charts: false alert rates are a hundred times smaller than
    // recognition rates and would lie flat on the same axis.
    let (mut tpir, mut fpir) = (Vec::new(), Vec::new());
    for (i, (n, ex)) in sizes.iter().enumerate() {
        let rows: Vec<_> = r.sweep.iter().filter(|x| x.watchlist_size == *n).collect();
        let name = format!("{n}{}", if *ex { "*" } else { "" });
        tpir.push(Series {
            name: name.clone(),
            points: rows.iter().map(|x| (x.threshold, x.tpir)).collect(),
            dashed: i > 0,
        });
        fpir.push(Series {
            name,
            points: rows.iter().map(|x| (x.threshold, 100.0 * x.fpir)).collect(),
            dashed: i > 0,
        });
    }
    let (t0, t1) = (
        ts.first().copied().unwrap_or(0.56),
        ts.last().copied().unwrap_or(0.7),
    );
    s.push_str(&chart(
        "TPIR (True Recognition Rate) by threshold",
        "threshold",
        "TPIR",
        &tpir,
        (t0, t1),
        (0.0, 1.0),
        false,
    ));
    let top = r.sweep.iter().map(|x| 100.0 * x.fpir).fold(0.0, f64::max);
    s.push_str(&chart(
        "FPIR (public passes with a false alert) by threshold",
        "threshold",
        "FPIR (%)",
        &fpir,
        (t0, t1),
        (0.0, ((top * 1.2) / 0.5).ceil().max(1.0) * 0.5),
        false,
    ));
    let det: Vec<Series> = r
        .det
        .iter()
        .map(|c| Series {
            name: format!(
                "{}{}",
                c.watchlist_size,
                if c.extrapolated { "*" } else { "" }
            ),
            points: c
                .points
                .iter()
                .filter(|p| p.fpir > 0.0)
                .map(|p| (p.fpir, p.fnir))
                .collect(),
            dashed: c.extrapolated,
        })
        .collect();
    let min_fpir = r
        .det
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.fpir))
        .filter(|&x| x > 0.0)
        .fold(1.0f64, f64::min)
        .min(1e-3);
    s.push_str(&chart(
        "DET: missed Blue passes against false alerts",
        "FPIR (public passes with a false alert), log scale",
        "FNIR (1 - TPIR)",
        &det,
        (10f64.powf(min_fpir.log10().floor()), 1.0),
        (0.0, 1.0),
        true,
    ));

    if let Some(eq) = &r.equitability {
        s.push_str("<h2>By perceived group</h2><p class=\"note\">Labels are perceived attributes recorded by a person, kept apart from biometric data; the test is Fisher's exact test (two-sided), with no correction for the number of comparisons.</p>");
        for a in eq {
            let _ = write!(s, "<h3>{}</h3><ul>", esc(&a.attribute));
            for st in &a.statements {
                let _ = write!(s, "<li>{}</li>", esc(st));
            }
            let _ = write!(
                s,
                "</ul><p class=\"note\">{} passes had no label for this attribute and are left out.</p>",
                a.unlabelled_passes
            );
            s.push_str("<table><tr><th>threshold</th><th>group</th><th>TRR</th><th>FPIR</th></tr>");
            for row in &a.thresholds {
                for g in &row.groups {
                    let _ = write!(
                        s,
                        "<tr><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        row.threshold,
                        esc(&g.group),
                        pct(&g.true_recognition_rate),
                        pct(&g.false_alert_rate_by_person)
                    );
                }
            }
            s.push_str("</table>");
            if let Some(row) = a.thresholds.iter().min_by(|x, y| {
                (x.threshold - f.threshold)
                    .abs()
                    .total_cmp(&(y.threshold - f.threshold).abs())
            }) {
                let trr: Vec<(String, Rate)> = row
                    .groups
                    .iter()
                    .map(|g| (g.group.clone(), g.true_recognition_rate))
                    .collect();
                let far: Vec<(String, Rate)> = row
                    .groups
                    .iter()
                    .map(|g| (g.group.clone(), g.false_alert_rate_by_person))
                    .collect();
                s.push_str(&bars(
                    &format!(
                        "True Recognition Rate by {} at {:.2}",
                        a.attribute, row.threshold
                    ),
                    &trr,
                ));
                s.push_str(&bars(
                    &format!(
                        "False alert rate by {} at {:.2}",
                        a.attribute, row.threshold
                    ),
                    &far,
                ));
            }
        }
    }
    s.push_str("<h2>Is the score calibrated on tracks?</h2><p class=\"note\">A score s stands for a false match rate of 10<sup>-10 s</sup>, measured on photographs. Here every search of a track's fused probe against every enrolled identity who is not the passer is an impostor comparison: the share at or above s, by frames fused.</p><table><tr><th>frames fused</th><th>score</th><th>nominal</th><th>measured</th><th>95 % interval</th><th>comparisons</th></tr>");
    for t in &r.track_calibration {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{:.2}</td><td>{:.0e}</td><td>{:.2e} ({})</td><td>{:.1e}-{:.1e}</td><td>{}</td></tr>",
            if t.frames == 0 {
                "all".to_string()
            } else {
                t.frames.to_string()
            },
            t.score,
            t.nominal,
            t.measured.rate,
            t.measured.k,
            t.measured.lo,
            t.measured.hi,
            t.measured.n
        );
    }
    s.push_str("</table>");
    s.push_str("<h2>Notes</h2><ul>");
    for n in &r.notes {
        let _ = write!(s, "<li>{}</li>", esc(n));
    }
    s.push_str("</ul></body></html>\n");
    s
}
