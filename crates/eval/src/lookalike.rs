//! The look-alike cluster: which people the closest impostor pairs
//! belong to, so that a demographic concentration at the strict end of
//! the scale is named rather than averaged away (`lfr bench lfw`).

use std::collections::HashSet;

use crate::fused::{CohortUse, Rng, draws, statistic};
use crate::people::People;

/// The `n` closest impostor pairs of single images, as (person, person, statistic).
pub fn closest_impostors(
    people: &People,
    cohort: Option<CohortUse>,
    n: usize,
) -> Vec<(usize, usize, f32)> {
    let sides = draws(people, 1, cohort, &mut Rng::new(0));
    let mut best: Vec<(usize, usize, f32)> = Vec::new();
    let mut worst_kept = f32::INFINITY;
    for (i, a) in sides.iter().enumerate() {
        for b in &sides[i + 1..] {
            if people.groups[a.person] == people.groups[b.person] {
                continue;
            }
            let s = statistic(a, b);
            if best.len() < n || s < worst_kept {
                best.push((a.person, b.person, s));
                if best.len() > 4 * n.max(1) {
                    best.sort_by(|x, y| x.2.total_cmp(&y.2));
                    best.truncate(n);
                    worst_kept = best.last().map_or(f32::INFINITY, |x| x.2);
                }
            }
        }
    }
    best.sort_by(|x, y| x.2.total_cmp(&y.2));
    best.truncate(n);
    best
}

/// The look-alike cluster of a list of close impostor pairs: people are
/// joined when a listed pair links them, and the cluster is the connected
/// group that holds the most listed pairs. Returns its people.
pub fn largest_cluster(pairs: &[(usize, usize, f32)]) -> HashSet<usize> {
    // Union-find over the people named in the list.
    let mut parent: std::collections::HashMap<usize, usize> = Default::default();
    fn root(parent: &mut std::collections::HashMap<usize, usize>, x: usize) -> usize {
        let p = *parent.entry(x).or_insert(x);
        if p == x {
            return x;
        }
        let r = root(parent, p);
        parent.insert(x, r);
        r
    }
    for &(a, b, _) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent.insert(ra, rb);
        }
    }
    let mut edges: std::collections::HashMap<usize, usize> = Default::default();
    for &(a, _, _) in pairs {
        *edges.entry(root(&mut parent, a)).or_default() += 1;
    }
    // The largest by pairs; ties go to the smaller root, so the answer repeats.
    let Some(best) = edges
        .iter()
        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
        .map(|x| *x.0)
    else {
        return HashSet::new();
    };
    let people: Vec<usize> = parent.keys().copied().collect();
    people
        .into_iter()
        .filter(|&p| root(&mut parent, p) == best)
        .collect()
}

/// Share of `pairs` whose two people are both in `cluster`.
pub fn share_within(pairs: &[(usize, usize, f32)], cluster: &HashSet<usize>) -> f64 {
    let n = pairs
        .iter()
        .filter(|(a, b, _)| cluster.contains(a) && cluster.contains(b))
        .count();
    n as f64 / pairs.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_is_the_connected_group_with_most_pairs() {
        // 1-2-3 chained by three pairs; 7-8 by two (the same two people twice).
        let pairs = [
            (1, 2, 0.1),
            (7, 8, 0.2),
            (2, 3, 0.3),
            (7, 8, 0.4),
            (3, 1, 0.5),
            (4, 5, 0.6),
        ];
        let c = largest_cluster(&pairs);
        assert_eq!(c, HashSet::from([1, 2, 3]));
        assert_eq!(share_within(&pairs, &c), 0.5);
        assert!(largest_cluster(&[]).is_empty());
        assert_eq!(share_within(&[(4, 5, 0.1), (1, 9, 0.2)], &c), 0.0);
    }
}
