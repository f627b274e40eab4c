//! Who walks, who is enrolled, and who pads the watchlist: all from LFW
//! people whose names begin with N to Z (A to M calibrated the scores, so
//! they never appear in an evaluation).
//!
//! Two names of one person (the exclusion list's `same-person` entries) are
//! one identity here: such a pair is never split between a passer and the
//! watchlist padding, where a "false" alert would in fact be a true one.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use lfr_engine::geometry::Point;
use lfr_eval::exclusions::Exclusions;
use lfr_eval::lfw::{self, ImageId};

use crate::rng::Rng;

/// Eye centres (image-left, image-right) of the subject of a photograph.
pub type Eyes = (Point, Point);

/// Someone who walks through the scene with one photograph of themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct Walker {
    pub person: String,
    pub image: u32,
    pub eyes: Eyes,
    /// For Blue volunteers: the other images they are enrolled from.
    pub enrol: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Cast {
    pub blue: Vec<Walker>,
    pub public: Vec<Walker>,
}

#[derive(Debug, thiserror::Error)]
pub enum CastError {
    #[error(transparent)]
    Lfw(#[from] lfw::LfwError),
    #[error(
        "LFW people N-Z give only {found} {what} with a detectable face; {wanted} were asked for. Ask for fewer passes"
    )]
    TooFew {
        what: &'static str,
        found: usize,
        wanted: usize,
    },
}

/// The evaluation half of LFW: person -> image numbers, excluded images left out.
pub fn evaluation_people(
    images: &Path,
    exclusions: &Exclusions,
) -> Result<BTreeMap<String, Vec<u32>>, CastError> {
    let mut people: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for id in lfw::all_images(images)? {
        if lfw::is_calibration_person(&id.person) || exclusions.excludes_image(&id) {
            continue;
        }
        people.entry(id.person.clone()).or_default().push(id.number);
    }
    Ok(people)
}

/// Chooses `blue` volunteers (people with two or more images: one to walk
/// with, up to `enrol_images` others to enrol) and `public` passers, all
/// distinct identities. `face` says where the eyes are in an image, or
/// `None` if no face is found (such images are not used).
pub fn choose(
    people: &BTreeMap<String, Vec<u32>>,
    exclusions: &Exclusions,
    rng: &Rng,
    blue: usize,
    public: usize,
    enrol_images: usize,
    face: &mut dyn FnMut(&ImageId) -> Option<Eyes>,
) -> Result<Cast, CastError> {
    let mut order: Vec<&String> = people.keys().collect();
    rng.fork(1).shuffle(&mut order);
    let mut pick = rng.fork(2);
    let mut used_groups: HashSet<String> = HashSet::new();
    let id = |p: &str, n: u32| ImageId {
        person: p.to_string(),
        number: n,
    };

    let mut blues = Vec::new();
    for &person in &order {
        if blues.len() == blue {
            break;
        }
        let images = &people[person];
        if images.len() < 2 {
            continue;
        }
        let mut imgs = images.clone();
        pick.shuffle(&mut imgs);
        let Some(eyes) = face(&id(person, imgs[0])) else {
            continue;
        };
        let enrol: Vec<u32> = imgs[1..]
            .iter()
            .copied()
            .filter(|&n| face(&id(person, n)).is_some())
            .take(enrol_images.max(1))
            .collect();
        if enrol.is_empty() {
            continue;
        }
        used_groups.insert(exclusions.group(person).to_string());
        blues.push(Walker {
            person: person.clone(),
            image: imgs[0],
            eyes,
            enrol,
        });
    }
    if blues.len() < blue {
        return Err(CastError::TooFew {
            what: "Blue volunteers (two or more images)",
            found: blues.len(),
            wanted: blue,
        });
    }

    let mut publics = Vec::new();
    for &person in &order {
        if publics.len() == public {
            break;
        }
        if used_groups.contains(exclusions.group(person)) {
            continue;
        }
        let images = &people[person];
        let n = images[pick.below(images.len())];
        let Some(eyes) = face(&id(person, n)) else {
            continue;
        };
        used_groups.insert(exclusions.group(person).to_string());
        publics.push(Walker {
            person: person.clone(),
            image: n,
            eyes,
            enrol: Vec::new(),
        });
    }
    if publics.len() < public {
        return Err(CastError::TooFew {
            what: "members of the public",
            found: publics.len(),
            wanted: public,
        });
    }
    Ok(Cast {
        blue: blues,
        public: publics,
    })
}

/// Identities that may pad the watchlist: N-Z people who do not pass (nor
/// any other name of theirs), in an order fixed by the seed, each with
/// their lowest-numbered image.
pub fn padding_pool(
    people: &BTreeMap<String, Vec<u32>>,
    exclusions: &Exclusions,
    passers: &[&str],
    seed: u64,
) -> Vec<ImageId> {
    let groups: HashSet<&str> = passers.iter().map(|p| exclusions.group(p)).collect();
    let mut pool: Vec<ImageId> = people
        .iter()
        .filter(|(p, _)| !groups.contains(exclusions.group(p)))
        .map(|(p, imgs)| ImageId {
            person: p.clone(),
            number: imgs[0],
        })
        .collect();
    Rng::new(seed).fork(3).shuffle(&mut pool);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> BTreeMap<String, Vec<u32>> {
        let mut m = BTreeMap::new();
        for (i, name) in ["Nadia", "Oscar", "Pia", "Quinn", "Rosa", "Sam", "Tom"]
            .iter()
            .enumerate()
        {
            m.insert(name.to_string(), (1..=(i as u32 % 3 + 1)).collect());
        }
        m
    }

    #[test]
    fn blue_walk_with_one_image_and_enrol_others_and_nobody_pads_who_passes() {
        let p = people();
        let x = Exclusions::default();
        let mut face = |id: &ImageId| {
            (id.person != "Pia").then(|| (Point::new(1.0, 2.0), Point::new(3.0, 2.0)))
        };
        let cast = choose(&p, &x, &Rng::new(5), 2, 3, 1, &mut face).unwrap();
        assert_eq!((cast.blue.len(), cast.public.len()), (2, 3));
        for b in &cast.blue {
            assert!(p[&b.person].len() >= 2);
            assert_eq!(b.enrol.len(), 1);
            assert!(!b.enrol.contains(&b.image), "enrolled from another image");
        }
        let passers: Vec<&str> = cast
            .blue
            .iter()
            .chain(&cast.public)
            .map(|w| w.person.as_str())
            .collect();
        let distinct: HashSet<&str> = passers.iter().copied().collect();
        assert_eq!(distinct.len(), 5);
        assert!(!distinct.contains("Pia"), "no face, never cast");
        let pool = padding_pool(&p, &x, &passers, 5);
        assert!(pool.iter().all(|i| !distinct.contains(i.person.as_str())));
        assert_eq!(pool.len(), 2);
        // The same seed casts the same people.
        let again = choose(&p, &x, &Rng::new(5), 2, 3, 1, &mut face).unwrap();
        assert_eq!(again.blue, cast.blue);
        assert!(choose(&p, &x, &Rng::new(5), 2, 9, 1, &mut face).is_err());
    }
}
