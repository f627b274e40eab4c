//! dlib's shape predictor (an ensemble of regression trees, Kazemi & Sullivan
//! 2014), loaded from dlib's own `.dat` files and run exactly as dlib's
//! `shape_predictor::operator()` runs it: the same float/double mix, the same
//! rounding, the same grey level `(r + g + b) / 3`. Landmarks feed chip
//! placement, and a pixel of drift there changes every template.
//!
//! File layout (`shape_predictor_5_face_landmarks.dat`): `int` version 1; the
//! initial shape as a float column matrix; the forests as
//! `vector<vector<regression_tree>>`, a tree being `vector<split_feature>`
//! (idx1, idx2: unsigned long; thresh: float) then `vector<matrix<float,0,1>>`
//! leaf values; `vector<vector<unsigned long>>` anchor indices; and
//! `vector<vector<vector<float,2>>>` deltas. Matrices are stored as -rows,
//! -cols, then the values row by row.

use std::path::Path;

use image::RgbImage;

use crate::align::{IRect, Similarity, floor};
use crate::dlib_format::{FormatError, Reader};

#[derive(Debug, thiserror::Error)]
pub enum LandmarksError {
    #[error(
        "cannot read shape predictor {path}: {source}. Check the file, or reinstall it with `lfr models install`"
    )]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// A trained shape predictor. Immutable and `Sync`: share one per process.
#[derive(Debug, Clone)]
pub struct ShapePredictor {
    /// Mean shape in the unit box, x0 y0 x1 y1 ...
    initial: Vec<f32>,
    cascades: Vec<Cascade>,
}

#[derive(Debug, Clone)]
struct Cascade {
    /// Feature pixel i sits at `anchors[i]`'s landmark plus `deltas[i]`
    /// (in the initial shape's frame).
    anchors: Vec<u32>,
    deltas: Vec<[f32; 2]>,
    trees: Vec<Tree>,
}

/// A complete binary tree stored breadth first, as dlib stores it.
#[derive(Debug, Clone)]
struct Tree {
    splits: Vec<Split>,
    /// `splits.len() + 1` leaves, each `initial.len()` values.
    leaves: Vec<f32>,
}

#[derive(Debug, Clone, Copy)]
struct Split {
    idx1: u32,
    idx2: u32,
    thresh: f32,
}

/// Landmarks in image coordinates, before and after dlib's rounding.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub points: Vec<[f64; 2]>,
}

impl Shape {
    /// The integer points dlib's `full_object_detection` keeps (half up).
    pub fn rounded(&self) -> Vec<[i64; 2]> {
        self.points
            .iter()
            .map(|p| [(p[0] + 0.5).floor() as i64, (p[1] + 0.5).floor() as i64])
            .collect()
    }
}

/// Upper bounds that no real model comes near; they stop a corrupt count
/// from asking for an absurd allocation.
const MAX_PARTS: usize = 10_000;
const MAX_CASCADES: usize = 1_000;
const MAX_TREE_DEPTH: u32 = 16;

impl ShapePredictor {
    pub fn load(path: &Path) -> Result<Self, LandmarksError> {
        let bytes = std::fs::read(path).map_err(|source| LandmarksError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self::from_bytes(&path.display().to_string(), &bytes)?)
    }

    /// Parses a serialized `dlib::shape_predictor`, checking every count and
    /// index against what follows so that running it can never go out of bounds.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new(name, bytes);
        let version = r.int()?;
        if version != 1 {
            return Err(r.error(format!("shape predictor version {version}, expected 1")));
        }
        let initial = float_column(&mut r, MAX_PARTS * 2)?;
        if initial.is_empty() || initial.len() % 2 != 0 {
            return Err(r.error(format!(
                "initial shape has {} values; it needs an even, non-zero number",
                initial.len()
            )));
        }
        let n = initial.len();

        let n_casc = r.count(MAX_CASCADES.min(r.remaining()))?;
        let mut forests = Vec::with_capacity(n_casc);
        for _ in 0..n_casc {
            let n_trees = r.count(r.remaining())?;
            let mut trees = Vec::with_capacity(n_trees);
            for _ in 0..n_trees {
                trees.push(read_tree(&mut r, n)?);
            }
            forests.push(trees);
        }

        let at = r.position();
        let n_anchor = r.count(r.remaining())?;
        if n_anchor != n_casc {
            return Err(r.error_here(at, format!("{n_anchor} anchor lists for {n_casc} cascades")));
        }
        let mut anchors = Vec::with_capacity(n_casc);
        for _ in 0..n_casc {
            let k = r.count(r.remaining())?;
            let mut a = Vec::with_capacity(k);
            for _ in 0..k {
                a.push(r.count(n / 2 - 1)? as u32);
            }
            anchors.push(a);
        }

        let at = r.position();
        let n_delta = r.count(r.remaining())?;
        if n_delta != n_casc {
            return Err(r.error_here(at, format!("{n_delta} delta lists for {n_casc} cascades")));
        }
        let mut cascades = Vec::with_capacity(n_casc);
        for (trees, anchors) in forests.into_iter().zip(anchors) {
            let at = r.position();
            let k = r.count(r.remaining())?;
            if k != anchors.len() {
                return Err(r.error_here(
                    at,
                    format!("{k} feature offsets for {} anchors", anchors.len()),
                ));
            }
            let mut deltas = Vec::with_capacity(k);
            for _ in 0..k {
                deltas.push([finite_f32(&mut r)?, finite_f32(&mut r)?]);
            }
            if let Some(bad) = trees
                .iter()
                .flat_map(|t| &t.splits)
                .find(|s| s.idx1 as usize >= k || s.idx2 as usize >= k)
            {
                return Err(r.error(format!(
                    "a split uses feature {} or {} but the cascade has {k} features",
                    bad.idx1, bad.idx2
                )));
            }
            cascades.push(Cascade {
                anchors,
                deltas,
                trees,
            });
        }
        if !r.at_end() {
            return Err(r.error(format!(
                "{} unexpected bytes after the model",
                r.remaining()
            )));
        }
        Ok(ShapePredictor { initial, cascades })
    }

    pub fn num_parts(&self) -> usize {
        self.initial.len() / 2
    }

    /// Landmarks for the object in `rect` (dlib's inclusive integer box).
    pub fn predict(&self, img: &RgbImage, rect: IRect) -> Shape {
        let n = self.initial.len();
        let mut shape = self.initial.clone();
        let initial: Vec<[f64; 2]> = pairs(&self.initial);
        let (l, t) = (rect.left as f64, rect.top as f64);
        let (sx, sy) = (
            (rect.right - rect.left) as f64,
            (rect.bottom - rect.top) as f64,
        );
        let to_img = |p: [f32; 2]| [sx * p[0] as f64 + l, sy * p[1] as f64 + t];
        let (w, h) = (img.width() as i64, img.height() as i64);
        let raw = img.as_raw();
        let mut feats: Vec<f32> = Vec::new();

        for casc in &self.cascades {
            // Feature pixels move with the current shape: the similarity from
            // the initial shape to it, applied to each offset in float, as dlib does.
            let current: Vec<[f64; 2]> = pairs(&shape);
            let s = Similarity::fit_like_dlib(&initial, &current);
            let (a, b) = (s.a as f32, s.b as f32);
            let nb = (-s.b) as f32;
            feats.clear();
            for (&anchor, d) in casc.anchors.iter().zip(&casc.deltas) {
                let k = anchor as usize * 2;
                let px = (a * d[0] + nb * d[1]) + shape[k];
                let py = (b * d[0] + a * d[1]) + shape[k + 1];
                let [x, y] = to_img([px, py]);
                let (xi, yi) = (floor(x + 0.5) as i64, floor(y + 0.5) as i64);
                feats.push(if xi >= 0 && yi >= 0 && xi < w && yi < h {
                    let i = (yi as usize * w as usize + xi as usize) * 3;
                    ((raw[i] as u32 + raw[i + 1] as u32 + raw[i + 2] as u32) / 3) as f32
                } else {
                    0.0
                });
            }
            for tree in &casc.trees {
                let leaf = tree.leaf(&feats);
                for (v, d) in shape.iter_mut().zip(&tree.leaves[leaf * n..(leaf + 1) * n]) {
                    *v += *d;
                }
            }
        }
        Shape {
            points: shape
                .chunks_exact(2)
                .map(|p| to_img([p[0], p[1]]))
                .collect(),
        }
    }
}

impl Tree {
    #[inline]
    fn leaf(&self, feats: &[f32]) -> usize {
        let mut i = 0;
        while i < self.splits.len() {
            let s = self.splits[i];
            i = if feats[s.idx1 as usize] - feats[s.idx2 as usize] > s.thresh {
                2 * i + 1
            } else {
                2 * i + 2
            };
        }
        i - self.splits.len()
    }
}

fn pairs(v: &[f32]) -> Vec<[f64; 2]> {
    v.chunks_exact(2)
        .map(|p| [p[0] as f64, p[1] as f64])
        .collect()
}

fn read_tree(r: &mut Reader, n: usize) -> Result<Tree, FormatError> {
    let at = r.position();
    let n_splits = r.count(((1usize << MAX_TREE_DEPTH) - 1).min(r.remaining()))?;
    let mut splits = Vec::with_capacity(n_splits);
    for _ in 0..n_splits {
        let idx1 = r.count(u32::MAX as usize)? as u32;
        let idx2 = r.count(u32::MAX as usize)? as u32;
        let thresh = finite_f32(r)?;
        splits.push(Split { idx1, idx2, thresh });
    }
    if !(n_splits + 1).is_power_of_two() {
        return Err(r.error_here(
            at,
            format!("a tree has {n_splits} splits; a complete tree has 2^k - 1"),
        ));
    }
    let at = r.position();
    let n_leaves = r.count(r.remaining())?;
    if n_leaves != n_splits + 1 {
        return Err(r.error_here(
            at,
            format!("a tree with {n_splits} splits has {n_leaves} leaves"),
        ));
    }
    let mut leaves = Vec::with_capacity(n_leaves * n);
    for _ in 0..n_leaves {
        let at = r.position();
        let len = float_column_into(r, n, &mut leaves)?;
        if len != n {
            return Err(r.error_here(at, format!("a leaf has {len} values, the shape {n}")));
        }
    }
    Ok(Tree { splits, leaves })
}

/// A `matrix<float,0,1>`: dimensions (negated in the current format, swapped
/// in the old one), then the values.
fn float_column(r: &mut Reader, max_len: usize) -> Result<Vec<f32>, FormatError> {
    let mut v = Vec::new();
    float_column_into(r, max_len, &mut v)?;
    Ok(v)
}

/// Appends a float column to `out` (no allocation per leaf); returns its length.
fn float_column_into(
    r: &mut Reader,
    max_len: usize,
    out: &mut Vec<f32>,
) -> Result<usize, FormatError> {
    let at = r.position();
    let (mut rows, mut cols) = (r.int()?, r.int()?);
    if rows < 0 || cols < 0 {
        (rows, cols) = (-rows, -cols);
    } else {
        (rows, cols) = (cols, rows);
    }
    if cols != 1 || rows < 0 || rows as u64 > max_len.min(r.remaining()) as u64 {
        return Err(r.error_here(
            at,
            format!("expected a column of at most {max_len} floats, found a {rows}x{cols} matrix"),
        ));
    }
    for _ in 0..rows {
        out.push(finite_f32(r)?);
    }
    Ok(rows as usize)
}

fn finite_f32(r: &mut Reader) -> Result<f32, FormatError> {
    let at = r.position();
    let v = r.float()?;
    let f = v as f32;
    if !f.is_finite() {
        return Err(r.error_here(at, format!("value {v} is not a finite float")));
    }
    Ok(f)
}

/// An error pointing at where the offending item began.
trait ErrorAt {
    fn error_here(&self, offset: usize, what: String) -> FormatError;
}

impl ErrorAt for Reader<'_> {
    fn error_here(&self, offset: usize, what: String) -> FormatError {
        let mut e = self.error(what);
        e.offset = offset;
        e
    }
}
