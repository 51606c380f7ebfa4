use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ts(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

fn ts_null(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(name)
}

fn index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create().table("shops").if_not_exists().col(pk_uuid("id")).col(string("name")).col(ts("created_at")).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_keys")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("name"))
                .col(string("role"))
                .col(string_uniq("key_hash"))
                .col(string("key_prefix"))
                .col(ts("created_at"))
                .col(ts_null("revoked_at"))
                .foreign_key(ForeignKey::create().from("api_keys", "shop_id").to("shops", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_keys", "idx_api_keys_shop", &["shop_id"])).await?;

        m.create_table(
            Table::create()
                .table("whatsapp_accounts")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string_uniq("phone_number_id"))
                .col(string("display_phone_number"))
                .col(string("waba_id"))
                .col(string_null("display_name"))
                .col(text("access_token_encrypted"))
                .col(string("status"))
                .col(string("messaging_tier"))
                .col(string("quality_rating"))
                .col(ts("connected_at"))
                .col(ts("updated_at"))
                .foreign_key(ForeignKey::create().from("whatsapp_accounts", "shop_id").to("shops", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("whatsapp_accounts", "idx_accounts_shop", &["shop_id"])).await?;

        m.create_table(
            Table::create()
                .table("customers")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("wa_id"))
                .col(string_null("user_id"))
                .col(string_null("name"))
                .col(string_null("profile_picture_url"))
                .col(string("opt_in_status"))
                .col(string_null("opt_in_source"))
                .col(ts_null("opt_in_at"))
                .col(json_binary("tags"))
                .col(json_binary("custom_fields"))
                .col(ts("first_contacted_at"))
                .col(ts_null("last_inbound_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("customers", "uq_customers_shop_wa", &["shop_id", "wa_id"]).unique().to_owned()).await?;
        m.create_index(index("customers", "idx_customers_shop_user", &["shop_id", "user_id"])).await?;

        m.create_table(
            Table::create()
                .table("conversations")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("account_id"))
                .col(uuid("customer_id"))
                .col(string("wa_id"))
                .col(string("status"))
                .col(string("origin"))
                .col(uuid_null("assigned_agent_id"))
                .col(ts_null("last_inbound_at"))
                .col(ts("last_message_at"))
                .col(ts_null("entry_referred_at"))
                .col(ts_null("entry_first_reply_at"))
                .col(ts("started_at"))
                .col(ts_null("closed_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("conversations", "idx_conversations_shop_status", &["shop_id", "status", "last_message_at"])).await?;
        m.create_index(index("conversations", "idx_conversations_account_wa", &["account_id", "wa_id", "started_at"])).await?;
        // At most one active conversation per business number and customer.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS uq_conversations_active \
                 ON conversations (account_id, wa_id) WHERE status = 'active'",
            )
            .await?;

        m.create_table(
            Table::create()
                .table("messages")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("account_id"))
                .col(uuid("conversation_id"))
                .col(uuid("customer_id"))
                .col(string("wa_id"))
                .col(string("direction"))
                .col(string_null("wamid").unique_key())
                .col(string("kind"))
                .col(string("content_type"))
                .col(json_binary("content"))
                .col(string("status"))
                .col(json_binary_null("error"))
                .col(json_binary_null("pricing"))
                .col(json_binary_null("context"))
                .col(json_binary_null("referral"))
                .col(string_null("user_id"))
                .col(string("from_number"))
                .col(string("to_number"))
                .col(ts("timestamp"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("messages", "idx_messages_conversation_ts", &["conversation_id", "timestamp"])).await?;
        m.create_index(index("messages", "idx_messages_shop_wa_ts", &["shop_id", "wa_id", "timestamp"])).await?;
        m.create_index(index("messages", "idx_messages_shop_user", &["shop_id", "user_id"])).await?;

        m.create_table(
            Table::create()
                .table("message_statuses")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string("wamid"))
                .col(string("status"))
                .col(ts_null("occurred_at"))
                .col(json_binary("payload"))
                .col(ts("received_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("message_statuses", "uq_message_statuses_wamid_status", &["wamid", "status"]).unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("webhook_events")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(ts("received_at"))
                .col(text("body"))
                .col(string("state"))
                .col(integer("attempts").default(0))
                .col(string_null("fields"))
                .col(text_null("note"))
                .col(ts_null("processed_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("webhook_events", "idx_webhook_events_state", &["state", "received_at"])).await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .if_not_exists()
                .col(big_pk_auto("seq"))
                .col(uuid_uniq("event_id"))
                .col(uuid("shop_id"))
                .col(string("event_type"))
                .col(string("subject"))
                .col(json_binary("envelope"))
                .col(ts("created_at"))
                .col(ts_null("published_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("outbox", "idx_outbox_unpublished", &["published_at", "seq"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "outbox",
            "webhook_events",
            "message_statuses",
            "messages",
            "conversations",
            "customers",
            "whatsapp_accounts",
            "api_keys",
            "shops",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
