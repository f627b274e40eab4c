//! Equitability: the same figures by perceived group, with a test of
//! whether groups differ.
//!
//! The labels are perceived attributes recorded by a person, as the APP
//! describes: lfr never infers them from faces, and they live in their own
//! file, never beside biometric data. The report holds group totals only.
//!
//! Labels file: UTF-8, tab-separated, one label a line, `#` starts a
//! comment: `identity<TAB>attribute<TAB>value`, where identity is the
//! face-set name (an LFW folder name).
//!
//! The test is **Fisher's exact test** (two-sided) on the 2x2 table of two
//! groups' successes and failures, for every pair of groups: exact at the
//! small counts a walk-through gives, where a z-test's normal approximation
//! is poor. No correction is made for the many comparisons (pairs x
//! thresholds x measures); the report says so beside its statements.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::record::Record;
use crate::score::{self, Attribution, Rate};
use crate::truth::Truth;

/// Significance level of the statements.
pub const ALPHA: f64 = 0.05;

/// attribute -> identity -> value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels(pub BTreeMap<String, BTreeMap<String, String>>);

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("cannot read the labels file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("labels line {line}: {what}. Each line is identity<TAB>attribute<TAB>value")]
    Line { line: usize, what: String },
}

impl Labels {
    pub fn load(path: &Path) -> Result<Self, LabelsError> {
        let text = std::fs::read_to_string(path).map_err(|source| LabelsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, LabelsError> {
        let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let bad = |what: &str| LabelsError::Line {
                line: i + 1,
                what: what.to_string(),
            };
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            let [identity, attribute, value] = f[..] else {
                return Err(bad(&format!("{} fields, expected 3", f.len())));
            };
            if identity.is_empty() || attribute.is_empty() || value.is_empty() {
                return Err(bad("an empty field"));
            }
            let m = out.entry(attribute.to_string()).or_default();
            if let Some(old) = m.insert(identity.to_string(), value.to_string())
                && old != value
            {
                return Err(bad(&format!(
                    "{identity} already has {attribute} = {old}; one value per identity and attribute"
                )));
            }
        }
        Ok(Self(out))
    }
}

fn ln_factorials(n: u64) -> Vec<f64> {
    let mut acc = 0.0;
    std::iter::once(0.0)
        .chain((1..=n).map(|i| {
            acc += (i as f64).ln();
            acc
        }))
        .collect()
}

/// Two-sided Fisher's exact test for the table `[[a, b], [c, d]]` (group 1
/// successes and failures, group 2 successes and failures): the probability,
/// with the margins fixed, of a table at most as likely as this one.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (r1, r2, c1) = (a + b, c + d, a + c);
    let n = r1 + r2;
    if r1 == 0 || r2 == 0 || c1 == 0 || c1 == n {
        return 1.0;
    }
    let lf = ln_factorials(n);
    let ln_p = |x: u64| {
        lf[r1 as usize] - lf[x as usize] - lf[(r1 - x) as usize] + lf[r2 as usize]
            - lf[(c1 - x) as usize]
            - lf[(r2 - (c1 - x)) as usize]
            - (lf[n as usize] - lf[c1 as usize] - lf[(n - c1) as usize])
    };
    let observed = ln_p(a);
    let (lo, hi) = (c1.saturating_sub(r2), c1.min(r1));
    let p: f64 = (lo..=hi)
        .map(ln_p)
        .filter(|&l| l <= observed + 1e-7)
        .map(f64::exp)
        .sum();
    p.min(1.0)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub group: String,
    pub blue_passes: u64,
    pub public_passes: u64,
    pub true_recognition_rate: Rate,
    pub false_alert_rate_by_person: Rate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub measure: String,
    pub a: String,
    pub b: String,
    pub p: f64,
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtThreshold {
    pub threshold: f64,
    pub groups: Vec<GroupFigures>,
    pub differences: Vec<Difference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeReport {
    pub attribute: String,
    /// Passes of people with no label for this attribute (left out).
    pub unlabelled_passes: u64,
    pub thresholds: Vec<AtThreshold>,
    /// Plain statements of the significant differences (or that there are none).
    pub statements: Vec<String>,
}

/// Figures by group for every attribute, at each threshold, for a
/// watchlist of the first `n` subjects.
pub fn by_group(
    truth: &Truth,
    record: &Record,
    at: &Attribution,
    labels: &Labels,
    n: usize,
    thresholds: &[f64],
) -> Vec<AttributeReport> {
    let mut out = Vec::new();
    for (attribute, values) in &labels.0 {
        let groups: BTreeSet<&String> = truth
            .passes
            .iter()
            .filter_map(|p| values.get(&p.person))
            .collect();
        let unlabelled = truth
            .passes
            .iter()
            .filter(|p| !values.contains_key(&p.person))
            .count() as u64;
        let mut rows = Vec::new();
        let mut statements = Vec::new();
        for &t in thresholds {
            let figs: Vec<GroupFigures> = groups
                .iter()
                .map(|g| {
                    let f = score::figures_for(truth, record, at, n, t, &|p| {
                        values.get(&p.person) == Some(*g)
                    });
                    GroupFigures {
                        group: (*g).clone(),
                        blue_passes: f.true_recognition_rate.n,
                        public_passes: f.false_alert_rate_by_person.n,
                        true_recognition_rate: f.true_recognition_rate,
                        false_alert_rate_by_person: f.false_alert_rate_by_person,
                    }
                })
                .collect();
            let mut differences = Vec::new();
            for i in 0..figs.len() {
                for j in i + 1..figs.len() {
                    for (measure, x, y) in [
                        (
                            "true recognition rate",
                            figs[i].true_recognition_rate,
                            figs[j].true_recognition_rate,
                        ),
                        (
                            "false alert rate",
                            figs[i].false_alert_rate_by_person,
                            figs[j].false_alert_rate_by_person,
                        ),
                    ] {
                        if x.n == 0 || y.n == 0 {
                            continue;
                        }
                        let p = fisher_exact(x.k, x.n - x.k, y.k, y.n - y.k);
                        let significant = p < ALPHA;
                        if significant {
                            statements.push(format!(
                                "At threshold {t:.2}, the {measure} of {a} ({}/{}, {:.1}%) differs from that of {b} ({}/{}, {:.1}%): p = {p:.3} (Fisher's exact test, two-sided).",
                                x.k,
                                x.n,
                                100.0 * x.rate,
                                y.k,
                                y.n,
                                100.0 * y.rate,
                                a = figs[i].group,
                                b = figs[j].group,
                            ));
                        }
                        differences.push(Difference {
                            measure: measure.into(),
                            a: figs[i].group.clone(),
                            b: figs[j].group.clone(),
                            p,
                            significant,
                        });
                    }
                }
            }
            rows.push(AtThreshold {
                threshold: t,
                groups: figs,
                differences,
            });
        }
        if statements.is_empty() {
            statements.push(format!(
                "No difference between {attribute} groups is significant at the 5% level at any threshold from {:.2} to {:.2} (Fisher's exact test, two-sided).",
                thresholds.first().copied().unwrap_or(0.0),
                thresholds.last().copied().unwrap_or(0.0),
            ));
        }
        out.push(AttributeReport {
            attribute: attribute.clone(),
            unlabelled_passes: unlabelled,
            thresholds: rows,
            statements,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_matches_known_values() {
        // The tea-tasting table: 3 of 4 right each way, p = 0.4857 two-sided.
        assert!((fisher_exact(3, 1, 1, 3) - 0.485714).abs() < 1e-5);
        // R: fisher.test(matrix(c(10, 2, 3, 15), 2, byrow = TRUE))$p.value = 0.0005367
        assert!((fisher_exact(10, 2, 3, 15) - 0.0005367).abs() < 2e-6);
        assert_eq!(fisher_exact(5, 5, 5, 5), 1.0);
        assert_eq!(fisher_exact(0, 0, 3, 4), 1.0);
    }

    #[test]
    fn labels_parse_and_refuse_contradictions() {
        let l = Labels::parse(
            "# identity\tattribute\tvalue\nP_A\tsex\tf\nP_B\tsex\tm\n\nP_A\tage\t30-39\n",
        )
        .unwrap();
        assert_eq!(l.0["sex"]["P_B"], "m");
        assert_eq!(l.0["age"].len(), 1);
        let e = Labels::parse("P_A\tsex\tf\nP_A\tsex\tm\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(Labels::parse("P_A sex f\n").is_err());
    }
}
