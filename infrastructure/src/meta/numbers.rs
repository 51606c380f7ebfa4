//! `GET /{phone-number-id}`: what Meta says about a number, asked with a shop's token (the
//! accounts context's port). Onboarding adds the WABA's and the numbers' other endpoints here.

use async_trait::async_trait;
use serde_json::Value;

use super::client::{CloudApiClient, meta_error};
use application::accounts::ports::{NumberDirectory, VerifiedNumber};
use application::shared::meta::CloudApiError;
use application::shared::ports::Secret;
use domain::PhoneNumberId;

#[async_trait]
impl NumberDirectory for CloudApiClient {
    async fn verify_number(&self, phone_number_id: &PhoneNumberId, token: &Secret) -> Result<VerifiedNumber, CloudApiError> {
        let url = format!("{}/{}/{}?fields=display_phone_number,verified_name", self.base_url, self.version, phone_number_id.as_str());
        let unreachable = |e: reqwest::Error| CloudApiError::unreachable("could not ask the Cloud API about the number", e.to_string());
        let resp = self.http.get(&url).bearer_auth(token.expose()).send().await.map_err(unreachable)?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(meta_error(status, &body, 1));
        }
        // Meta answers with the object's own id: anything else is not this number.
        if body.get("id").and_then(Value::as_str) != Some(phone_number_id.as_str()) {
            return Err(meta_error(404, &serde_json::json!({"error": {"message": "the Cloud API did not return this phone number"}}), 1));
        }
        Ok(VerifiedNumber { display_phone_number: body.get("display_phone_number").and_then(Value::as_str).map(str::to_owned) })
    }
}
