//! A shop's consent settings: whether marketing needs an opt-in, and the keywords with which a
//! customer opts out ("STOP") or back in ("START") by writing them as a whole message.
//!
//! Matching folds both sides: Unicode compatibility decomposition, combining marks dropped,
//! đ → d, lowercase, surrounding punctuation and repeated spaces removed. So "Stop!", "stop"
//! and " STOP " match STOP, "DỪNG" and "dung" match each other, and "stop sending me the
//! bill" matches nothing.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::consent::OptInStatus;

/// The default keywords, each with the language of its confirmation.
const OPT_OUT: &[(&str, Lang)] = &[
    ("STOP", Lang::En),
    ("STOP ALL", Lang::En),
    ("UNSUBSCRIBE", Lang::En),
    ("OPT OUT", Lang::En),
    ("PARAR", Lang::Pt),
    ("SAIR", Lang::Pt),
    ("CANCELAR", Lang::Pt),
    ("DESCADASTRAR", Lang::Pt),
    ("BAJA", Lang::Es),
    ("DAR DE BAJA", Lang::Es),
    ("DETENER", Lang::Es),
    ("DỪNG", Lang::Vi),
    ("HỦY", Lang::Vi),
    ("HỦY ĐĂNG KÝ", Lang::Vi),
];

const OPT_IN: &[(&str, Lang)] = &[
    ("START", Lang::En),
    ("UNSTOP", Lang::En),
    ("SUBSCRIBE", Lang::En),
    ("VOLTAR", Lang::Pt),
    ("ASSINAR", Lang::Pt),
    ("ALTA", Lang::Es),
    ("SUSCRIBIR", Lang::Es),
    ("BẮT ĐẦU", Lang::Vi),
    ("ĐĂNG KÝ", Lang::Vi),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Pt,
    Es,
    Vi,
}

impl Lang {
    fn opt_out_reply(self) -> &'static str {
        match self {
            Lang::En => "You will no longer receive marketing messages from us. Reply START to receive them again.",
            Lang::Pt => "Você não receberá mais mensagens de marketing. Responda VOLTAR para recebê-las novamente.",
            Lang::Es => "Ya no recibirás mensajes de marketing. Responde ALTA para volver a recibirlos.",
            Lang::Vi => "Bạn sẽ không nhận tin nhắn tiếp thị nữa. Trả lời BẮT ĐẦU để nhận lại.",
        }
    }
    fn opt_in_reply(self) -> &'static str {
        match self {
            Lang::En => "You will receive our marketing messages again. Reply STOP to opt out.",
            Lang::Pt => "Você voltará a receber nossas mensagens de marketing. Responda PARAR para sair.",
            Lang::Es => "Volverás a recibir nuestros mensajes de marketing. Responde BAJA para darte de baja.",
            Lang::Vi => "Bạn sẽ nhận lại tin nhắn tiếp thị của chúng tôi. Trả lời DỪNG để hủy.",
        }
    }
}

pub const MAX_KEYWORDS: usize = 50;
pub const MAX_KEYWORD_CHARS: usize = 32;
pub const MAX_REPLY_CHARS: usize = 1024;

/// A shop's consent settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSettings {
    /// Marketing templates need the customer's opt-in (default on).
    pub require_marketing_opt_in: bool,
    pub opt_out_keywords: Vec<String>,
    pub opt_in_keywords: Vec<String>,
    /// The confirmations; `None` = the default in the keyword's language.
    pub opt_out_reply: Option<String>,
    pub opt_in_reply: Option<String>,
}

impl Default for ConsentSettings {
    fn default() -> Self {
        Self {
            require_marketing_opt_in: true,
            opt_out_keywords: OPT_OUT.iter().map(|(k, _)| (*k).to_owned()).collect(),
            opt_in_keywords: OPT_IN.iter().map(|(k, _)| (*k).to_owned()).collect(),
            opt_out_reply: None,
            opt_in_reply: None,
        }
    }
}

/// What a whole message asks for, with the confirmation to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordMatch {
    pub status: OptInStatus,
    pub keyword: String,
    pub reply: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { field, reason: reason.into() }
}

impl ConsentSettings {
    /// Check and tidy settings a merchant sent: keywords trimmed, 1 to 32 characters, at most
    /// 50 per list, none in both lists; replies 1 to 1,024 characters.
    pub fn new(
        require_marketing_opt_in: bool,
        opt_out_keywords: Vec<String>,
        opt_in_keywords: Vec<String>,
        opt_out_reply: Option<String>,
        opt_in_reply: Option<String>,
    ) -> Result<Self, SettingsError> {
        let tidy = |field: &'static str, list: Vec<String>| -> Result<Vec<String>, SettingsError> {
            if list.len() > MAX_KEYWORDS {
                return Err(invalid(field, format!("at most {MAX_KEYWORDS} keywords")));
            }
            let mut out: Vec<String> = Vec::new();
            for k in list {
                let k = k.trim().to_owned();
                if k.is_empty() || k.chars().count() > MAX_KEYWORD_CHARS {
                    return Err(invalid(field, format!("a keyword is 1 to {MAX_KEYWORD_CHARS} characters, not only spaces")));
                }
                if !out.iter().any(|o| key(o) == key(&k)) {
                    out.push(k);
                }
            }
            Ok(out)
        };
        let opt_out_keywords = tidy("optOutKeywords", opt_out_keywords)?;
        let opt_in_keywords = tidy("optInKeywords", opt_in_keywords)?;
        if let Some(k) = opt_in_keywords.iter().find(|k| opt_out_keywords.iter().any(|o| key(o) == key(k))) {
            return Err(invalid("optInKeywords", format!("'{k}' is also an opt-out keyword")));
        }
        let reply = |field: &'static str, r: Option<String>| -> Result<Option<String>, SettingsError> {
            match r.map(|r| r.trim().to_owned()) {
                Some(r) if r.is_empty() || r.chars().count() > MAX_REPLY_CHARS => {
                    Err(invalid(field, format!("a reply is 1 to {MAX_REPLY_CHARS} characters")))
                }
                r => Ok(r),
            }
        };
        Ok(Self {
            require_marketing_opt_in,
            opt_out_keywords,
            opt_in_keywords,
            opt_out_reply: reply("optOutReply", opt_out_reply)?,
            opt_in_reply: reply("optInReply", opt_in_reply)?,
        })
    }

    /// The longest keyword, folded, in characters: longer messages cannot match.
    pub fn longest_keyword(&self) -> usize {
        self.opt_out_keywords.iter().chain(&self.opt_in_keywords).map(|k| k.chars().count()).max().unwrap_or(0)
    }

    /// Whether this whole message is an opt-out or opt-in keyword.
    pub fn classify(&self, text: &str) -> Option<KeywordMatch> {
        // Cheap refusal of ordinary messages before folding.
        if text.chars().count() > self.longest_keyword() * 2 + 8 {
            return None;
        }
        let folded = key(text);
        if folded.is_empty() {
            return None;
        }
        let lang_of = |table: &[(&str, Lang)], k: &str| table.iter().find(|(d, _)| key(d) == key(k)).map_or(Lang::En, |(_, l)| *l);
        if let Some(k) = self.opt_out_keywords.iter().find(|k| key(k) == folded) {
            let reply = self.opt_out_reply.clone().unwrap_or_else(|| lang_of(OPT_OUT, k).opt_out_reply().to_owned());
            return Some(KeywordMatch { status: OptInStatus::OptedOut, keyword: k.clone(), reply });
        }
        if let Some(k) = self.opt_in_keywords.iter().find(|k| key(k) == folded) {
            let reply = self.opt_in_reply.clone().unwrap_or_else(|| lang_of(OPT_IN, k).opt_in_reply().to_owned());
            return Some(KeywordMatch { status: OptInStatus::OptedIn, keyword: k.clone(), reply });
        }
        None
    }
}

/// What a keyword or a message is compared by: its [`fold`], or, for one with no letter or
/// digit (an emoji, "!!"), its lowercase words separated by one space.
fn key(text: &str) -> String {
    let f = fold(text);
    if f.is_empty() { text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase() } else { f }
}

/// Fold text for keyword matching: NFKD, combining marks dropped, đ → d, lowercase, only
/// letters and digits kept, words separated by one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_message_counts_without_regard_to_case_accents_or_punctuation() {
        let s = ConsentSettings::default();
        for text in
            ["STOP", "stop", " Stop! ", "stop.", "PARAR", "parar", "Sair", "cancelar", "baja", "DỪNG", "dừng", "Dung", "hủy đăng ký"]
        {
            let m = s.classify(text).unwrap_or_else(|| panic!("{text:?} should opt out"));
            assert_eq!(m.status, OptInStatus::OptedOut, "{text}");
        }
        for text in ["stop sending me the bill", "please stop", "stopp", "", "🙂", "não quero parar"] {
            assert_eq!(s.classify(text), None, "{text:?}");
        }
        for text in ["START", "start", "Voltar", "alta", "BẮT ĐẦU", "bat dau"] {
            assert_eq!(s.classify(text).map(|m| m.status), Some(OptInStatus::OptedIn), "{text}");
        }
    }

    #[test]
    fn the_confirmation_speaks_the_keywords_language_unless_the_shop_set_one() {
        let s = ConsentSettings::default();
        assert!(s.classify("PARAR").unwrap().reply.contains("Você"));
        assert!(s.classify("baja").unwrap().reply.contains("Ya no"));
        assert!(s.classify("dừng").unwrap().reply.contains("Bạn"));
        assert!(s.classify("stop").unwrap().reply.starts_with("You will no longer"));
        let own = ConsentSettings::new(true, vec!["chega".into()], vec!["volta".into()], Some("Ok, parei.".into()), None).unwrap();
        assert_eq!(own.classify("CHEGA!").unwrap().reply, "Ok, parei.");
        assert_eq!(own.classify("stop"), None, "a shop's own list replaces the defaults");
        assert!(own.classify("volta").unwrap().reply.starts_with("You will receive"), "unknown language: English");
    }

    #[test]
    fn settings_refuse_blank_long_or_conflicting_keywords() {
        let e = |out: Vec<&str>, inn: Vec<&str>| {
            ConsentSettings::new(true, out.into_iter().map(Into::into).collect(), inn.into_iter().map(Into::into).collect(), None, None)
        };
        assert!(matches!(e(vec!["  "], vec![]), Err(SettingsError::Invalid { field: "optOutKeywords", .. })));
        let symbols = e(vec!["👎", "!!"], vec![]).unwrap();
        assert_eq!(symbols.classify(" 👎 ").map(|m| m.status), Some(OptInStatus::OptedOut), "a keyword of symbols matches itself");
        assert_eq!(symbols.classify("!"), None);
        assert!(matches!(e(vec![], vec![&"x".repeat(33)]), Err(SettingsError::Invalid { field: "optInKeywords", .. })));
        assert!(matches!(e(vec!["Stop"], vec!["stop!"]), Err(SettingsError::Invalid { field: "optInKeywords", .. })));
        assert_eq!(e(vec!["Stop", "STOP", " stop "], vec![]).unwrap().opt_out_keywords, ["Stop"], "duplicates folded away");
    }
}
