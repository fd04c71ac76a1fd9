#!/usr/bin/env bash
# A first signed report, against the services `motcua serve --seed viet-yen` runs: compiles the
# district's one-stop report for Q1/2024, makes it ready, has the leader sign it with the demo
# PKI's TEST certificate (`motcua sign`), issues it with the district's organisation key,
# downloads the PDF and verifies it offline against the demo's TEST roots.
#
#   examples/first-report.sh
#
# Settings (environment): RESULTS_URL and REPORTS_URL (as `serve` prints them; defaults
# http://127.0.0.1:8080 and :8081), MOTCUA_DATA_DIR (the data folder of `serve`, default data),
# MOTCUA (the motcua command, default target/release/motcua or target/debug/motcua when built,
# else `cargo run -q --bin motcua --`), OUT (where the PDF goes, default $MOTCUA_DATA_DIR).
# Needs curl and python3.
set -euo pipefail

RESULTS_URL="${RESULTS_URL:-http://127.0.0.1:8080}"
REPORTS_URL="${REPORTS_URL:-http://127.0.0.1:8081}"
DATA_DIR="${MOTCUA_DATA_DIR:-data}"
OUT="${OUT:-$DATA_DIR}"
DEMO="$DATA_DIR/demo-pki"
if [ -z "${MOTCUA:-}" ]; then
    if [ -x target/release/motcua ]; then MOTCUA=target/release/motcua
    elif [ -x target/debug/motcua ]; then MOTCUA=target/debug/motcua
    else MOTCUA="cargo run -q --bin motcua --"; fi
fi
export MOTCUA_DATA_DIR="$DATA_DIR"
[ -d "$DEMO" ] || { echo "no demo PKI in $DEMO: start the services with 'motcua serve --seed viet-yen'" >&2; exit 1; }

# Reads a field of the JSON on stdin: json '["items"][0]["id"]'.
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# call METHOD URL KEY [BODY]: the answer's JSON; stops on an error status.
call() {
    local method=$1 url=$2 key=$3 body=${4:-}
    local answer status
    answer=$(mktemp)
    if [ -n "$body" ]; then
        status=$(curl -sS -o "$answer" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $key" \
            -H 'Content-Type: application/json' --data "$body" "$url")
    else
        status=$(curl -sS -o "$answer" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $key" "$url")
    fi
    if [ "${status:0:1}" != 2 ]; then
        echo "$method $url: $status" >&2
        cat "$answer" >&2
        echo >&2
        rm -f "$answer"
        return 1
    fi
    cat "$answer"
    rm -f "$answer"
}

echo "== keys (motcua create-key)"
results_key=$($MOTCUA create-key --name "first-report script" --role auditor 2>/dev/null)
reports_key=$($MOTCUA create-key --service reports --name "first-report script" 2>/dev/null)

echo "== the district and its leader"
district=$(call GET "$RESULTS_URL/units?limit=500" "$results_key" | python3 -c '
import json, sys
units = json.load(sys.stdin)["items"]
print(next(u["id"] for u in units if u["kind"] == "district" and "Việt Yên" in u["name"]))')
read -r leader personal_id < <(call GET "$RESULTS_URL/officials?unit=$district&limit=200" "$results_key" | python3 -c '
import json, sys
officials = json.load(sys.stdin)["items"]
leader = next(o for o in officials if "Chủ tịch" in (o.get("title") or ""))
print(leader["id"], leader["personal_id"])')
p12="$DEMO/officials/TEST-$personal_id.p12"
password=$(sed -n 's/^Password of every .p12 file: //p' "$DEMO/README.txt")
echo "district unit $district, leader official $leader ($p12)"

echo "== compile the district's Q1/2024 one-stop report"
report=$(call POST "$REPORTS_URL/reports" "$reports_key" "$(cat <<JSON
{"kind": "one_stop_activity", "unit_id": $district, "periods": ["2024-Q1"],
 "letterhead": {"issuing_body": "UBND THỊ XÃ VIỆT YÊN", "place": "Việt Yên",
   "recipients": ["Văn phòng UBND tỉnh (b/c);", "Lưu: VT."],
   "closing": "UBND thị xã Việt Yên trân trọng báo cáo./."},
 "texts": {"legal_basis": "Thực hiện chỉ đạo của UBND tỉnh, UBND thị xã Việt Yên báo cáo kết quả hoạt động của Bộ phận Một cửa quý I năm 2024 như sau:",
   "recommendations": "Không."}}
JSON
)" | json '["id"]')
echo "report $report"

echo "== ready for the leader's signature"
call POST "$REPORTS_URL/reports/$report/ready" "$reports_key" "{\"signatory_official_id\": $leader}" >/dev/null

echo "== the leader signs (motcua sign, the demo's TEST certificate standing in for the token)"
session=$(call POST "$REPORTS_URL/reports/$report/leader-signing-sessions" "$reports_key")
session_id=$(json '["session_id"]' <<<"$session")
to_be_signed=$(json '["to_be_signed_base64"]' <<<"$session")
signature=$(MOTCUA_PKCS12_PASSWORD="$password" $MOTCUA sign --pkcs12 "$p12" --to-be-signed "$to_be_signed")
call POST "$REPORTS_URL/leader-signing-sessions/$session_id/signature" "$reports_key" \
    "{\"signature_base64\": \"$signature\"}" >/dev/null

echo "== issue (number, date and the organisation's signature)"
number=$(call POST "$REPORTS_URL/reports/$report/issue" "$reports_key" | json '["number_text"]')
echo "issued as số $number"

echo "== download and verify"
mkdir -p "$OUT"
pdf="$OUT/bao-cao-$report.pdf"
curl -sSf -H "Authorization: Bearer $reports_key" -o "$pdf" "$REPORTS_URL/reports/$report/document"
$MOTCUA verify --trust-roots "$DEMO/trust" "$pdf"
echo "The signed report: $pdf"

echo "== an electronic result of Q1/2024, verified by the results service without a key"
desk=$(call GET "$RESULTS_URL/units?limit=500" "$results_key" | python3 -c '
import json, sys
units = json.load(sys.stdin)["items"]
print(next(u["id"] for u in units if u["kind"] == "one_stop_desk" and u["parent_id"] == '"$district"'))')
code=$(call GET "$RESULTS_URL/dossiers?unit=$desk&status=done&received_from=2024-02-01&limit=1" "$results_key" \
    | json '["items"][0]["code"]')
verdict=$(curl -sSf "$RESULTS_URL/verify/dossiers/$code" | json '["valid"]')
echo "dossier $code: valid = $verdict"
[ "$verdict" = True ]

echo "== Q1/2024: every result issued electronically (the report's 100 %)"
call GET "$RESULTS_URL/statistics/indicators?unit=$district&period=2024-Q1" "$results_key" | python3 -c '
import json, sys
indicators = {i["key"]: i for i in json.load(sys.stdin)["indicators"]}
for key in ("electronic_result_rate", "result_digitisation_rate", "reuse_rate"):
    i = indicators[key]
    print("%s: %d/%d = %s %%" % (key, i["numerator"], i["denominator"], i["rate_percent"]))
e = indicators["electronic_result_rate"]
sys.exit(0 if e["denominator"] > 0 and e["numerator"] == e["denominator"] else 1)'

