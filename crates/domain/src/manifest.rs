//! The watchlist import manifest: `manifest.json` at the root of the import
//! directory or archive. Validation is complete before anything is stored:
//! every bad entry is reported, and nothing is half-imported.
//!
//! ```json
//! { "entries": [
//!   { "ref": "S001", "name": "Alex Example", "category": "wanted_by_courts",
//!     "justification": "Warrant issued for failing to appear", "source": "PNC WA/123",
//!     "under_18": false, "images": ["s001-custody.jpg"] },
//!   { "ref": "V01", "name": "Sam Volunteer", "category": "volunteer",
//!     "justification": "Blue Watchlist volunteer for TRR testing", "source": "consent pack 7",
//!     "under_18": false,
//!     "images": [{ "file": "v01.jpg", "consent": { "form_reference": "CF-7", "signed_on": "2026-11-20", "recorded_by": "PC 123" } }] }
//! ] }
//! ```

use serde::Deserialize;

use crate::policy;
use crate::watchlist::{Category, Consent, WatchlistKind};

/// A validated manifest entry: one inclusion to create.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    pub reference: String,
    pub name: String,
    pub category: Category,
    pub justification: String,
    pub source: String,
    pub under_18: bool,
    pub images: Vec<ManifestImage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManifestImage {
    /// Path relative to the manifest.
    pub file: String,
    pub consent: Option<Consent>,
}

/// Everything wrong with a manifest, each line naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the import has {} problem(s), in its manifest or its images; nothing was imported:\n  {}", .0.len(), .0.join("\n  "))]
pub struct ManifestProblems(pub Vec<String>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    entries: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(rename = "ref")]
    reference: String,
    name: String,
    category: String,
    justification: String,
    source: String,
    under_18: bool,
    images: Vec<RawImage>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawImage {
    File(String),
    WithConsent {
        file: String,
        consent: Option<Consent>,
    },
}

/// `I` and digits: what a purged inclusion's reference becomes (its own
/// id), so no import may use it.
pub fn is_purged_reference(r: &str) -> bool {
    r.strip_prefix('I')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses and validates a manifest for a watchlist of `kind`.
pub fn parse(text: &str, kind: WatchlistKind) -> Result<Vec<ManifestEntry>, ManifestProblems> {
    let raw: RawManifest = serde_json::from_str(text)
        .map_err(|e| ManifestProblems(vec![format!("manifest.json is not valid: {e}")]))?;
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut seen = std::collections::HashSet::new();
    if raw.entries.is_empty() {
        problems.push("the manifest has no entries".to_string());
    }
    for (i, value) in raw.entries.into_iter().enumerate() {
        let label = match value.get("ref").and_then(|r| r.as_str()) {
            Some(r) => format!("entry {} (ref {r})", i + 1),
            None => format!("entry {}", i + 1),
        };
        let mut value = value;
        let mut bad = |msg: String| problems.push(format!("{label}: {msg}"));
        if let Some(obj) = value.as_object_mut() {
            // Reported once as what it is, then set aside so the rest of the entry is still checked.
            obj.retain(|k, _| match policy::no_protected_characteristics(k) {
                Ok(()) => true,
                Err(r) => {
                    bad(r.message);
                    false
                }
            });
        }
        let e: RawEntry = match serde_json::from_value(value) {
            Ok(e) => e,
            Err(err) => {
                bad(err.to_string());
                continue;
            }
        };
        if !seen.insert(e.reference.clone()) {
            bad("the same ref appears twice".into());
        }
        if is_purged_reference(&e.reference) {
            bad(format!(
                "ref `{}` has the form lfr gives inclusions whose data was deleted (I and a number); use the force's own reference",
                e.reference
            ));
        }
        if e.name.trim().is_empty() {
            bad("name is empty".into());
        }
        let category = match e.category.parse::<Category>() {
            Ok(c) => Some(c),
            Err(m) => {
                bad(m);
                None
            }
        };
        if let Some(c) = category
            && let Err(r) = policy::category_fits_watchlist(kind, c)
        {
            bad(r.message);
        }
        if let Err(r) = policy::inclusion_is_justified(&e.justification, &e.source) {
            bad(r.message);
        }
        if e.images.is_empty() {
            bad("at least one reference image is needed".into());
        }
        let mut images = Vec::new();
        for img in e.images {
            let (file, consent) = match img {
                RawImage::File(f) => (f, None),
                RawImage::WithConsent { file, consent } => (file, consent),
            };
            if !is_safe_relative_path(&file) {
                bad(format!(
                    "image path `{file}` must be relative and stay inside the import"
                ));
            }
            if let Err(r) = policy::blue_watchlist_images_need_consent(kind, consent.as_ref()) {
                bad(format!("{file}: {}", r.message));
            }
            images.push(ManifestImage { file, consent });
        }
        if let Some(category) = category {
            entries.push(ManifestEntry {
                reference: e.reference,
                name: e.name,
                category,
                justification: e.justification,
                source: e.source,
                under_18: e.under_18,
                images,
            });
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(ManifestProblems(problems))
    }
}

fn is_safe_relative_path(p: &str) -> bool {
    let path = std::path::Path::new(p);
    !p.is_empty()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"entries":[{"ref":"S1","name":"Alex Example","category":"wanted_by_courts",
        "justification":"Warrant for failing to appear at court","source":"PNC WA/1","under_18":false,"images":["a.jpg","b.jpg"]}]}"#;

    #[test]
    fn a_good_manifest_parses() {
        let e = parse(GOOD, WatchlistKind::Standard).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].category, Category::WantedByCourts);
        assert_eq!(e[0].images.len(), 2);
    }

    #[test]
    fn every_bad_entry_is_reported_not_just_the_first() {
        let text = r#"{"entries":[
          {"ref":"S1","name":"A","category":"shoplifter","justification":"Warrant for failing to appear","source":"x","under_18":false,"images":["a.jpg"]},
          {"ref":"S2","name":"B","category":"victim","justification":"short","source":"x","under_18":false,"images":["../etc/passwd"]},
          {"ref":"S3","name":"C","category":"witness","justification":"Witness to a serious assault","source":"x","under_18":true,"images":[]}
        ]}"#;
        let p = parse(text, WatchlistKind::Standard).unwrap_err();
        let all = p.0.join("\n");
        assert!(
            all.contains("entry 1 (ref S1)") && all.contains("shoplifter"),
            "{all}"
        );
        assert!(
            all.contains("entry 2 (ref S2)") && all.contains("justification"),
            "{all}"
        );
        assert!(all.contains("stay inside the import"), "{all}");
        assert!(
            all.contains("entry 3 (ref S3)") && all.contains("at least one reference image"),
            "{all}"
        );
    }

    #[test]
    fn protected_characteristics_are_refused_by_name() {
        let text = GOOD.replace(r#""under_18":false"#, r#""under_18":false,"ethnicity":"x""#);
        let p = parse(&text, WatchlistKind::Standard).unwrap_err();
        assert!(
            p.0.iter().any(|m| m.contains("protected characteristic")),
            "{p}"
        );
    }

    #[test]
    fn under_18_must_be_stated() {
        let text = GOOD.replace(r#""under_18":false,"#, "");
        let p = parse(&text, WatchlistKind::Standard).unwrap_err();
        assert!(p.0.iter().any(|m| m.contains("under_18")), "{p}");
    }

    #[test]
    fn blue_watchlist_images_without_consent_are_refused() {
        let text = r#"{"entries":[{"ref":"V1","name":"Vol One","category":"volunteer",
            "justification":"Volunteer for true recognition rate testing","source":"pack 1","under_18":false,
            "images":["v1.jpg",{"file":"v1b.jpg","consent":{"form_reference":"CF-1","signed_on":"2026-11-20","recorded_by":"PC 1"}}]}]}"#;
        let p = parse(text, WatchlistKind::Blue).unwrap_err();
        assert_eq!(p.0.len(), 1, "{p}");
        assert!(
            p.0[0].contains("v1.jpg") && p.0[0].contains("consent"),
            "{p}"
        );
        let fixed = text.replace(r#""v1.jpg","#, "");
        assert!(parse(&fixed, WatchlistKind::Blue).is_ok());
    }

    #[test]
    fn volunteers_only_on_blue_watchlists() {
        let p = parse(GOOD, WatchlistKind::Blue).unwrap_err();
        assert!(p.0[0].contains("volunteers only"), "{p}");
    }

    #[test]
    fn malformed_json_is_a_clear_error() {
        let p = parse("{not json", WatchlistKind::Standard).unwrap_err();
        assert!(p.0[0].contains("manifest.json is not valid"));
    }

    #[test]
    fn a_reference_in_the_form_of_a_purged_inclusion_is_refused() {
        assert!(super::is_purged_reference("I12"));
        assert!(!super::is_purged_reference("I"));
        assert!(!super::is_purged_reference("I12a"));
        assert!(!super::is_purged_reference("S12"));
        let m = r#"{"entries":[{"ref":"I7","name":"A","category":"wanted_by_courts","justification":"j","source":"s","under_18":false,"images":["a.jpg"]}]}"#;
        let e = parse(m, WatchlistKind::Standard).unwrap_err();
        assert!(e.to_string().contains("force's own reference"), "{e}");
    }
}
