//! The customers write side, inside a unit of work: set-based reads and writes.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, QuerySelect, QueryTrait};

use application::RepoResult;
use application::customers::ports::CustomerRepository;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter};

use domain::customers::{ConsentEntry, ConsentSettings, Customer, FieldDefinition, Segment};
use domain::{CustomerId, ShopId, WaId};

use super::entities::customers::{Column, Entity};
use super::entities::{consent_entries, consent_settings, custom_field_definitions, customer_field_values, customer_tags, segments};
use super::{mapping, queries};
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks, insert_returning_ids, update_columns};

pub struct SeaCustomerRepository {
    pub(crate) tx: Txn,
    pub(crate) pseudonyms: std::sync::Arc<crate::crypto::Pseudonymizer>,
}

#[async_trait]
impl CustomerRepository for SeaCustomerRepository {
    async fn lock_by_wa_ids(&mut self, keys: &[(ShopId, WaId)]) -> RepoResult<Vec<Customer>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(keys.len());
        for chunk in chunks(keys, 2, |(_, w)| 40 + w.as_str().len()) {
            out.extend(queries::all(self.tx.as_ref(), queries::by_keys(chunk).lock_exclusive()).await?);
        }
        Ok(out)
    }

    async fn lock_by_id(&mut self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>> {
        queries::one(self.tx.as_ref(), queries::by_id(shop, id).lock_exclusive()).await
    }

    async fn insert_many(&mut self, new: &[Customer]) -> RepoResult<Vec<CustomerId>> {
        let mut inserted = Vec::with_capacity(new.len());
        for chunk in chunks(new, mapping::COLUMNS, mapping::customer_bytes) {
            let stmt = Entity::insert_many(chunk.iter().map(mapping::customer_row))
                .on_conflict(OnConflict::columns([Column::ShopId, Column::WaId]).do_nothing().to_owned())
                .into_query();
            inserted.extend(
                insert_returning_ids(self.tx.as_ref(), stmt, Column::Id).await.map_err(repo_err)?.into_iter().map(CustomerId::from),
            );
        }
        let stored: Vec<&Customer> = new.iter().filter(|c| inserted.contains(&c.id())).collect();
        crate::persistence::inbox::search::index_names(self.tx.as_ref(), &stored).await?;
        Ok(inserted)
    }

    async fn update_many(&mut self, changed: &[&Customer]) -> RepoResult<()> {
        let rows = changed.iter().map(|c| mapping::customer_changes(c)).collect();
        update_columns(self.tx.as_ref(), "customers", &mapping::CHANGING_COLUMNS, rows).await?;
        crate::persistence::inbox::search::index_names(self.tx.as_ref(), changed).await.map(|_| ())
    }

    async fn append_consent(&mut self, entries: &[ConsentEntry]) -> RepoResult<()> {
        for chunk in chunks(entries, 9, |e| 200 + e.evidence.as_ref().map_or(0, String::len) + e.actor.as_ref().map_or(0, String::len)) {
            consent_entries::Entity::insert_many(chunk.iter().map(mapping::entry_row))
                .exec_without_returning(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        Ok(())
    }

    async fn consent_settings(&mut self, shops: &[ShopId]) -> RepoResult<HashMap<ShopId, ConsentSettings>> {
        let mut out: HashMap<ShopId, ConsentSettings> = shops.iter().map(|s| (*s, ConsentSettings::default())).collect();
        if shops.is_empty() {
            return Ok(out);
        }
        let rows = consent_settings::Entity::find()
            .filter(consent_settings::Column::ShopId.is_in(shops.iter().map(|s| s.as_uuid())))
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        for r in rows {
            out.insert(r.shop_id.into(), mapping::settings(r)?);
        }
        Ok(out)
    }

    async fn save_consent_settings(&mut self, shop: ShopId, settings: &ConsentSettings, now: DateTime<Utc>) -> RepoResult<()> {
        use consent_settings::Column as C;
        consent_settings::Entity::insert(mapping::settings_row(shop, settings, now))
            .on_conflict(
                OnConflict::column(C::ShopId)
                    .update_columns([
                        C::RequireMarketingOptIn,
                        C::OptOutKeywords,
                        C::OptInKeywords,
                        C::OptOutReply,
                        C::OptInReply,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    fn pseudonym(&self, shop: ShopId, wa_id: &WaId) -> WaId {
        self.pseudonyms.wa_id(shop, wa_id)
    }

    async fn reindex(&mut self, customers: &[&Customer]) -> RepoResult<()> {
        if customers.is_empty() {
            return Ok(());
        }
        for chunk in chunks(customers, 1, |_| 40) {
            let ids: Vec<uuid::Uuid> = chunk.iter().map(|c| c.id().as_uuid()).collect();
            customer_tags::Entity::delete_many()
                .filter(customer_tags::Column::CustomerId.is_in(ids.clone()))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            customer_field_values::Entity::delete_many()
                .filter(customer_field_values::Column::CustomerId.is_in(ids))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        let (mut tags, mut values) = (Vec::new(), Vec::new());
        for c in customers {
            let (t, v) = mapping::index_rows(c);
            tags.extend(t);
            values.extend(v);
        }
        for chunk in chunks(&tags, 3, |_| 80) {
            customer_tags::Entity::insert_many(chunk.to_vec()).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        for chunk in chunks(&values, 6, |_| 160) {
            customer_field_values::Entity::insert_many(chunk.to_vec()).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        Ok(())
    }

    async fn field_definitions(&mut self, shop: ShopId) -> RepoResult<Vec<FieldDefinition>> {
        super::queries::definitions(self.tx.as_ref(), shop).await
    }

    async fn insert_field_definition(&mut self, shop: ShopId, def: &FieldDefinition, now: DateTime<Utc>) -> RepoResult<()> {
        custom_field_definitions::Entity::insert(mapping::definition_row(shop, def, now))
            .on_conflict(
                OnConflict::columns([custom_field_definitions::Column::ShopId, custom_field_definitions::Column::Key])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.tx.as_ref())
            .await
            .map_err(repo_err)
            .and_then(|n| if n == 0 { Err(application::RepoError::Conflict("key".into())) } else { Ok(()) })
    }

    async fn refresh_statistics(&mut self) -> RepoResult<()> {
        use sea_orm::ConnectionTrait;
        let sql = match self.tx.get_database_backend() {
            sea_orm::DbBackend::Postgres => "ANALYZE customers, customer_tags, customer_field_values",
            _ => "ANALYZE",
        };
        self.tx.execute_unprepared(sql).await.map(|_| ()).map_err(repo_err)
    }

    async fn insert_segment(&mut self, segment: &Segment) -> RepoResult<()> {
        segments::Entity::insert(mapping::segment_row(segment))
            .on_conflict(OnConflict::columns([segments::Column::ShopId, segments::Column::Name]).do_nothing().to_owned())
            .exec_without_returning(self.tx.as_ref())
            .await
            .map_err(repo_err)
            .and_then(|n| if n == 0 { Err(application::RepoError::Conflict("name".into())) } else { Ok(()) })
    }

    async fn delete_segment(&mut self, shop: ShopId, id: uuid::Uuid) -> RepoResult<bool> {
        let r = segments::Entity::delete_many()
            .filter(segments::Column::ShopId.eq(shop.as_uuid()))
            .filter(segments::Column::Id.eq(id))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(r.rows_affected > 0)
    }
}
