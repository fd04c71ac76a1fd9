# The long-term part of the corpus (PAdES B-T, B-LT, B-LTA): sourced by generate.sh, whose
# functions (new_key, new_csr, new_db, issue, revoke, gen_crl, person, log) and variables (OUT,
# CERTS, KEYS, CNF, WORK, ROOT, ROOT_KEY) it uses.
#
# long_term_pki   a CA under the root for the long-term material; TSAs (extendedKeyUsage
#                 timeStamping critical, and not critical, until 2035; one for the archive
#                 renewal, until 2045); a delegated OCSP responder; three signers (valid,
#                 expired in 2024, revoked on 2024-05-01); CRLs of 2024-03-02 (before the
#                 revocation) and of 2026-01-01 (listing it).
# long_term_ts    RFC 3161 requests and responses of `openssl ts` over tsp/data.txt.
# long_term_ocsp  OCSP responses (good, revoked) of a real `openssl ocsp` responder on a local
#                 port, queried with `openssl ocsp -url`.
# The PDFs are made by make_long_term.py (pyHanko).

LT_CA_SUBJECT="/C=VN/O=Ban Cơ yếu Chính phủ/OU=Cục Chứng thực số và Bảo mật thông tin/CN=CA dịch vụ lưu trữ dài hạn G2 - Kiểm thử"
LT_FIRST_SERIAL=2D0B3F6000000001
LT_LEAF_START=20240101000000Z    # long-term signers, OCSP responder: 2024-01-01 .. 2045-01-01
LT_EXPIRED_END=20240630000000Z   # short-lived signer: 2024-01-01 .. 2024-06-30
TSA_START=20230101000000Z        # tsa, tsa-noncritical: 2023-01-01 .. 2035-01-01
TSA_END=20350101000000Z
RENEWAL_TSA_START=20260101000000Z  # the TSA of the archive renewal: 2026-01-01 .. 2045-01-01
LT_REVOKED_AT=240501000000Z      # revoked signer: revocationDate 2024-05-01
PAST_CRL_THIS_UPDATE=20240302000000Z  # CRLs before the revocation: 2024-03-02 ..
PAST_CRL_NEXT_UPDATE=20240401000000Z  # .. 2024-04-01 (lt-ca), 2025-03-02 (root)
PAST_ROOT_CRL_NEXT_UPDATE=20250302000000Z

long_term_pki() {
    log "long-term CA, TSAs, OCSP responder and signers"
    mkdir -p "$OUT/crl" "$OUT/trust-lt"
    new_key lt-ca rsa2048
    new_csr lt-ca "$LT_CA_SUBJECT"
    issue root "$ROOT" "$ROOT_KEY" lt-ca ext_issuing_ca "$CA_START" "$CA_END"
    LT_CA=$CERTS/lt-ca.pem LT_CA_KEY=$KEYS/lt-ca.key
    new_db lt-ca "$LT_FIRST_SERIAL"

    # The TSAs' keys are RSA: pyHanko's in-process TSA (make_long_term.py) signs with RSA only.
    lt_leaf tsa rsa2048 "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Dịch vụ cấp dấu thời gian G2 - Kiểm thử" \
        ext_tsa "$TSA_START" "$TSA_END"
    lt_leaf tsa-noncritical rsa2048 \
        "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Dịch vụ cấp dấu thời gian EKU không tới hạn - Kiểm thử" \
        ext_tsa_noncritical "$TSA_START" "$TSA_END"
    lt_leaf tsa-renewal rsa2048 "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Dịch vụ cấp dấu thời gian G3 - Kiểm thử" \
        ext_tsa "$RENEWAL_TSA_START" "$LEAF_END"
    lt_leaf ocsp-responder rsa2048 \
        "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Dịch vụ OCSP CA lưu trữ dài hạn G2 - Kiểm thử" \
        ext_ocsp_responder "$LT_LEAF_START" "$LEAF_END"
    lt_leaf lt-signer rsa2048 "$(person 'Trịnh Văn Lưu Trữ' 001090001111)" ext_leaf \
        "$LT_LEAF_START" "$LEAF_END"
    lt_leaf lt-expired rsa2048 "$(person 'Mai Thị Ngắn Hạn' 001191002222)" ext_leaf \
        "$LT_LEAF_START" "$LT_EXPIRED_END"
    lt_leaf lt-revoked rsa2048 "$(person 'Cao Văn Bị Thu Hồi' 001092003333)" ext_leaf \
        "$LT_LEAF_START" "$LEAF_END"

    log "long-term CRLs"
    # 2024-03-02, before the revocation: what a signer embeds right after signing on 2024-03-01.
    # The root's comes before its current CRL so that crlNumber grows with thisUpdate.
    gen_crl root "$ROOT" "$ROOT_KEY" "$OUT/crl/root-2024-03-02.crl" \
        "$PAST_CRL_THIS_UPDATE" "$PAST_ROOT_CRL_NEXT_UPDATE"
    gen_crl lt-ca "$LT_CA" "$LT_CA_KEY" "$OUT/crl/lt-ca-2024-03-02.crl" \
        "$PAST_CRL_THIS_UPDATE" "$PAST_CRL_NEXT_UPDATE"
    revoke lt-ca "$LT_CA" "$LT_CA_KEY" lt-revoked "$LT_REVOKED_AT"
    gen_crl lt-ca "$LT_CA" "$LT_CA_KEY" "$OUT/trust-lt/lt-ca.crl" "$CRL_THIS_UPDATE" "$CRL_NEXT_UPDATE"
    cp "$ROOT" "$OUT/trust-lt/root.pem"
    cp "$LT_CA" "$OUT/trust-lt/lt-ca.pem"
}

# lt_leaf NAME KEYTYPE SUBJECT EXTENSIONS START END: a certificate of the long-term CA
lt_leaf() {
    new_key "$1" "$2"
    new_csr "$1" "$3"
    issue lt-ca "$LT_CA" "$LT_CA_KEY" "$1" "$4" "$5" "$6"
}

# The root's current CRL, once generate.sh has made it.
long_term_trust() {
    cp "$OUT/trust/root.crl" "$OUT/trust-lt/root.crl"
}

# ts_reply TSA QUERY OUT: `openssl ts -reply` by the TSA whose certificate and key are
# certs/TSA.pem and keys/TSA.key
ts_reply() {
    TSA_CERT=$CERTS/$1.pem TSA_KEY=$KEYS/$1.key TSA_CHAIN=$LT_CA TSA_SERIAL=$OUT/ca/$1/serial \
        openssl ts -reply -config "$CNF" -queryfile "$2" -out "$3" 2>"$WORK/ts.log" \
        || { cat "$WORK/ts.log" >&2; exit 1; }
}

long_term_ts() {
    log "RFC 3161 timestamps (openssl ts)"
    local tsp=$OUT/tsp
    mkdir -p "$tsp" "$OUT/ca/tsa" "$OUT/ca/tsa-noncritical"
    echo 3A0000000001 > "$OUT/ca/tsa/serial"
    echo 3B0000000001 > "$OUT/ca/tsa-noncritical/serial"
    printf 'Biên bản lưu trữ hồ sơ số 17/BB-UBND ngày 01/03/2024 của Ủy ban nhân dân phường Ba Đình.\n' > "$tsp/data.txt"
    printf 'Biên bản lưu trữ hồ sơ số 18/BB-UBND ngày 01/03/2024 của Ủy ban nhân dân phường Ba Đình.\n' > "$tsp/data-tampered.txt"
    # -cert: the TSA puts its certificate in the token; no nonce, so the request is the same at
    # every run.
    openssl ts -query -data "$tsp/data.txt" -sha256 -cert -no_nonce -out "$tsp/data.tsq" 2>/dev/null
    ts_reply tsa "$tsp/data.tsq" "$tsp/good.tsr"

    # openssl refuses to sign a token with a certificate whose extendedKeyUsage is not critical
    # (TS_RESP_CTX_set_signer_cert: invalid signer certificate purpose). The same TSTInfo
    # (without a TSA name) is signed by that TSA with `openssl cms`, as a TSA that does not
    # check its own certificate would, and `openssl ts -reply -token_in` wraps it in a response.
    # The TSTInfo comes from the good TSA's software, numbered from the other TSA's serial file.
    TSA_CERT=$CERTS/tsa.pem TSA_KEY=$KEYS/tsa.key TSA_CHAIN=$LT_CA \
        TSA_SERIAL=$OUT/ca/tsa-noncritical/serial openssl ts -reply -config "$CNF" \
        -section tsa_corpus_unnamed -queryfile "$tsp/data.tsq" -out "$WORK/unnamed.tsr" 2>/dev/null
    openssl ts -reply -in "$WORK/unnamed.tsr" -token_out -out "$WORK/unnamed.tok" 2>/dev/null
    openssl cms -verify -noverify -binary -inform DER -in "$WORK/unnamed.tok" -out "$WORK/tstinfo.der" 2>/dev/null
    openssl cms -sign -binary -nodetach -nosmimecap -cades -md sha256 \
        -econtent_type id-smime-ct-TSTInfo -in "$WORK/tstinfo.der" \
        -signer "$CERTS/tsa-noncritical.pem" -inkey "$KEYS/tsa-noncritical.key" -certfile "$LT_CA" \
        -outform DER -out "$WORK/noncritical.tok"
    openssl ts -reply -in "$WORK/noncritical.tok" -token_in -out "$tsp/noncritical-eku.tsr" 2>/dev/null
}

# ocsp_query NAME PORT: asks the responder for certs/NAME.pem's status, keeps the DER response
ocsp_query() {
    openssl ocsp -issuer "$LT_CA" -cert "$CERTS/$1.pem" -url "http://127.0.0.1:$2" -no_nonce \
        -CAfile "$ROOT" -verify_other "$LT_CA" -respout "$OUT/ocsp/$1.der" >"$WORK/ocsp-query.log" 2>&1 \
        || { cat "$WORK/ocsp-query.log" >&2; exit 1; }
}

long_term_ocsp() {
    log "OCSP responses (openssl ocsp responder on a local port)"
    mkdir -p "$OUT/ocsp"
    # Port 0: the system picks a free port, which the responder prints (ACCEPT [::]:PORT ...).
    # It answers from the CA database (revocation date and reason of lt-revoked included) and
    # stops after two requests; nextUpdate is 20 years after the answer.
    openssl ocsp -index "$OUT/ca/lt-ca/index.txt" -CA "$LT_CA" -rsigner "$CERTS/ocsp-responder.pem" \
        -rkey "$KEYS/ocsp-responder.key" -rmd sha256 -ndays 7300 -port 0 -nrequest 2 \
        >"$WORK/ocsp-server.out" 2>"$WORK/ocsp-server.err" &
    local server=$! port="" tries=0
    while [ -z "$port" ] && [ $tries -lt 100 ]; do
        port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*/\1/p' "$WORK/ocsp-server.out")
        [ -n "$port" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    [ -n "$port" ] || { cat "$WORK/ocsp-server.err" >&2; kill "$server"; exit 1; }
    ocsp_query lt-signer "$port"
    ocsp_query lt-revoked "$port"
    wait "$server"
    grep -q ': good$' <(openssl ocsp -respin "$OUT/ocsp/lt-signer.der" -issuer "$LT_CA" \
        -cert "$CERTS/lt-signer.pem" -CAfile "$ROOT" -verify_other "$LT_CA" 2>/dev/null) \
        || { echo "ocsp/lt-signer.der does not say good" >&2; exit 1; }
    grep -q ': revoked$' <(openssl ocsp -respin "$OUT/ocsp/lt-revoked.der" -issuer "$LT_CA" \
        -cert "$CERTS/lt-revoked.pem" -CAfile "$ROOT" -verify_other "$LT_CA" 2>/dev/null) \
        || { echo "ocsp/lt-revoked.der does not say revoked" >&2; exit 1; }
}
