//! LFW's identity-label errors and duplicate photographs, left out of
//! calibration and evaluation.
//!
//! The list (`crates/eval/data/lfw-exclusions.tsv`) is tab-separated, one
//! entry a line with the reason for it; `#` starts a comment. Kinds:
//! - `same-person A B`: two names of one person. Pairs of their images are
//!   neither impostor pairs (they are the same face) nor genuine pairs (the
//!   labels say otherwise), so they are left out of both.
//! - `image X -`: an image left out everywhere (a mislabelled face, or one
//!   of two copies of a photograph under two names when it is unknown which
//!   name is right).
//! - `duplicate X Y`: Y is the same photograph as X; Y is left out.

use std::collections::{HashMap, HashSet};

use crate::faceset::Described;
use crate::lfw::ImageId;

/// The list shipped with lfr.
pub const LFW_EXCLUSIONS: &str = include_str!("../data/lfw-exclusions.tsv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    SamePerson,
    Image,
    Duplicate,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    pub first: String,
    pub second: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    pub entries: Vec<Entry>,
    images: HashSet<ImageId>,
    /// Person -> the name standing for their group of names.
    group: HashMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("exclusion list line {line}: {what}")]
pub struct ExclusionError {
    pub line: usize,
    pub what: String,
}

/// `Name_0012` -> (Name, 12).
fn image_id(s: &str) -> Option<ImageId> {
    let (person, number) = s.rsplit_once('_')?;
    (number.len() == 4 && !person.is_empty()).then_some(())?;
    Some(ImageId {
        person: person.to_string(),
        number: number.parse().ok()?,
    })
}

impl Exclusions {
    /// The shipped list.
    pub fn lfw() -> Self {
        Self::parse(LFW_EXCLUSIONS).expect("the shipped exclusion list parses")
    }

    pub fn parse(text: &str) -> Result<Self, ExclusionError> {
        let mut out = Self::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| ExclusionError {
                line: n + 1,
                what: what.to_string(),
            };
            let f: Vec<&str> = line.split('\t').collect();
            let [kind, first, second, reason] = f[..] else {
                return Err(bad(
                    "expected 4 tab-separated fields: kind, first, second, reason",
                ));
            };
            if reason.trim().is_empty() {
                return Err(bad("every entry needs a reason"));
            }
            let image = |s: &str| image_id(s).ok_or_else(|| bad(&format!("{s} is not Name_NNNN")));
            let kind = match kind {
                "same-person" => {
                    let (a, b) = (first.to_string(), second.to_string());
                    let root = out.group.get(&a).cloned().unwrap_or(a.clone());
                    out.group.insert(a, root.clone());
                    out.group.insert(b, root);
                    Kind::SamePerson
                }
                "image" => {
                    out.images.insert(image(first)?);
                    Kind::Image
                }
                "duplicate" => {
                    image(first)?;
                    out.images.insert(image(second)?);
                    Kind::Duplicate
                }
                other => return Err(bad(&format!("unknown kind {other:?}"))),
            };
            out.entries.push(Entry {
                kind,
                first: first.into(),
                second: second.into(),
                reason: reason.into(),
            });
        }
        Ok(out)
    }

    /// Whether an image is left out everywhere.
    pub fn excludes_image(&self, id: &ImageId) -> bool {
        self.images.contains(id)
    }

    /// The name standing for `person`'s group of names (themselves if none).
    pub fn group<'a>(&'a self, person: &'a str) -> &'a str {
        self.group.get(person).map_or(person, String::as_str)
    }

    /// The set without its excluded images.
    pub fn filter(&self, set: &[Described]) -> Vec<Described> {
        set.iter()
            .filter(|d| !self.excludes_image(&d.id))
            .cloned()
            .collect()
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.entries.iter().filter(|e| e.kind == kind).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_list_parses_with_a_reason_for_every_entry() {
        let x = Exclusions::lfw();
        assert!(x.count(Kind::SamePerson) >= 5);
        assert!(x.count(Kind::Duplicate) >= 10);
        assert_eq!(x.group("Dai_Chul_Chyung"), x.group("Chyung_Dai-chul"));
        assert_ne!(x.group("Serena_Williams"), x.group("Venus_Williams"));
        assert!(x.excludes_image(&ImageId {
            person: "Eva_Amurri".into(),
            number: 1
        }));
        assert!(!x.excludes_image(&ImageId {
            person: "Ari_Fleischer".into(),
            number: 6
        }));
        assert!(x.excludes_image(&ImageId {
            person: "Ari_Fleischer".into(),
            number: 11
        }));
    }

    #[test]
    fn malformed_lines_are_named() {
        let e = Exclusions::parse("# c\nimage\tX_0001\t-\t\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Exclusions::parse("image\tX_1\t-\twhy\n").is_err());
        assert!(Exclusions::parse("odd\tA\tB\twhy\n").is_err());
        assert!(Exclusions::parse("same-person\tA\tB\n").is_err());
        let ok = Exclusions::parse("same-person\tA\tB\twhy\nsame-person\tB\tC\twhy\n").unwrap();
        assert_eq!(ok.group("C"), ok.group("A"));
    }
}
