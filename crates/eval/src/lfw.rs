//! Labeled Faces in the Wild: the image tree and the View 2 protocol.
//!
//! `pairs.txt` starts with `10 300` (folds, pairs per class per fold), then per
//! fold 300 same-person lines `name i j` and 300 different-person lines
//! `name1 i name2 j`. Image numbers are 1-based: `<name>/<name>_<i:04>.jpg`.

use std::path::{Path, PathBuf};

/// One image of a face set: who it is and where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId {
    pub person: String,
    pub number: u32,
}

impl ImageId {
    pub fn path(&self, images: &Path) -> PathBuf {
        images
            .join(&self.person)
            .join(format!("{}_{:04}.jpg", self.person, self.number))
    }
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub a: ImageId,
    pub b: ImageId,
    pub same: bool,
}

/// The View 2 pairs, fold by fold.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub folds: Vec<Vec<Pair>>,
}

#[derive(Debug, thiserror::Error)]
pub enum LfwError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("pairs.txt line {line}: {what}")]
    Pairs { line: usize, what: String },
}

impl Protocol {
    pub fn load(path: &Path) -> Result<Self, LfwError> {
        let text = std::fs::read_to_string(path).map_err(|source| LfwError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, LfwError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let bad = |line: usize, what: &str| LfwError::Pairs {
            line: line + 1,
            what: what.to_string(),
        };
        let (n0, header) = lines.next().ok_or_else(|| bad(0, "empty file"))?;
        let h: Vec<usize> = header
            .split_whitespace()
            .map(|x| {
                x.parse()
                    .map_err(|_| bad(n0, "header is not `folds pairs`"))
            })
            .collect::<Result<_, _>>()?;
        let [folds, per] = h[..] else {
            return Err(bad(n0, "header is not `folds pairs`"));
        };
        let num = |n: usize, s: &str| s.parse::<u32>().map_err(|_| bad(n, "bad image number"));
        let mut out = Vec::with_capacity(folds);
        for _ in 0..folds {
            let mut fold = Vec::with_capacity(2 * per);
            for k in 0..2 * per {
                let (n, line) = lines
                    .next()
                    .ok_or_else(|| bad(usize::MAX - 1, "file ends early"))?;
                let f: Vec<&str> = line.split_whitespace().collect();
                let same = k < per;
                let pair = match (same, f.len()) {
                    (true, 3) => Pair {
                        a: ImageId {
                            person: f[0].into(),
                            number: num(n, f[1])?,
                        },
                        b: ImageId {
                            person: f[0].into(),
                            number: num(n, f[2])?,
                        },
                        same,
                    },
                    (false, 4) => Pair {
                        a: ImageId {
                            person: f[0].into(),
                            number: num(n, f[1])?,
                        },
                        b: ImageId {
                            person: f[2].into(),
                            number: num(n, f[3])?,
                        },
                        same,
                    },
                    _ => return Err(bad(n, "wrong number of fields for this part of the fold")),
                };
                fold.push(pair);
            }
            out.push(fold);
        }
        Ok(Self { folds: out })
    }

    /// Every image the protocol mentions, once.
    pub fn images(&self) -> Vec<ImageId> {
        let mut v: Vec<ImageId> = self
            .folds
            .iter()
            .flatten()
            .flat_map(|p| [p.a.clone(), p.b.clone()])
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Every image under `images/`, person by person, sorted.
pub fn all_images(images: &Path) -> Result<Vec<ImageId>, LfwError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LfwError::Io { path, source }
    };
    let mut out = Vec::new();
    for person in std::fs::read_dir(images).map_err(io(images))? {
        let person = person.map_err(io(images))?;
        if !person.path().is_dir() {
            continue;
        }
        let name = person.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(person.path()).map_err(io(&person.path()))? {
            let f = f.map_err(io(&person.path()))?;
            let file = f.file_name().to_string_lossy().into_owned();
            let number = file
                .strip_prefix(&format!("{name}_"))
                .and_then(|s| s.strip_suffix(".jpg"))
                .and_then(|s| s.parse().ok());
            if let Some(number) = number {
                out.push(ImageId {
                    person: name.clone(),
                    number,
                });
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The split lfr uses: people whose names begin with A to M calibrate, N to Z evaluate.
pub fn is_calibration_person(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.to_ascii_uppercase() <= 'M')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_folds_of_same_then_different_pairs() {
        let text = "2 1\nA 1 2\nB 1 C 3\nD 2 4\nE 1 F 1\n";
        let p = Protocol::parse(text).unwrap();
        assert_eq!(p.folds.len(), 2);
        assert!(p.folds[0][0].same && !p.folds[0][1].same);
        assert_eq!(
            p.folds[1][1].b,
            ImageId {
                person: "F".into(),
                number: 1
            }
        );
        // A_1 A_2 B_1 C_3 D_2 D_4 E_1 F_1
        assert_eq!(p.images().len(), 8);
        assert_eq!(
            p.folds[0][0].a.path(Path::new("/x")),
            PathBuf::from("/x/A/A_0001.jpg")
        );
    }

    #[test]
    fn malformed_pairs_name_the_line() {
        let e = Protocol::parse("1 1\nA 1 2\nB 1 C\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        assert!(Protocol::parse("1 1\nA 1 2\n").is_err());
        assert!(Protocol::parse("x\n").is_err());
    }

    #[test]
    fn split_is_by_first_letter() {
        assert!(is_calibration_person("Mikhail_Gorbachev"));
        assert!(!is_calibration_person("Nelson_Mandela"));
        assert!(is_calibration_person("abe"));
    }
}
