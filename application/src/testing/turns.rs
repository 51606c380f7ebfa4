//! The turns context's repositories in memory (threads, turns and their messages, automated
//! responses), with the database's rules: one open turn per thread, versions checked.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::memory::{MemoryPart, State, stale};
use crate::shared::repo::{RepoError, RepoResult};
use crate::turns::ports::{AutomatedResponseRepository, ThreadRepository, TurnOpening, TurnRepository};
use domain::messaging::MessageContent;
use domain::turns::turn::TurnState;
use domain::turns::{AutomatedResponse, AutomatedResponseSnapshot, Thread, ThreadSnapshot, Turn, TurnSnapshot};
use domain::{AccountId, AutomatedResponseId, CustomerId, ShopId, TurnId, WaId};

impl MemoryPart {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.work.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl TurnRepository for MemoryPart {
    async fn open(&mut self, openings: &[TurnOpening]) -> RepoResult<()> {
        self.with(|st| {
            for o in openings {
                let open = st.turns.values_mut().find(|t| {
                    let s = t.snapshot();
                    s.state == TurnState::Open && s.account_id == o.account_id && s.wa_id == o.wa_id
                });
                let id = match open {
                    Some(t) => {
                        let mut s = t.snapshot().clone();
                        let cap = domain::turns::turn::cap_at(s.first_at);
                        s.conversation_id = o.conversation_id;
                        s.last_at = o.at;
                        s.due_at = o.due_at.min(cap);
                        s.messages += o.messages;
                        s.first_contact |= o.first_contact;
                        s.keyword |= o.keyword;
                        *t = Turn::restore(s);
                        t.id()
                    }
                    None => {
                        let t = Turn::restore(TurnSnapshot {
                            id: o.id,
                            shop_id: o.shop_id,
                            account_id: o.account_id,
                            customer_id: o.customer_id,
                            wa_id: o.wa_id.clone(),
                            conversation_id: o.conversation_id,
                            state: TurnState::Open,
                            first_at: o.at,
                            last_at: o.at,
                            due_at: o.due_at,
                            messages: o.messages,
                            first_contact: o.first_contact,
                            keyword: o.keyword,
                            attempts: 0,
                            responder: None,
                            outcome: None,
                            reason: None,
                            replies: Vec::new(),
                            answered_at: None,
                            created_at: o.at,
                        });
                        st.turns.insert(o.id, t);
                        o.id
                    }
                };
                st.turn_messages.extend(o.wamids.iter().map(|(m, w)| (id, *m, w.clone())));
            }
        });
        Ok(())
    }

    async fn lock(&mut self, shop: ShopId, id: TurnId) -> RepoResult<Option<Turn>> {
        Ok(self.with(|st| st.turns.get(&id).filter(|t| t.snapshot().shop_id == shop).cloned()))
    }

    async fn save(&mut self, turn: &Turn) -> RepoResult<()> {
        self.with(|st| match st.turns.get_mut(&turn.id()) {
            Some(t) => {
                *t = turn.clone();
                Ok(())
            }
            None => Err(RepoError::Other("turn vanished".into())),
        })
    }

    async fn texts(&mut self, id: TurnId) -> RepoResult<Vec<String>> {
        Ok(self.with(|st| {
            st.turn_messages
                .iter()
                .filter(|(t, _, _)| *t == id)
                .filter_map(|(_, m, _)| st.messages.get(m))
                .filter_map(|m| match m.content() {
                    MessageContent::Text { text, .. } => Some(text.clone()),
                    _ => None,
                })
                .collect()
        }))
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        Ok(self.with(|st| {
            let gone: Vec<TurnId> =
                st.turns.values().filter(|t| t.snapshot().shop_id == shop && t.snapshot().customer_id == customer).map(Turn::id).collect();
            st.turn_messages.retain(|(t, _, _)| !gone.contains(t));
            st.turns.retain(|id, _| !gone.contains(id));
            gone.len() as u64
        }))
    }
}

fn bumped(t: &Thread) -> Thread {
    Thread::restore(ThreadSnapshot { version: t.version() + 1, ..t.snapshot().clone() })
}

#[async_trait]
impl ThreadRepository for MemoryPart {
    async fn lock(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Thread>> {
        Ok(self.with(|st| st.threads.values().find(|t| t.snapshot().account_id == account && &t.snapshot().wa_id == wa_id).cloned()))
    }

    async fn lock_many(&mut self, keys: &[(AccountId, WaId)]) -> RepoResult<Vec<Thread>> {
        Ok(self.with(|st| {
            st.threads
                .values()
                .filter(|t| keys.iter().any(|(a, w)| t.snapshot().account_id == *a && t.snapshot().wa_id == *w))
                .cloned()
                .collect()
        }))
    }

    async fn save(&mut self, thread: &Thread) -> RepoResult<()> {
        self.with(|st| {
            if thread.version() == 0 {
                let s = thread.snapshot();
                if st.threads.values().any(|t| t.snapshot().account_id == s.account_id && t.snapshot().wa_id == s.wa_id) {
                    return Err(stale("thread"));
                }
                st.threads.insert(thread.id(), bumped(thread));
                return Ok(());
            }
            match st.threads.get(&thread.id()) {
                Some(t) if t.version() == thread.version() => {
                    st.threads.insert(thread.id(), bumped(thread));
                    Ok(())
                }
                _ => Err(stale("thread")),
            }
        })
    }

    async fn lock_expired(&mut self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>> {
        Ok(self.with(|st| {
            st.threads
                .values()
                .filter(|t| t.snapshot().owner.kind() != "none" && t.snapshot().owner_expires_at.is_some_and(|at| at <= now))
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        Ok(self.with(|st| {
            let before = st.threads.len();
            st.threads.retain(|_, t| !(t.snapshot().shop_id == shop && t.snapshot().customer_id == customer));
            (before - st.threads.len()) as u64
        }))
    }
}

#[async_trait]
impl AutomatedResponseRepository for MemoryPart {
    async fn insert(&mut self, rule: &AutomatedResponse) -> RepoResult<()> {
        self.with(|st| {
            st.automated_responses.push(AutomatedResponse::restore(AutomatedResponseSnapshot { version: 1, ..rule.snapshot().clone() }))
        });
        Ok(())
    }

    async fn lock(&mut self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<Option<AutomatedResponse>> {
        Ok(self.with(|st| st.automated_responses.iter().find(|r| r.id() == id && r.snapshot().shop_id == shop).cloned()))
    }

    async fn update(&mut self, rule: &AutomatedResponse) -> RepoResult<()> {
        self.with(|st| match st.automated_responses.iter_mut().find(|r| r.id() == rule.id()) {
            Some(r) if r.snapshot().version == rule.snapshot().version => {
                let stats = (r.snapshot().matched_count, r.snapshot().last_matched_at);
                *r = AutomatedResponse::restore(AutomatedResponseSnapshot {
                    version: rule.snapshot().version + 1,
                    matched_count: stats.0,
                    last_matched_at: stats.1,
                    ..rule.snapshot().clone()
                });
                Ok(())
            }
            _ => Err(stale("automated response")),
        })
    }

    async fn delete(&mut self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<bool> {
        Ok(self.with(|st| {
            let before = st.automated_responses.len();
            st.automated_responses.retain(|r| !(r.id() == id && r.snapshot().shop_id == shop));
            before != st.automated_responses.len()
        }))
    }

    async fn of_shop(&mut self, shop: ShopId) -> RepoResult<Vec<AutomatedResponse>> {
        Ok(self.with(|st| st.automated_responses.iter().filter(|r| r.snapshot().shop_id == shop).cloned().collect()))
    }

    async fn record_match(&mut self, shop: ShopId, id: AutomatedResponseId, now: DateTime<Utc>) -> RepoResult<()> {
        self.with(|st| {
            if let Some(r) = st.automated_responses.iter_mut().find(|r| r.id() == id && r.snapshot().shop_id == shop) {
                let s = r.snapshot().clone();
                *r = AutomatedResponse::restore(AutomatedResponseSnapshot {
                    matched_count: s.matched_count + 1,
                    last_matched_at: Some(now),
                    ..s
                });
            }
        });
        Ok(())
    }
}
