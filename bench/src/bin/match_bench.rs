//! Matching a customer's message against a shop's automated responses (issue 19: 1,000 rules in
//! under 0.5 ms). The rules mix exact, contains and starts-with keywords; the messages are a mix
//! of matching and non-matching texts of WhatsApp length, with accents and punctuation.
//!
//! ```sh
//! cargo build --release -p bench --bin match-bench
//! ./target/release/match-bench [--rules 1000] [--messages 200000]
//! ```

use std::time::Instant;

use domain::messaging::MessageContent;
use domain::turns::{AutomatedResponse, ResponseDraft, RuleBook};

fn main() {
    let mut rules_n = 1000usize;
    let mut messages_n = 200_000usize;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--rules" => rules_n = v.parse().expect("--rules N"),
            "--messages" => messages_n = v.parse().expect("--messages N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let shop = domain::ShopId::new();
    let now = chrono::Utc::now();
    let words = ["preço", "horário", "entrega", "frete", "pix", "cartão", "troca", "devolução", "tamanho", "cor"];
    let rules: Vec<AutomatedResponse> = (0..rules_n)
        .map(|j| {
            let w = words[j % words.len()];
            let d = ResponseDraft {
                name: format!("rule {j}"),
                trigger: "keywords".into(),
                keywords: vec![
                    (format!("{w} {j}"), "exact".into()),
                    (format!("{w} do produto {j}"), "contains".into()),
                    (format!("quero {w} {j}"), "starts_with".into()),
                ],
                answer: MessageContent::Text { text: format!("answer {j}"), preview_url: false },
                fallback_template: None,
                priority: (j % 10) as i32,
                active: true,
                every_hours: None,
            };
            AutomatedResponse::create(shop, &d, now).expect("a valid rule")
        })
        .collect();
    let t = Instant::now();
    let book = RuleBook::new(&rules);
    let compile = t.elapsed();
    let messages: Vec<String> = (0..messages_n)
        .map(|i| {
            let j = (i * 7919) % rules_n;
            let w = words[j % words.len()];
            match i % 10 {
                0 => format!("{} {j}", w.to_uppercase()),
                1 => format!("Oi! Qual o {w} do produto {j}, por favor?"),
                2 => format!("Quero {w} {j} amanhã cedo"),
                3 => format!("Bom dia, tudo bem? Gostaria de saber mais sobre o pedido número {i} que fiz ontem à noite pelo site."),
                _ => format!("mensagem comum {i} sem nada de especial 🙂"),
            }
        })
        .collect();
    let mut lat = Vec::with_capacity(messages.len());
    let mut matched = 0usize;
    let all = Instant::now();
    for m in &messages {
        let t = Instant::now();
        if book.best(m).is_some() {
            matched += 1;
        }
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let total = all.elapsed();
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "rules         {rules_n} ({} keywords: exact, contains, starts_with), compiled in {:.1} ms",
        rules_n * 3,
        compile.as_secs_f64() * 1e3
    );
    println!("messages      {messages_n}, {matched} matched ({:.0} %)", 100.0 * matched as f64 / messages_n as f64);
    println!(
        "per message   µs p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  mean {:.2}",
        p(0.5),
        p(0.9),
        p(0.99),
        lat[lat.len() - 1],
        total.as_secs_f64() * 1e6 / messages_n as f64
    );
}
