//! `/api/v1/accounts`: connect, list, update and disconnect WhatsApp numbers.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::accounts::connect_account::ConnectWhatsAppAccount;
use application::accounts::disconnect_account::DisconnectWhatsAppAccount;
use application::accounts::get_account::GetAccount;
use application::accounts::list_accounts::ListAccounts;
use application::accounts::update_account::UpdateWhatsAppAccount;
use application::shared::ports::Secret;
use domain::accounts::{AccountStatus, MessagingTier, QualityRating};
use domain::tenancy::Role;
use domain::{AccountId, PhoneNumberId, WabaId};

use super::AccountsHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, phone};

pub struct AccountsApi;

#[derive(ApiResponse)]
enum AccountCreated {
    #[oai(status = 201)]
    Created(Json<AccountDto>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Connect a WhatsApp Business number (shop admin). The access token is stored encrypted
    /// (AES-256-GCM) and never returned.
    #[oai(path = "/accounts", method = "post", operation_id = "connectAccount")]
    async fn connect(
        &self,
        h: Data<&Arc<AccountsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<ConnectAccountRequest>,
    ) -> Result<AccountCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let cmd = ConnectWhatsAppAccount {
            shop_id: shop,
            phone_number_id: PhoneNumberId::parse(&b.phone_number_id).map_err(|e| ApiError::validation("phoneNumberId", &e.to_string()))?,
            display_phone_number: phone("displayPhoneNumber", &b.display_phone_number)?,
            waba_id: WabaId::parse(&b.waba_id).map_err(|e| ApiError::validation("wabaId", &e.to_string()))?,
            display_name: b.display_name,
            access_token: Secret::new(b.access_token),
        };
        let account = h.connect.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(AccountCreated::Created(Json(account.into())))
    }

    /// List the shop's numbers.
    #[oai(path = "/accounts", method = "get", operation_id = "listAccounts")]
    async fn list(
        &self,
        h: Data<&Arc<AccountsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<AccountListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let accounts = h.pipeline.query(&ctx(&rid, Some(shop)), &h.list, ListAccounts { shop_id: shop }).await?;
        Ok(Json(AccountListDto { accounts: accounts.into_iter().map(Into::into).collect() }))
    }

    /// Get one number.
    #[oai(path = "/accounts/:account_id", method = "get", operation_id = "getAccount")]
    async fn get(
        &self,
        h: Data<&Arc<AccountsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        account_id: Path<Uuid>,
    ) -> Result<Json<AccountDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let q = GetAccount { shop_id: shop, account_id: AccountId::from(account_id.0) };
        let a = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get, q).await?;
        Ok(Json(a.into()))
    }

    /// Update a number: display name, token rotation, suspend/activate, tier, quality. A new
    /// `accessToken` is checked with Meta first, as on connect: one Meta refuses is 422
    /// `NUMBER_NOT_VERIFIED` and the old token stays. A disconnected number is 409 `CONFLICT` until
    /// it is connected again.
    #[oai(path = "/accounts/:account_id", method = "patch", operation_id = "updateAccount")]
    async fn update(
        &self,
        h: Data<&Arc<AccountsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        account_id: Path<Uuid>,
        body: JsonBody<UpdateAccountRequest>,
    ) -> Result<Json<AccountDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let status = match b.status {
            None => None,
            Some(AccountStatusDto::Active) => Some(AccountStatus::Active),
            Some(AccountStatusDto::Suspended) => Some(AccountStatus::Suspended),
        };
        let cmd = UpdateWhatsAppAccount {
            shop_id: shop,
            account_id: AccountId::from(account_id.0),
            display_name: b.display_name,
            access_token: b.access_token.map(Secret::new),
            status,
            messaging_tier: b.messaging_tier.map(|t| match t {
                MessagingTierDto::Tier250 => MessagingTier::Tier250,
                MessagingTierDto::Tier1k => MessagingTier::Tier1K,
                MessagingTierDto::Tier10k => MessagingTier::Tier10K,
                MessagingTierDto::Tier100k => MessagingTier::Tier100K,
                MessagingTierDto::Unlimited => MessagingTier::Unlimited,
            }),
            quality_rating: b.quality_rating.map(|q| match q {
                QualityRatingDto::Green => QualityRating::Green,
                QualityRatingDto::Yellow => QualityRating::Yellow,
                QualityRatingDto::Red => QualityRating::Red,
                QualityRatingDto::Unknown => QualityRating::Unknown,
            }),
            throughput_mps: b.throughput_mps,
        };
        let a = h.update.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(Json(a.into()))
    }

    /// Disconnect a number: it stops sending, its token is wiped, its history stays.
    #[oai(path = "/accounts/:account_id", method = "delete", operation_id = "disconnectAccount")]
    async fn disconnect(
        &self,
        h: Data<&Arc<AccountsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        account_id: Path<Uuid>,
    ) -> Result<Json<AccountDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let cmd = DisconnectWhatsAppAccount { shop_id: shop, account_id: AccountId::from(account_id.0) };
        let a = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.disconnect, cmd).await?;
        Ok(Json(a.into()))
    }
}
