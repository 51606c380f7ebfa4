//! Rows of the templates context ↔ domain values.

use sea_orm::ActiveValue::{NotSet, Set};

use domain::templates::{ReviewStatus, Template, TemplateCategory, TemplateDefinition, TemplateSnapshot};

use super::entities::templates::{ActiveModel, Model};

pub(crate) fn template(m: Model) -> Template {
    let category = m.category.as_deref().and_then(TemplateCategory::parse);
    let definition = m.components.as_ref().and_then(|c| {
        TemplateDefinition::parse(&m.name, &m.language, category.map_or("", |c| c.as_str()), m.parameter_format.as_deref(), c).ok()
    });
    Template::restore(TemplateSnapshot {
        id: m.id,
        shop_id: m.shop_id.into(),
        account_id: m.account_id.map(Into::into),
        waba_id: m.waba_id,
        meta_template_id: m.meta_template_id,
        name: m.name,
        language: m.language,
        category,
        definition,
        status: ReviewStatus::parse(&m.status),
        reason: m.reason,
        quality: m.quality,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn row(t: &Template) -> ActiveModel {
    let t = t.snapshot();
    ActiveModel {
        id: Set(t.id),
        shop_id: Set(t.shop_id.as_uuid()),
        waba_id: Set(t.waba_id.clone()),
        meta_template_id: Set(t.meta_template_id.clone()),
        name: Set(t.name.clone()),
        language: Set(t.language.clone()),
        status: Set(t.status.as_str().to_owned()),
        reason: Set(t.reason.clone()),
        updated_at: Set(t.updated_at),
        category: Set(t.category.map(|c| c.as_str().to_owned())),
        parameter_format: Set(t.definition.as_ref().map(|d| d.format.as_str().to_owned())),
        components: match &t.definition {
            Some(d) => Set(Some(d.components.clone())),
            None => NotSet,
        },
        account_id: Set(t.account_id.map(|a| a.as_uuid())),
        created_at: Set(t.created_at),
        quality: Set(t.quality.clone()),
        status_at: NotSet,
    }
}
