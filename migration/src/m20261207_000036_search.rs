//! Full-text search over the inbox (docs/INBOX.md): one document per message with text (its
//! text or caption) and per customer name, folded as consent keywords are (`ação` → `acao`).
//! Postgres searches it through `tsv`, a stored `to_tsvector('simple', body)` with a GIN index
//! (stored, so that matching rows are not folded again per query); SQLite through an FTS5 table
//! over the same rows, kept by triggers. Erasing a customer deletes their documents.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("search_documents")
                .if_not_exists()
                .col(pk_uuid("doc_id"))
                .col(uuid("shop_id"))
                .col(uuid("customer_id"))
                .col(uuid_null("conversation_id"))
                .col(text("body"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_search_documents_customer").table("search_documents").col("customer_id").if_not_exists().to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let statements: &[&str] = match db.get_database_backend() {
            DbBackend::Postgres => &[
                "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
                "CREATE INDEX IF NOT EXISTS idx_search_documents_tsv ON search_documents USING GIN (tsv)",
            ],
            _ => &[
                "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, content='search_documents', content_rowid='rowid')",
                "CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN \
                 INSERT INTO search_fts(rowid, body) VALUES (new.rowid, new.body); END",
                "CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN \
                 INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END",
            ],
        };
        for s in statements {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("DROP TABLE IF EXISTS search_fts").await?;
        }
        m.drop_table(Table::drop().table("search_documents").if_exists().to_owned()).await
    }
}
