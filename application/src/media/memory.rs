//! How many bytes of files one process holds in memory at once: uploads being checked and sent
//! to Meta, stored files being uploaded again, customers' files being fetched. Each holds its
//! size from this budget (`MEDIA_MEMORY_BYTES`) for as long as its bytes are in memory. A request
//! that finds the budget spent is refused at once (503, retry); the fetch waits for room. A
//! file larger than the whole budget holds all of it, so it passes alone.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const KIB: u64 = 1024;

/// The process's budget of file bytes in memory (counted in KiB).
#[derive(Debug, Clone)]
pub struct FileMemory {
    permits: Arc<Semaphore>,
    kib: u32,
}

/// Room for one file's bytes, given back when dropped.
#[derive(Debug)]
pub struct Held {
    _permit: OwnedSemaphorePermit,
    bytes: u64,
}

impl Held {
    /// The bytes this file may take (its size, rounded up to a KiB, at most the budget).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl FileMemory {
    /// A budget of `bytes` (at least 1 KiB).
    pub fn new(bytes: u64) -> Self {
        let kib = u32::try_from(bytes / KIB).unwrap_or(u32::MAX).max(1);
        Self { permits: Arc::new(Semaphore::new(kib as usize)), kib }
    }

    fn kib_for(&self, bytes: u64) -> u32 {
        u32::try_from(bytes.div_ceil(KIB)).unwrap_or(u32::MAX).clamp(1, self.kib)
    }

    /// Room for `bytes` now, or `None` while other files hold the budget.
    pub fn try_hold(&self, bytes: u64) -> Option<Held> {
        let kib = self.kib_for(bytes);
        let permit = self.permits.clone().try_acquire_many_owned(kib).ok()?;
        Some(Held { _permit: permit, bytes: u64::from(kib) * KIB })
    }

    /// Room for `bytes`, waiting for other files to give theirs back (first come, first served).
    pub async fn hold(&self, bytes: u64) -> Held {
        let kib = self.kib_for(bytes);
        // The semaphore is never closed.
        let permit = self.permits.clone().acquire_many_owned(kib).await.expect("the file memory budget is never closed");
        Held { _permit: permit, bytes: u64::from(kib) * KIB }
    }

    /// Bytes not held now.
    pub fn available(&self) -> u64 {
        self.permits.available_permits() as u64 * KIB
    }

    /// The whole budget.
    pub fn total(&self) -> u64 {
        u64::from(self.kib) * KIB
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn given_files_held_when_the_budget_is_spent_then_another_is_refused_until_one_is_given_back() {
        let memory = FileMemory::new(10 * MB);
        let a = memory.try_hold(6 * MB).expect("room for the first");
        assert_eq!(memory.available(), 4 * MB);
        assert!(memory.try_hold(5 * MB).is_none(), "5 MB does not fit in the 4 left");
        let b = memory.try_hold(4 * MB).expect("4 MB fits exactly");
        assert_eq!(memory.available(), 0);
        drop(a);
        assert!(memory.try_hold(5 * MB).is_some(), "room again once the first is given back");
        drop(b);
        assert_eq!(memory.available(), 10 * MB);
    }

    #[test]
    fn a_file_larger_than_the_budget_holds_all_of_it_and_passes_alone() {
        let memory = FileMemory::new(10 * MB);
        let big = memory.try_hold(100 * MB).expect("alone, it passes");
        assert_eq!(big.bytes(), 10 * MB);
        assert!(memory.try_hold(1).is_none(), "nothing else meanwhile");
        drop(big);
        let small = memory.try_hold(1).unwrap();
        assert_eq!(small.bytes(), KIB, "sizes round up to a KiB");
        assert_eq!(memory.try_hold(0).unwrap().bytes(), KIB, "an empty file still counts a KiB");
        assert_eq!(memory.total(), 10 * MB);
    }

    #[tokio::test]
    async fn a_fetch_waits_for_room_instead_of_failing() {
        let memory = FileMemory::new(10 * MB);
        let held = memory.try_hold(8 * MB).unwrap();
        let waiting = tokio::spawn({
            let memory = memory.clone();
            async move { memory.hold(5 * MB).await.bytes() }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "5 MB waits while only 2 MB are free");
        drop(held);
        let got = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("room came").unwrap();
        assert_eq!(got, 5 * MB);
    }
}
