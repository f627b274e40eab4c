//! Combined models on a described face set: the templates a combined model
//! makes, from its components' descriptors of the same images, and the
//! weights of its fusion rule, fitted on people A-M only.

use std::collections::HashMap;

use lfr_engine::package::append_component;

use crate::exclusions::Exclusions;
use crate::faceset::Described;
use crate::lfw::{ImageId, is_calibration_person};
use crate::pairs::interleaved;

/// The combined model's descriptors of the images every component
/// described: what the engine makes of the same faces, since the components
/// share the detector and so the face each image is of. An image that any
/// component found no face in has no descriptor.
pub fn join(components: &[(&[Described], f32)]) -> Vec<Described> {
    let Some(((first, _), rest)) = components.split_first() else {
        return Vec::new();
    };
    let index: Vec<HashMap<&ImageId, &Described>> = rest
        .iter()
        .map(|(set, _)| set.iter().map(|d| (&d.id, d)).collect())
        .collect();
    first
        .iter()
        .map(|d| {
            let parts: Option<Vec<&[f32]>> = std::iter::once(d.vector.as_deref())
                .chain(
                    index
                        .iter()
                        .map(|ix| ix.get(&d.id).and_then(|o| o.vector.as_deref())),
                )
                .collect();
            let vector = parts.map(|parts| {
                let mut v = Vec::new();
                for (p, (_, w)) in parts.iter().zip(components) {
                    append_component(&mut v, p, *w);
                }
                v
            });
            Described {
                id: d.id.clone(),
                faces: d.faces,
                vector,
            }
        })
        .collect()
}

/// What fitting the weights found.
#[derive(Debug, Clone)]
pub struct WeightFit {
    /// One weight per component, summing to one.
    pub weights: Vec<f32>,
    /// The false match rate the true match rate was maximised at.
    pub fmr: f64,
    /// True match rate of the chosen weights at that rate (people weigh equally).
    pub tmr: f64,
    /// The same for each component alone.
    pub alone: Vec<f64>,
    pub people: usize,
    pub genuine_pairs: usize,
    pub impostor_pairs: usize,
}

/// Images a person contributes to the fit, at most: a much-photographed
/// person would otherwise choose the weights.
pub const IMAGES_PER_PERSON: usize = 10;

/// Fits the weights of a combined model's fusion rule on people A-M (less
/// the exclusion list, at most [`IMAGES_PER_PERSON`] images each): the
/// weights on a grid of `step` over the simplex that give the highest true
/// match rate at false match rate `fmr`, both measured on all image pairs
/// of those people with the per-component squared distances of unit
/// descriptors that the combined template sums.
pub fn fit_weights(
    components: &[&[Described]],
    exclusions: &Exclusions,
    fmr: f64,
    step: f32,
    threads: usize,
) -> Result<WeightFit, String> {
    let k = components.len();
    if k < 2 {
        return Err("a combined model needs two components or more".into());
    }
    // Unit descriptors of each image every component described.
    let index: Vec<HashMap<&ImageId, &[f32]>> = components
        .iter()
        .map(|set| {
            set.iter()
                .filter_map(|d| Some((&d.id, d.vector.as_deref()?)))
                .collect()
        })
        .collect();
    let mut person_of: HashMap<&str, usize> = HashMap::new();
    let mut group_of: Vec<usize> = Vec::new();
    let mut groups: HashMap<&str, usize> = HashMap::new();
    let mut count: Vec<usize> = Vec::new();
    let mut items: Vec<(usize, Vec<Vec<f32>>)> = Vec::new();
    for d in components[0] {
        if !is_calibration_person(&d.id.person) || exclusions.excludes_image(&d.id) {
            continue;
        }
        let Some(parts) = index
            .iter()
            .map(|ix| ix.get(&d.id).copied())
            .collect::<Option<Vec<&[f32]>>>()
        else {
            continue;
        };
        let next = person_of.len();
        let p = *person_of.entry(&d.id.person).or_insert(next);
        if p == group_of.len() {
            let next = groups.len();
            group_of.push(*groups.entry(exclusions.group(&d.id.person)).or_insert(next));
            count.push(0);
        }
        if count[p] == IMAGES_PER_PERSON {
            continue;
        }
        count[p] += 1;
        items.push((p, parts.iter().map(|v| unit(v)).collect()));
    }
    let sq = |a: &[Vec<f32>], b: &[Vec<f32>], out: &mut Vec<f32>| {
        for (x, y) in a.iter().zip(b) {
            out.push(lfr_engine::template::euclidean(x, y).powi(2));
        }
    };
    let mut genuine: Vec<f32> = Vec::new();
    let mut genuine_person: Vec<usize> = Vec::new();
    for (i, (pa, a)) in items.iter().enumerate() {
        for (pb, b) in &items[i + 1..] {
            if pa == pb {
                sq(a, b, &mut genuine);
                genuine_person.push(*pa);
            }
        }
    }
    let impostors: Vec<f32> = interleaved(items.len(), threads, Vec::new, |i, out| {
        let (pa, a) = &items[i];
        for (pb, b) in &items[i + 1..] {
            if group_of[*pa] != group_of[*pb] {
                sq(a, b, out);
            }
        }
    })
    .concat();
    let (n_gen, n_imp) = (genuine.len() / k, impostors.len() / k);
    let allowed = (fmr * n_imp as f64).floor() as usize;
    if n_gen == 0 || allowed < 10 {
        return Err(format!(
            "{n_gen} genuine and {n_imp} impostor pairs are too few to fit weights at false match rate {fmr:e}"
        ));
    }
    let rate = |w: &[f32], scratch: &mut Vec<f32>| -> f64 {
        scratch.clear();
        scratch.extend(impostors.chunks_exact(k).map(|x| dot(w, x)));
        let (_, t, _) = scratch.select_nth_unstable_by(allowed, f32::total_cmp);
        let below = if *t > 0.0 {
            f32::from_bits(t.to_bits() - 1)
        } else {
            -1.0
        };
        let scores: Vec<(usize, f32)> = genuine
            .chunks_exact(k)
            .zip(&genuine_person)
            .map(|(x, p)| (*p, dot(w, x)))
            .collect();
        // Matches strictly below the impostor at rank `allowed`: at most
        // `allowed` impostors reach the threshold.
        crate::verification::match_rate_by_person(&scores, below)
    };
    let grid = simplex(k, step);
    let rates: Vec<(usize, f64)> = interleaved(grid.len(), threads, Vec::new, |i, out| {
        let mut scratch = Vec::new();
        out.push((i, rate(grid[i].as_slice(), &mut scratch)));
    })
    .concat();
    let &(best, tmr) = rates
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .expect("the grid is not empty");
    let alone = (0..k)
        .map(|c| {
            let mut w = vec![0.0; k];
            w[c] = 1.0;
            rate(&w, &mut Vec::new())
        })
        .collect();
    Ok(WeightFit {
        weights: grid[best].clone(),
        fmr,
        tmr,
        alone,
        people: person_of.len(),
        genuine_pairs: n_gen,
        impostor_pairs: n_imp,
    })
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    v.iter().map(|x| x / n).collect()
}

fn dot(w: &[f32], x: &[f32]) -> f32 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

/// Every weight vector of `k` positive weights summing to one on a grid of
/// `step` (no component weighs zero: a component with no weight would be
/// described for nothing).
fn simplex(k: usize, step: f32) -> Vec<Vec<f32>> {
    let n = (1.0 / step).round() as usize;
    let mut out = Vec::new();
    let mut cur = vec![0usize; k];
    fn go(i: usize, left: usize, cur: &mut Vec<usize>, n: usize, out: &mut Vec<Vec<f32>>) {
        let k = cur.len();
        if i == k - 1 {
            if left >= 1 {
                cur[i] = left;
                out.push(cur.iter().map(|&c| c as f32 / n as f32).collect());
            }
            return;
        }
        for c in 1..left {
            cur[i] = c;
            go(i + 1, left - c, cur, n, out);
        }
    }
    go(0, n, &mut cur, n, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_the_simplex_without_zero_weights() {
        let g = simplex(2, 0.25);
        assert_eq!(g, vec![vec![0.25, 0.75], vec![0.5, 0.5], vec![0.75, 0.25]]);
        let g3 = simplex(3, 0.1);
        assert_eq!(g3.len(), 36); // C(9, 2)
        assert!(
            g3.iter()
                .all(|w| (w.iter().sum::<f32>() - 1.0).abs() < 1e-5)
        );
    }

    fn d(person: &str, number: u32, v: Option<Vec<f32>>) -> Described {
        Described {
            id: ImageId {
                person: person.into(),
                number,
            },
            faces: 1,
            vector: v,
        }
    }

    #[test]
    fn join_weighs_unit_parts_and_needs_every_component() {
        let a = [
            d("A", 1, Some(vec![3.0, 4.0])),
            d("A", 2, Some(vec![1.0, 0.0])),
        ];
        let b = [d("A", 2, Some(vec![0.0, 2.0])), d("A", 1, None)];
        let j = join(&[(&a, 0.25), (&b, 0.75)]);
        assert_eq!(j.len(), 2);
        assert!(j[0].vector.is_none(), "no face for one component: none");
        let v = j[1].vector.as_ref().unwrap();
        let want = [0.5, 0.0, 0.0, 0.75f32.sqrt()];
        assert!(
            v.iter().zip(want).all(|(x, y)| (x - y).abs() < 1e-6),
            "{v:?}"
        );
    }

    #[test]
    fn the_fit_weighs_the_component_that_separates_people() {
        // Component one tells the people apart, component two is noise.
        let mut rng = crate::fused::Rng::new(7);
        let mut noise = || (rng.below(1000) as f32 / 1000.0) - 0.5;
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for p in 0..60u32 {
            let name = format!("A{p:02}");
            let centre: Vec<f32> = (0..8).map(|_| noise()).collect();
            for i in 0..4 {
                let g: Vec<f32> = centre.iter().map(|c| c + 0.05 * noise()).collect();
                let b: Vec<f32> = (0..8).map(|_| noise()).collect();
                good.push(d(&name, i, Some(g)));
                bad.push(d(&name, i, Some(b)));
            }
        }
        let none = Exclusions::parse("").unwrap();
        let fit = fit_weights(&[&good, &bad], &none, 1e-3, 0.1, 2).unwrap();
        assert!(fit.weights[0] > 0.8, "{:?}", fit.weights);
        assert!(fit.alone[0] > fit.alone[1]);
        assert!(fit.tmr >= fit.alone[1]);
        assert_eq!(fit.people, 60);
    }
}
