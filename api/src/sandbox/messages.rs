//! `POST /{phone-number-id}/messages`: sends, with Meta's window, pair-rate and throughput rules,
//! and mark-read; the statuses follow by webhook.

use super::*;

#[handler]
pub(super) async fn graph_messages(
    req: &Request,
    Path((_version, pnid)): Path<(String, String)>,
    body: Json<Value>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    let authorized = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).is_some_and(|t| !t.trim().is_empty());
    if !authorized {
        return meta_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.", "missing bearer token");
    }
    let body = body.0;
    // Read receipts and typing indicators.
    if body.get("status").and_then(Value::as_str) == Some("read") {
        return Json(json!({"success": true})).into_response();
    }
    let Some(to) = body.get("to").and_then(Value::as_str).map(str::to_owned) else {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "`to` is required");
    };
    let ty = body.get("type").and_then(Value::as_str).unwrap_or("text").to_owned();
    let now = Utc::now();
    {
        let mut st = sandbox.lock();
        let within_window =
            st.last_customer_message.get(&(pnid.clone(), to.clone())).is_some_and(|t| now < *t + chrono::Duration::hours(24));
        if ty != "template" && !within_window {
            return meta_error(
                StatusCode::BAD_REQUEST,
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            );
        }
        let tp = st.throughput.entry(pnid.clone()).or_insert((THROUGHPUT_MPS, Instant::now()));
        if !take(tp, THROUGHPUT_MPS, THROUGHPUT_MPS) {
            return meta_error(StatusCode::BAD_REQUEST, 130429, "Rate limit hit", "Cloud API message throughput has been reached.");
        }
        let pair = st.pair.entry((pnid.clone(), to.clone())).or_insert((PAIR_BURST, Instant::now()));
        if !take(pair, PAIR_BURST, PAIR_REFILL_PER_SEC) {
            return meta_error(
                StatusCode::BAD_REQUEST,
                131056,
                "(Business Account, Consumer Account) pair rate limit hit",
                "Too many messages sent from this phone number to the same phone number in a short period of time.",
            );
        }
    }
    let wamid = format!("wamid.SANDBOX{}", uuid::Uuid::new_v4().simple());
    {
        let mut st = sandbox.lock();
        st.sent.push_back(SentRecord { wamid: wamid.clone(), phone_number_id: pnid.clone(), to: to.clone(), body: body.clone(), at: now });
        while st.sent.len() > 1000 {
            st.sent.pop_front();
        }
    }
    // Statuses come back later, signed, like Meta's.
    let sb = Arc::clone(&sandbox);
    let (w, p, t) = (wamid.clone(), pnid.clone(), to.clone());
    let callback = body.get("biz_opaque_callback_data").and_then(Value::as_str).map(str::to_owned);
    let category = if ty == "template" { "utility" } else { "service" };
    tokio::spawn(async move {
        for status in ["sent", "delivered", "read"] {
            tokio::time::sleep(sb.status_delay).await;
            let payload = sb.status_payload(&p, &w, &t, status, category, callback.as_deref());
            sb.deliver_until_acknowledged(&payload).await;
        }
    });
    let mut answer = json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]});
    if ty == "template" {
        answer["messages"][0]["message_status"] = json!("accepted");
    }
    Json(answer).into_response()
}
