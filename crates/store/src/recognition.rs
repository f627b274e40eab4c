//! A deployment's recognition model: changed only while no camera runs it,
//! and always together with every template of its watchlists.

use lfr_domain::deployment::{Deployment, RecognitionModel};
use lfr_domain::enrol::{Enroller, ModelUse};
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;

use crate::gate::{Act, done};
use crate::templates::{nothing_changed, remake_templates, store_templates};
use crate::watchlists::load_for_deployment;
use crate::{Result, Store};

impl Store {
    /// Switches deployment `id` to `model`, whose templates `enroller` makes,
    /// and re-enrols every watchlist of the deployment from its stored
    /// reference images in the same transaction: all or nothing, so a
    /// deployment never holds templates its model cannot compare. A model
    /// whose licence forbids operational use needs `uses.licence`, the
    /// reference of a licence that allows it; one whose calibration is not
    /// shown to hold on unseen people needs `uses.calibration`, the reason it
    /// may be used anyway. The audit entry records both. Returns the
    /// deployment and the number of templates remade.
    pub async fn set_recognition(
        &self,
        actor: &User,
        id: DeploymentId,
        model: &str,
        enroller: &dyn Enroller,
        uses: ModelUse<'_>,
    ) -> Result<(Deployment, usize)> {
        let act = Act::new(
            actor,
            Action::ChangeAlgorithm,
            "deployment.set_algorithm",
            format!("D{id}"),
        );
        self.act(act, async |tx, _| {
            let mut d = crate::deployments::load(tx, id).await?;
            let wls = load_for_deployment(tx, id).await?;
            let from = d.recognition.clone();
            let to = RecognitionModel {
                model: model.to_string(),
                algorithm: enroller.algorithm(),
                calibration: enroller.calibration(),
            };
            let restriction = enroller.restriction();
            let check = enroller.calibration_check();
            policy::model_may_be_chosen(model, restriction.as_deref(), Some(&check), uses)?;
            d.set_recognition(to.clone())?;
            for w in &wls {
                policy::watchlist_open_for_changes(w, &d)?;
            }
            let key = self.keys().data_key(id)?;
            let ids: Vec<_> = wls.iter().map(|w| w.id).collect();
            let remade = remake_templates(tx, &key, &ids, enroller)
                .await?
                .map_err(nothing_changed)?;
            store_templates(tx, &key, &remade).await?;
            sqlx::query(
                "UPDATE deployments SET model = $1, algorithm = $2, calibration = $3 WHERE id = $4",
            )
            .bind(&to.model)
            .bind(&to.algorithm)
            .bind(&to.calibration)
            .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let licensed = match (&restriction, uses.licence) {
                (Some(r), Some(l)) => format!("; restricted model ({r}) used under licence {l}"),
                _ => String::new(),
            };
            let calibrated = match uses.calibration {
                Some(why) if !check.holds() => {
                    format!("; calibration {}, used because: {why}", check.summary())
                }
                _ => format!("; calibration {}", check.summary()),
            };
            let detail = format!(
                "recognition model {} ({}) -> {} ({}); {} templates of {} watchlist(s) remade from their reference images{licensed}{calibrated}",
                from.model,
                from.algorithm,
                to.model,
                to.algorithm,
                remade.len(),
                ids.len(),
            );
            let n = remade.len();
            done((d, n), detail)
        })
        .await
    }
}
