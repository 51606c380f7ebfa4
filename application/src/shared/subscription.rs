//! Following the outbox durably. A named consumer (merchant webhooks, the inbox, automation
//! triggers, campaigns) sees every event of the types it wants, at least once, in `seq` order
//! within what it is handed, on whichever replica holds its lease.
//!
//! `seq` is assigned when a row is inserted, not when its transaction commits: a transaction can
//! commit row 10 after another committed row 11. A plain "last seq seen" cursor would skip 10
//! for ever. The cursor is therefore a watermark (every row at or below it was handled) and the
//! rows handled above it; a row that commits late is still above the watermark and is seen on
//! the next read (rows handled above the watermark are read again, never handed again). A hole
//! in `seq` that stays (a transaction that rolled back) is passed once the row after it is older
//! than [`GAP_GRACE`]: no transaction of this service stays open that long.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::shared::outbox::OutboxRecord;
use crate::shared::repo::RepoResult;

/// How long a hole in `seq` is waited for before it is taken for a rolled-back transaction.
pub const GAP_GRACE: Duration = Duration::seconds(60);

/// Where a consumer is: every row at or below `watermark` was handled, and so were the rows in
/// `ahead` (all above it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub watermark: i64,
    pub ahead: BTreeSet<i64>,
}

impl Cursor {
    pub fn starting_at(watermark: i64) -> Self {
        Self { watermark, ahead: BTreeSet::new() }
    }

    /// Record the rows just handled (`seq` and when each was recorded, in any order), then move
    /// the watermark up over every handled row, and over a hole whose next row was recorded
    /// more than `grace` before `now`.
    pub fn handled(&mut self, rows: &[(i64, DateTime<Utc>)], now: DateTime<Utc>, grace: Duration) {
        self.ahead.extend(rows.iter().map(|(seq, _)| *seq).filter(|seq| *seq > self.watermark));
        // A row was inserted after every lower `seq` was handed out: the age of any row at or
        // above the one after a hole bounds the hole's age from below.
        let hole_older_than_grace = |next: i64| rows.iter().any(|(s, at)| *s >= next && *at + grace <= now);
        while let Some(&next) = self.ahead.first() {
            let old_enough = || hole_older_than_grace(next);
            if next == self.watermark + 1 || old_enough() {
                self.ahead.remove(&next);
                self.watermark = next;
            } else {
                break;
            }
        }
    }
}

/// The consumers' cursors and the outbox as they read it.
#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// The consumer's cursor; a consumer seen for the first time starts at the outbox's end (it
    /// sees every event recorded from then on).
    async fn cursor(&self, consumer: &str) -> RepoResult<Cursor>;
    /// Rows above `after`, in `seq` order, at most `limit`.
    async fn rows_after(&self, after: i64, limit: u64) -> RepoResult<Vec<OutboxRecord>>;
    async fn save(&self, consumer: &str, cursor: &Cursor, now: DateTime<Utc>) -> RepoResult<()>;
    /// The highest `seq` recorded (0 when none).
    async fn head(&self) -> RepoResult<i64>;
}

/// One consumer of the outbox.
#[async_trait]
pub trait EventConsumer: Send + Sync {
    /// Its durable name (the cursor's key and the lease's).
    fn name(&self) -> &'static str;
    /// Whether it wants events of this type (`message.sent`); the others are passed over.
    fn wants(&self, event_type: &str) -> bool;
    /// Handle events in `seq` order. An error hands the same events again later (at least once).
    async fn handle(&self, events: &[OutboxRecord]) -> Result<(), String>;
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Rows read (of every type).
    pub read: usize,
    /// Events handed to the consumer.
    pub handed: usize,
    /// The watermark after the pass.
    pub watermark: i64,
}

/// One pass of a consumer: read what it has not handled, hand it what it wants, move its cursor.
/// The caller holds the consumer's lease.
pub async fn pass(store: &dyn SubscriptionStore, consumer: &dyn EventConsumer, now: DateTime<Utc>, batch: u64) -> Result<Pass, PassError> {
    let mut cursor = store.cursor(consumer.name()).await.map_err(PassError::Store)?;
    // Rows already handled above the watermark are read again (their times pass a hole below
    // them) but not handed again.
    let rows = store.rows_after(cursor.watermark, batch + cursor.ahead.len() as u64).await.map_err(PassError::Store)?;
    let wanted: Vec<OutboxRecord> =
        rows.iter().filter(|r| !cursor.ahead.contains(&r.seq) && consumer.wants(&r.event_type)).cloned().collect();
    if !wanted.is_empty() {
        consumer.handle(&wanted).await.map_err(PassError::Consumer)?;
    }
    let before = cursor.clone();
    cursor.handled(&rows.iter().map(|r| (r.seq, r.created_at)).collect::<Vec<_>>(), now, GAP_GRACE);
    if cursor != before {
        store.save(consumer.name(), &cursor, now).await.map_err(PassError::Store)?;
    }
    Ok(Pass { read: rows.len(), handed: wanted.len(), watermark: cursor.watermark })
}

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("the outbox or the cursor could not be read or saved")]
    Store(#[source] crate::shared::repo::RepoError),
    #[error("the consumer failed: {0}")]
    Consumer(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap() + Duration::seconds(secs)
    }

    #[test]
    fn given_contiguous_rows_when_handled_then_the_watermark_follows() {
        let mut c = Cursor::starting_at(9);
        c.handled(&[(10, t(0)), (11, t(0)), (12, t(0))], t(1), GAP_GRACE);
        assert_eq!(c, Cursor::starting_at(12));
    }

    #[test]
    fn given_a_row_committed_late_when_read_again_then_it_is_not_skipped() {
        // Row 10's transaction is still open; 11 and 12 committed.
        let mut c = Cursor::starting_at(9);
        c.handled(&[(11, t(0)), (12, t(0))], t(1), GAP_GRACE);
        assert_eq!((c.watermark, c.ahead.iter().copied().collect::<Vec<_>>()), (9, vec![11, 12]), "10 is waited for");
        // It commits: the next read (above 9, skipping 11 and 12) hands it over.
        c.handled(&[(10, t(0)), (11, t(0)), (12, t(0))], t(2), GAP_GRACE);
        assert_eq!(c, Cursor::starting_at(12));
    }

    #[test]
    fn given_a_hole_that_stays_when_the_next_row_is_old_enough_then_it_is_passed() {
        let mut c = Cursor::starting_at(9);
        c.handled(&[(11, t(0))], t(59), GAP_GRACE);
        assert_eq!(c.watermark, 9, "within the grace, 10 may still commit");
        c.handled(&[(11, t(0))], t(60), GAP_GRACE);
        assert_eq!(c, Cursor::starting_at(11), "10 rolled back: passed");
    }

    #[test]
    fn given_the_row_after_a_hole_was_pruned_when_a_later_row_is_old_enough_then_the_hole_is_passed() {
        let mut c = Cursor { watermark: 9, ahead: [11].into() };
        c.handled(&[(12, t(30))], t(60), GAP_GRACE);
        assert_eq!(c.watermark, 9, "12 is younger than the grace");
        c.handled(&[(12, t(30))], t(90), GAP_GRACE);
        assert_eq!(c, Cursor::starting_at(12), "12 came after 10 was handed out: 10 is older still");
    }
}
