//! One half of LFW as people with their descriptors: A-M (calibration) or
//! N-Z (evaluation), with or without the exclusion list applied.

use std::collections::HashMap;

use crate::exclusions::Exclusions;
use crate::faceset::Described;
use crate::lfw::is_calibration_person;
use crate::pairs::Labelled;

/// Which half of LFW.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    /// People A-M: calibration.
    Calibration,
    /// People N-Z: evaluation, never used for tuning.
    Evaluation,
}

/// The people of one half, each with the descriptors of their images.
pub struct People<'a> {
    pub names: Vec<&'a str>,
    /// Per person, the descriptors of their images (in image order).
    pub images: Vec<Vec<&'a [f32]>>,
    /// Per person, their group (two names of one person share one).
    pub groups: Vec<usize>,
}

impl<'a> People<'a> {
    /// The people of `half`, leaving out excluded images if `exclusions` is given.
    pub fn of(set: &'a [Described], half: Half, exclusions: Option<&'a Exclusions>) -> Self {
        Self::select(
            set,
            |person| is_calibration_person(person) == (half == Half::Calibration),
            exclusions,
        )
    }

    /// The people whose names `keep` accepts, leaving out excluded images
    /// if `exclusions` is given.
    pub fn select(
        set: &'a [Described],
        keep: impl Fn(&str) -> bool,
        exclusions: Option<&'a Exclusions>,
    ) -> Self {
        let mut names: Vec<&str> = Vec::new();
        let mut images: Vec<Vec<&[f32]>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for d in set {
            if !keep(&d.id.person) || exclusions.is_some_and(|x| x.excludes_image(&d.id)) {
                continue;
            }
            let Some(v) = d.vector.as_deref() else {
                continue;
            };
            let p = *index.entry(&d.id.person).or_insert_with(|| {
                names.push(&d.id.person);
                images.push(Vec::new());
                names.len() - 1
            });
            images[p].push(v);
        }
        let mut group_ids: HashMap<&str, usize> = HashMap::new();
        let groups = names
            .iter()
            .map(|n| {
                let g = exclusions.map_or(*n, |x| x.group(n));
                let next = group_ids.len();
                *group_ids.entry(g).or_insert(next)
            })
            .collect();
        Self {
            names,
            images,
            groups,
        }
    }

    /// Every image as (person, descriptor), for all-pairs figures.
    pub fn labelled(&self) -> Labelled<'a> {
        Labelled {
            items: self
                .images
                .iter()
                .enumerate()
                .flat_map(|(p, v)| v.iter().map(move |x| (p, *x)))
                .collect(),
            groups: Some(self.groups.clone()),
        }
    }

    /// Pairs of different people (not two names of one) with images each.
    pub fn pairs_of_people(&self) -> u64 {
        let with: Vec<usize> = (0..self.names.len())
            .filter(|&p| !self.images[p].is_empty())
            .collect();
        let mut n = 0u64;
        for (i, &a) in with.iter().enumerate() {
            n += with[i + 1..]
                .iter()
                .filter(|&&b| self.groups[a] != self.groups[b])
                .count() as u64;
        }
        n
    }

    pub fn image_count(&self) -> usize {
        self.images.iter().map(Vec::len).sum()
    }

    /// Per-person mean descriptors (for building a cohort).
    pub fn means(&self) -> Vec<Vec<f32>> {
        self.images
            .iter()
            .map(|v| lfr_engine::fusion::mean(v.iter().copied()))
            .collect()
    }
}
