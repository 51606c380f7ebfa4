#!/usr/bin/env bash
# The HTTP API tested by a tool that did not write it: schemathesis (pinned) generates requests
# from /openapi.json and checks every answer against the spec (no 5xx, status codes and bodies as
# declared; every check is on by default, and .ci/schemathesis.toml turns one off only for the
# operations its reason names: a `--checks all` here would override those exceptions). The service runs on SQLite in sandbox mode with a real shop key.
#   .ci/schemathesis.sh [binary]        (default: target/debug/whatsapp-service)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/whatsapp-service}"
version="4.32.5"
port="${SCHEMATHESIS_PORT:-18080}"
work="$(mktemp -d)"
venv="$work/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"

SANDBOX=1 BIND_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/st.db?mode=rwc" \
  RATE_LIMIT_PER_MINUTE=1000000 RATE_LIMIT_PER_KEY_PER_MINUTE=1000000 RATE_LIMIT_PER_INSTANCE_PER_MINUTE=100000000 AUTH_FAILURES_PER_MINUTE=1000000 \
  RUST_LOG=error "$bin" serve >"$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/live" >/dev/null && break; sleep 0.2; done

B="http://127.0.0.1:$port"
ADMIN="Authorization: Bearer sandbox-admin-key"
J="content-type: application/json"
shop=$(curl -sf -X POST "$B/api/v1/shops" -H "$ADMIN" -H "$J" -d '{"name":"Schemathesis"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
key=$(curl -sf -X POST "$B/api/v1/shops/$shop/api-keys" -H "$ADMIN" -H "$J" -d '{"name":"st","role":"admin"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
curl -sf -X POST "$B/api/v1/accounts" -H "Authorization: Bearer $key" -H "$J" \
  -d '{"phoneNumberId":"1065403522","displayPhoneNumber":"+15550001111","wabaId":"2002","accessToken":"EAAG-sandbox"}' >/dev/null
curl -sf -X POST "$B/sandbox/customers/messages" -H "$J" \
  -d '{"phoneNumberId":"1065403522","from":"+5511987654321","name":"Ana","text":"Oi"}' >/dev/null
# Ids for the operations that take one (.ci/schemathesis.toml): otherwise they only ever see 404.
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }
template() {
  curl -sf -X POST "$B/api/v1/templates" -H "Authorization: Bearer $key" -H "$J" -d '{"name":"'"$1"'","language":"en_US",
    "category":"UTILITY","components":[{"type":"BODY","text":"Hi {{1}}, your order ships today.","example":{"body_text":[["Ana"]]}}]}' \
    | id_of '["id"]'
}
export ST_KEY="$key"
export ST_SHOP_ID="$shop"
# `order_update` is the template the spec's send and preview examples name.
export ST_TEMPLATE_ID; ST_TEMPLATE_ID=$(template order_update)
export ST_EDITED_TEMPLATE_ID; ST_EDITED_TEMPLATE_ID=$(template st_edited)
export ST_DELETED_TEMPLATE_ID; ST_DELETED_TEMPLATE_ID=$(template st_deleted)
sleep 2   # the sandbox approves them after its status delay
export ST_MESSAGE_ID; ST_MESSAGE_ID=$(curl -sf "$B/api/v1/messages?waId=5511987654321" -H "Authorization: Bearer $key" | id_of '["messages"][0]["id"]')
export ST_CUSTOMER_ID; ST_CUSTOMER_ID=$(curl -sf -X POST "$B/api/v1/customers" -H "Authorization: Bearer $key" -H "$J" \
  -d '{"waId":"5511912345678","name":"Bea","userId":"st-user-1","tags":["vip"]}' | id_of '["id"]')
# The customer's conversation (replies and transfers reach it).
export ST_CONVERSATION_ID; ST_CONVERSATION_ID=$(curl -sf "$B/api/v1/conversations/status?waId=5511987654321" -H "Authorization: Bearer $key" | id_of '["conversationId"]')
# Quick replies to change and to delete.
quick_reply() {
  curl -sf -X POST "$B/api/v1/quick-replies" -H "Authorization: Bearer $key" -H "$J" \
    -d '{"shortcut":"'"$1"'","content":{"type":"text","text":"Hi {{customer.name}}"}}' | id_of '["id"]'
}
# A member whose statistics are read.
export ST_AGENT_ID; ST_AGENT_ID=$(curl -sf -X POST "$B/api/v1/agents" -H "Authorization: Bearer $key" -H "$J" \
  -d '{"name":"St Stats","email":"stats@schemathesis.example.com"}' | id_of '["id"]')
export ST_QUICK_REPLY_ID; ST_QUICK_REPLY_ID=$(quick_reply st-edited)
export ST_DELETED_QUICK_REPLY_ID; ST_DELETED_QUICK_REPLY_ID=$(quick_reply st-deleted)

"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml run "$B/openapi.json" \
  --exclude-operation-id streamEvents \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
  --seed "${SCHEMATHESIS_SEED:-7}" \
  --suppress-health-check all \
  --report har --report-har-path "$work/run.har" \
  --no-color
# Every operation must have been answered 2xx at least once, or it was never tested past its
# validation.
# A transfer's body names a department or a member by id, which schemathesis cannot invent (it
# fills the body from the schema): the script makes one real transfer, which must answer 200,
# and counts it. Its rules are tested in tests/api/routing.rs. (The department is made now: the
# run deletes what it finds.)
department=$(curl -sf -X POST "$B/api/v1/departments" -H "Authorization: Bearer $key" -H "$J" -d '{"name":"st-transfer","routingPolicy":"manual"}' | id_of '["id"]')
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/api/v1/conversations/$ST_CONVERSATION_ID/transfer" \
  -H "Authorization: Bearer $key" -H "$J" -d '{"departmentId":"'"$department"'"}')
[ "$code" = 200 ] || { echo "a transfer to a department answered $code"; exit 1; }
# The live stream never ends, which a generated request cannot wait for (it is excluded above):
# the script checks that it answers 200 with `text/event-stream`, and that a bad `Last-Event-ID`
# is 422 in the contract's body. Its behaviour is tested in tests/api/stream.rs.
headers=$(curl -s -o /dev/null -D - --max-time 2 "$B/api/v1/stream" -H "Authorization: Bearer $key" || true)
echo "$headers" | head -1 | grep -q ' 200' || { echo "the stream answered: $headers"; exit 1; }
echo "$headers" | grep -qi '^content-type: text/event-stream' || { echo "the stream is not text/event-stream: $headers"; exit 1; }
code=$(curl -s -o "$work/stream.json" -w '%{http_code}' "$B/api/v1/stream" -H "Authorization: Bearer $key" -H "Last-Event-ID: soon")
[ "$code" = 422 ] && grep -q '"VALIDATION_FAILED"' "$work/stream.json" || { echo "a bad Last-Event-ID answered $code"; exit 1; }
python3 .ci/schemathesis_coverage.py docs/openapi.json "$work/run.har" transferConversation streamEvents
