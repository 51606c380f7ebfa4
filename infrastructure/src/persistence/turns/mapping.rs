//! Rows ⇄ the turns context's aggregates.

use sea_orm::ActiveValue::Set;
use serde_json::json;

use application::RepoResult;
use domain::turns::rules::{AutomatedResponseSnapshot, Keyword, MatchMode, Trigger};
use domain::turns::thread::ThreadSnapshot;
use domain::turns::turn::{TurnOutcome, TurnSnapshot, TurnState};
use domain::turns::{AutomatedResponse, Owner, Thread, Turn};
use domain::{MessageId, WaId};

use super::entities::{automated_responses, threads, turns};
use crate::persistence::corrupt;

pub(crate) fn thread(m: threads::Model) -> RepoResult<Thread> {
    let owner = Owner::parse(&m.owner, m.owner_member_id.map(Into::into)).ok_or_else(|| corrupt("thread owner", &m.owner))?;
    Ok(Thread::restore(ThreadSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.into(),
        customer_id: m.customer_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|_| corrupt("thread wa_id", m.id))?,
        conversation_id: m.conversation_id.into(),
        owner,
        owner_reason: m.owner_reason,
        owner_since: m.owner_since,
        owner_expires_at: m.owner_expires_at,
        waiting_since: m.waiting_since,
        department_id: m.department_id.map(Into::into),
        away_sent_at: m.away_sent_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

pub(crate) fn thread_row(t: &Thread, version: i64) -> threads::ActiveModel {
    let s = t.snapshot();
    threads::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        account_id: Set(s.account_id.as_uuid()),
        customer_id: Set(s.customer_id.as_uuid()),
        wa_id: Set(s.wa_id.to_string()),
        conversation_id: Set(s.conversation_id.as_uuid()),
        owner: Set(s.owner.kind().to_owned()),
        owner_member_id: Set(s.owner.member().map(|m| m.as_uuid())),
        owner_reason: Set(s.owner_reason.clone()),
        owner_since: Set(s.owner_since),
        owner_expires_at: Set(s.owner_expires_at),
        waiting_since: Set(s.waiting_since),
        department_id: Set(s.department_id.map(|d| d.as_uuid())),
        away_sent_at: Set(s.away_sent_at),
        updated_at: Set(s.updated_at),
        version: Set(version),
    }
}

pub(crate) fn turn(m: turns::Model) -> RepoResult<Turn> {
    let replies: Vec<uuid::Uuid> = serde_json::from_value(m.replies.clone()).map_err(|_| corrupt("turn replies", m.id))?;
    Ok(Turn::restore(TurnSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.into(),
        customer_id: m.customer_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|_| corrupt("turn wa_id", m.id))?,
        conversation_id: m.conversation_id.into(),
        state: TurnState::parse(&m.state).ok_or_else(|| corrupt("turn state", &m.state))?,
        first_at: m.first_at,
        last_at: m.last_at,
        due_at: m.due_at,
        messages: u32::try_from(m.messages).unwrap_or(0),
        first_contact: m.first_contact,
        keyword: m.keyword,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        responder: m.responder,
        outcome: m.outcome.as_deref().map(|o| TurnOutcome::parse(o).ok_or_else(|| corrupt("turn outcome", o))).transpose()?,
        reason: m.reason,
        replies: replies.into_iter().map(MessageId::from).collect(),
        answered_at: m.answered_at,
        created_at: m.created_at,
    }))
}

pub(crate) fn response(m: automated_responses::Model) -> RepoResult<AutomatedResponse> {
    let trigger = match m.trigger.as_str() {
        "keywords" => {
            let list: Vec<(String, String)> =
                serde_json::from_value(m.keywords.clone()).map_err(|_| corrupt("automated response keywords", m.id))?;
            let mut out = Vec::with_capacity(list.len());
            for (text, mode) in list {
                out.push(Keyword { text, mode: MatchMode::parse(&mode).ok_or_else(|| corrupt("keyword match", &mode))? });
            }
            Trigger::Keywords(out)
        }
        "greeting" => Trigger::Greeting,
        "away" => Trigger::Away { every_hours: m.every_hours.and_then(|h| u32::try_from(h).ok()).unwrap_or(12) },
        other => return Err(corrupt("automated response trigger", other)),
    };
    Ok(AutomatedResponse::restore(AutomatedResponseSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        trigger,
        answer: serde_json::from_value(m.answer).map_err(|_| corrupt("automated response answer", m.id))?,
        fallback_template: m
            .fallback_template
            .map(serde_json::from_value)
            .transpose()
            .map_err(|_| corrupt("automated response template", m.id))?,
        priority: m.priority,
        active: m.active,
        matched_count: m.matched_count,
        last_matched_at: m.last_matched_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

pub(crate) fn response_row(r: &AutomatedResponse, version: i64) -> automated_responses::ActiveModel {
    let s = r.snapshot();
    let (keywords, every_hours) = match &s.trigger {
        Trigger::Keywords(k) => (json!(k.iter().map(|k| (k.text.clone(), k.mode.as_str())).collect::<Vec<_>>()), None),
        Trigger::Greeting => (json!([]), None),
        Trigger::Away { every_hours } => (json!([]), Some(*every_hours as i32)),
    };
    automated_responses::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        name: Set(s.name.clone()),
        trigger: Set(s.trigger.kind().to_owned()),
        keywords: Set(keywords),
        answer: Set(serde_json::to_value(&s.answer).unwrap_or_default()),
        fallback_template: Set(s.fallback_template.as_ref().map(|t| serde_json::to_value(t).unwrap_or_default())),
        priority: Set(s.priority),
        active: Set(s.active),
        every_hours: Set(every_hours),
        matched_count: Set(s.matched_count),
        last_matched_at: Set(s.last_matched_at),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        version: Set(version),
    }
}
