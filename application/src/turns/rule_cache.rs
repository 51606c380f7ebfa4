//! A shop's automated responses, compiled once and kept for a second: a turn does not read and
//! compile a hundred rules again (the turn worker answers hundreds of turns a second). A change
//! made through this process forgets the shop's entry at once; another replica's change shows
//! within the second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::ShopId;
use domain::turns::{AutomatedResponse, RuleBook};

/// A shop's rules (the oldest first) and their keyword rules compiled.
#[derive(Debug, Default)]
pub struct CompiledRules {
    pub rules: Vec<AutomatedResponse>,
    pub book: RuleBook,
}

impl CompiledRules {
    pub fn new(rules: Vec<AutomatedResponse>) -> Self {
        let book = RuleBook::new(&rules);
        Self { rules, book }
    }
}

pub struct RuleCache {
    ttl: Duration,
    entries: Mutex<HashMap<ShopId, (Instant, Arc<CompiledRules>)>>,
}

impl Default for RuleCache {
    fn default() -> Self {
        Self::new(Duration::from_secs(1))
    }
}

impl RuleCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    pub fn get(&self, shop: ShopId) -> Option<Arc<CompiledRules>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&shop).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, r)| r.clone())
    }

    pub fn put(&self, shop: ShopId, rules: Vec<AutomatedResponse>) -> Arc<CompiledRules> {
        let compiled = Arc::new(CompiledRules::new(rules));
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        }
        entries.insert(shop, (Instant::now(), compiled.clone()));
        compiled
    }

    pub fn forget(&self, shop: ShopId) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&shop);
    }
}
