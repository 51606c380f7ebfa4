//! Which automated response answers a message: every active keyword rule of a shop compiled
//! once into a `RuleBook` (a hash of exact phrases, and two Aho-Corasick automatons for
//! "contains" and "starts with"), so a message is matched against a thousand rules in one pass
//! over its text, never a scan of the rules. Keywords and messages are folded alike (case,
//! accents and punctuation ignored) and match whole words.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};

use super::rules::{AutomatedResponse, MatchMode, Trigger};
use crate::customers::fold;

/// A shop's active keyword rules, compiled.
#[derive(Debug, Default)]
pub struct RuleBook {
    /// (priority, position): the highest priority wins, then the rule listed first (the oldest).
    rank: Vec<(i32, usize)>,
    exact: HashMap<String, Vec<usize>>,
    contains: Option<(AhoCorasick, Vec<usize>)>,
    starts: Option<(AhoCorasick, Vec<usize>)>,
}

fn padded(folded: &str) -> String {
    format!(" {folded} ")
}

impl RuleBook {
    /// Compile the keyword rules among `rules` (in the order given: the oldest first). Inactive
    /// rules and other triggers are left out.
    pub fn new(rules: &[AutomatedResponse]) -> Self {
        let mut book = Self::default();
        let (mut contains, mut contains_rule, mut starts, mut starts_rule) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, r) in rules.iter().enumerate() {
            book.rank.push((r.priority(), i));
            let Trigger::Keywords(keywords) = r.trigger() else { continue };
            if !r.is_active() {
                continue;
            }
            for k in keywords {
                let f = k.folded();
                if f.is_empty() {
                    continue;
                }
                match k.mode {
                    MatchMode::Exact => book.exact.entry(f).or_default().push(i),
                    MatchMode::Contains => {
                        contains.push(padded(&f));
                        contains_rule.push(i);
                    }
                    MatchMode::StartsWith => {
                        starts.push(format!(" {f} "));
                        starts_rule.push(i);
                    }
                }
            }
        }
        let build = |patterns: Vec<String>, anchored: bool| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .start_kind(if anchored { StartKind::Anchored } else { StartKind::Unanchored })
                .build(patterns)
                .ok()
        };
        if !contains.is_empty() {
            book.contains = build(contains, false).map(|a| (a, contains_rule));
        }
        if !starts.is_empty() {
            book.starts = build(starts, true).map(|a| (a, starts_rule));
        }
        book
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.contains.is_none() && self.starts.is_none()
    }

    /// The position of the rule that answers `text`, if any: of all rules whose keywords match,
    /// the highest priority, then the oldest.
    pub fn best(&self, text: &str) -> Option<usize> {
        let f = fold(text);
        if f.is_empty() {
            return None;
        }
        let p = padded(&f);
        let mut hits: Vec<usize> = self.exact.get(&f).cloned().unwrap_or_default();
        if let Some((ac, rule)) = &self.contains {
            hits.extend(ac.find_overlapping_iter(&p).map(|m| rule[m.pattern().as_usize()]));
        }
        if let Some((ac, rule)) = &self.starts {
            let input = Input::new(&p).anchored(Anchored::Yes);
            let mut state = aho_corasick::automaton::OverlappingState::start();
            loop {
                ac.find_overlapping(input.clone(), &mut state);
                match state.get_match() {
                    Some(m) => hits.push(rule[m.pattern().as_usize()]),
                    None => break,
                }
            }
        }
        hits.into_iter().max_by_key(|i| (self.rank[*i].0, std::cmp::Reverse(self.rank[*i].1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ShopId;
    use crate::messaging::MessageContent;
    use crate::turns::rules::ResponseDraft;

    fn rule(keywords: &[(&str, &str)], priority: i32) -> AutomatedResponse {
        let d = ResponseDraft {
            name: "r".into(),
            trigger: "keywords".into(),
            keywords: keywords.iter().map(|(t, m)| ((*t).to_owned(), (*m).to_owned())).collect(),
            answer: MessageContent::Text { text: "a".into(), preview_url: false },
            fallback_template: None,
            priority,
            active: true,
            every_hours: None,
        };
        AutomatedResponse::create(ShopId::new(), &d, chrono::Utc::now()).unwrap()
    }

    #[test]
    fn exact_contains_and_starts_with_match_folded_whole_words() {
        let book =
            RuleBook::new(&[rule(&[("Horário", "exact")], 1), rule(&[("preço", "contains")], 1), rule(&[("onde fica", "starts_with")], 1)]);
        assert_eq!(book.best("  HORARIO?! "), Some(0));
        assert_eq!(book.best("horario de sabado"), None, "exact is the whole message");
        assert_eq!(book.best("Qual o PREÇO do frete?"), Some(1));
        assert_eq!(book.best("precos"), None, "whole words only");
        assert_eq!(book.best("Onde fica a loja?"), Some(2));
        assert_eq!(book.best("Sabe onde fica a loja?"), None, "starts with");
        assert_eq!(book.best("🙂"), None);
    }

    #[test]
    fn the_highest_priority_wins_then_the_oldest() {
        let book =
            RuleBook::new(&[rule(&[("frete", "contains")], 5), rule(&[("frete gratis", "contains")], 9), rule(&[("frete", "exact")], 5)]);
        assert_eq!(book.best("tem frete grátis?"), Some(1));
        assert_eq!(book.best("frete"), Some(0), "same priority: the oldest");
    }

    #[test]
    fn inactive_and_non_keyword_rules_never_match() {
        let mut off = rule(&[("oi", "exact")], 1);
        let mut d = ResponseDraft {
            name: "r".into(),
            trigger: "keywords".into(),
            keywords: vec![("oi".into(), "exact".into())],
            answer: MessageContent::Text { text: "a".into(), preview_url: false },
            fallback_template: None,
            priority: 1,
            active: false,
            every_hours: None,
        };
        off.replace(&d, chrono::Utc::now()).unwrap();
        d.trigger = "greeting".into();
        d.keywords.clear();
        d.active = true;
        let greeting = AutomatedResponse::create(ShopId::new(), &d, chrono::Utc::now()).unwrap();
        let book = RuleBook::new(&[off, greeting]);
        assert!(book.is_empty());
        assert_eq!(book.best("oi"), None);
    }
}
