//! `/{waba-id}/message_templates` and `/{template-id}`: the templates context's port.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::client::{CloudApiClient, meta_error, url_escape};
use application::shared::meta::CloudApiError;
use application::shared::ports::Secret;
use application::templates::ports::{Submitted, TemplateApi, TemplatePage};
use domain::templates::TemplateCategory;

#[async_trait]
impl TemplateApi for CloudApiClient {
    async fn submit(&self, waba_id: &str, token: &Secret, template: &Value) -> Result<Submitted, CloudApiError> {
        let v = self.graph(reqwest::Method::POST, &format!("{waba_id}/message_templates"), token, Some(template)).await?;
        let id = v.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        if id.is_empty() {
            return Err(meta_error(502, &json!({"error": {"message": "Meta accepted the template without an id"}}), 1));
        }
        Ok(Submitted {
            id,
            status: domain::templates::ReviewStatus::parse(v.get("status").and_then(Value::as_str).unwrap_or("PENDING")),
            category: v.get("category").and_then(Value::as_str).and_then(TemplateCategory::parse),
        })
    }

    async fn list(&self, waba_id: &str, token: &Secret, after: Option<&str>) -> Result<TemplatePage, CloudApiError> {
        let fields = "id,name,language,status,category,components,parameter_format,rejected_reason,quality_score";
        let mut path = format!("{waba_id}/message_templates?limit=100&fields={fields}");
        if let Some(a) = after {
            path.push_str("&after=");
            path.push_str(&url_escape(a));
        }
        let v = self.graph(reqwest::Method::GET, &path, token, None).await?;
        let templates = v.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        // Meta gives `paging.next` only when there is a next page.
        let after = v
            .get("paging")
            .filter(|p| p.get("next").is_some())
            .and_then(|p| p.get("cursors"))
            .and_then(|c| c.get("after"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(TemplatePage { templates, after })
    }

    async fn delete(&self, waba_id: &str, token: &Secret, name: &str, meta_template_id: &str) -> Result<(), CloudApiError> {
        let path = format!("{waba_id}/message_templates?hsm_id={}&name={}", url_escape(meta_template_id), url_escape(name));
        self.graph(reqwest::Method::DELETE, &path, token, None).await.map(|_| ())
    }

    async fn edit(&self, meta_template_id: &str, token: &Secret, change: &Value) -> Result<(), CloudApiError> {
        self.graph(reqwest::Method::POST, &url_escape(meta_template_id), token, Some(change)).await.map(|_| ())
    }
}
