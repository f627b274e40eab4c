//! Who an alert is about, as much as the operator needs: the inclusion's
//! reference and watchlist category (never the name, which stays with the
//! commanders and the AO). Inclusions do not change once made, so they are
//! read from the store once (an audited read by the first viewer) and kept.

use std::collections::HashMap;
use std::sync::Mutex;

use lfr_domain::ids::{DeploymentId, InclusionId, WatchlistId};
use lfr_domain::role::User;
use lfr_domain::watchlist::{Category, WatchlistKind};
use lfr_store::Store;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub reference: String,
    pub category: Category,
    pub watchlist: WatchlistId,
    pub watchlist_kind: WatchlistKind,
    pub under_18: bool,
}

#[derive(Default)]
pub struct Subjects {
    map: Mutex<HashMap<InclusionId, Subject>>,
}

impl Subjects {
    fn get(&self, i: InclusionId) -> Option<Subject> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&i)
            .cloned()
    }

    /// The subject of inclusion `i` of deployment `d`, reading the
    /// deployment's watchlists with `user`'s rights when not yet known.
    /// `None` when the user may not read them or the inclusion is gone.
    pub async fn lookup(
        &self,
        store: &Store,
        user: &User,
        d: DeploymentId,
        i: InclusionId,
    ) -> Option<Subject> {
        if let Some(s) = self.get(i) {
            return Some(s);
        }
        let lists = store.watchlists(user, d).await.ok()?;
        for (w, _) in lists {
            let Ok(incs) = store.inclusions(user, w.id).await else {
                continue;
            };
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            for v in incs {
                map.insert(
                    v.inclusion.id,
                    Subject {
                        reference: v.reference,
                        category: v.inclusion.category,
                        watchlist: w.id,
                        watchlist_kind: w.kind,
                        under_18: v.inclusion.under_18,
                    },
                );
            }
        }
        self.get(i)
    }
}
