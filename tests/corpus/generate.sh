#!/usr/bin/env bash
# Regenerates the third-party corpus under tests/corpus/files/ from scratch.
#
# Every certificate, CRL and CMS signature is made by the openssl command line, every PDF
# signature by pyHanko; motcua makes nothing here. The verdicts that openssl, pyHanko and
# poppler's pdfsig give on the result are measured at the end and written, with the verdicts
# motcua is expected to give, to tests/corpus/expected.toml (and the table of README.md).
# long_term.sh (sourced) adds the material of signatures that last: TSAs, an OCSP responder,
# `openssl ts` tokens, `openssl ocsp` responses; make_long_term.py the B-T/B-LT/B-LTA PDFs.
#
# Run from anywhere:
#
#     python3 -m pip install -r tests/corpus/requirements.txt   # pyHanko and its CLI, pinned
#     apt-get install openssl poppler-utils libnss3-tools        # openssl, pdfsig, certutil
#     bash tests/corpus/generate.sh
#
# Keys are new at every run, so every file changes; the names, serial numbers, dates and
# verdicts do not. Validity periods and CRL dates are fixed (see the dates below) and long, so
# the committed files keep their verdicts until 2045. The CA databases (files/ca/) and the
# private keys (files/keys/) are kept so that one item can be remade by hand with the same
# openssl commands.
set -euo pipefail
export LC_ALL=C.UTF-8

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/files
CNF=$HERE/openssl.cnf

# --- Fixed dates (UTC) ----------------------------------------------------------------------
CA_START=20190101000000Z         # root and issuing CA: 2019-01-01 .. 2045-01-01
CA_END=20450101000000Z
LEAF_START=20250101000000Z       # ordinary leaves: 2025-01-01 .. 2045-01-01
LEAF_END=20450101000000Z
EXPIRED_START=20200101000000Z    # expired leaf: 2020-01-01 .. 2022-01-01
EXPIRED_END=20220101000000Z
FUTURE_START=20400101000000Z     # not yet valid leaf: 2040-01-01 .. 2045-01-01
FUTURE_END=20450101000000Z
REVOKED_AT=250601000000Z         # revoked leaf: revocationDate 2025-06-01
STALE_REVOKED_AT=250215000000Z   # leaf of the stale CRL: revocationDate 2025-02-15
CRL_THIS_UPDATE=20260101000000Z  # current CRLs: 2026-01-01 .. 2045-01-01
CRL_NEXT_UPDATE=20450101000000Z
STALE_THIS_UPDATE=20250301000000Z # stale CRL: 2025-03-01 .. 2025-04-01
STALE_NEXT_UPDATE=20250401000000Z

ROOT_SERIAL=4E3F2B1A0C9D8E7F6A5B4C3D2E1F0011  # the real root and its look-alike share it
ISSUING_FIRST_SERIAL=1C0A2E5000000001

# --- Layout ---------------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"/{trust,trust-stale,keys,certs,pdf,cms,ca}
KEYS=$OUT/keys
CERTS=$OUT/certs
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/new"

# Defaults so that the configuration always loads; each issuance sets its own.
export CA_DB=$OUT/ca/root CA_CERT=/dev/null CA_KEY=/dev/null CA_NEW=$WORK/new STRING_MASK=utf8only
export TSA_CERT=/dev/null TSA_KEY=/dev/null TSA_CHAIN=/dev/null TSA_SERIAL=/dev/null

log() { printf '== %s\n' "$*" >&2; }

# new_key NAME rsa2048|rsa4096|p256
new_key() {
    case $2 in
        rsa2048) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/$1.key" ;;
        rsa4096) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$KEYS/$1.key" ;;
        p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                  -pkeyopt ec_param_enc:named_curve -out "$KEYS/$1.key" ;;
    esac
    chmod 644 "$KEYS/$1.key"
}

# new_csr NAME SUBJECT [STRING_MASK]
new_csr() {
    STRING_MASK=${3:-utf8only} openssl req -new -config "$CNF" -utf8 -key "$KEYS/$1.key" \
        -subj "$2" -out "$WORK/$1.csr"
}

# new_db NAME FIRST_SERIAL: an empty CA database under files/ca/NAME
new_db() {
    mkdir -p "$OUT/ca/$1"
    : > "$OUT/ca/$1/index.txt"
    echo "$2" > "$OUT/ca/$1/serial"
    echo 01 > "$OUT/ca/$1/crlnumber"
}

# issue DB ISSUER_CERT ISSUER_KEY NAME EXTENSIONS START END: signs WORK/NAME.csr into certs/NAME.pem
issue() {
    CA_DB=$OUT/ca/$1 openssl ca -batch -config "$CNF" -notext -utf8 -preserveDN \
        -cert "$2" -keyfile "$3" -extensions "$5" -startdate "$6" -enddate "$7" \
        -in "$WORK/$4.csr" -out "$CERTS/$4.pem" 2>"$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
}

# self_sign DB NAME EXTENSIONS START END
self_sign() {
    CA_DB=$OUT/ca/$1 openssl ca -batch -config "$CNF" -notext -utf8 -preserveDN -selfsign \
        -keyfile "$KEYS/$2.key" -extensions "$3" -startdate "$4" -enddate "$5" \
        -in "$WORK/$2.csr" -out "$CERTS/$2.pem" 2>"$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
}

# revoke DB ISSUER_CERT ISSUER_KEY NAME REVOCATION_DATE(YYMMDDHHMMSSZ): `openssl ca -revoke`
# records the current time; the database line is then given the fixed revocation date so that
# the CRLs say the same at every run.
revoke() {
    CA_DB=$OUT/ca/$1 openssl ca -batch -config "$CNF" -cert "$2" -keyfile "$3" \
        -revoke "$CERTS/$4.pem" -crl_reason keyCompromise 2>"$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
    local serial
    serial=$(openssl x509 -in "$CERTS/$4.pem" -noout -serial | cut -d= -f2)
    awk -F'\t' -v OFS='\t' -v serial="$serial" -v at="$5" \
        '$1 == "R" && $4 == serial { split($3, parts, ","); $3 = at "," parts[2] } { print }' \
        "$OUT/ca/$1/index.txt" > "$WORK/index.txt"
    cat "$WORK/index.txt" > "$OUT/ca/$1/index.txt"
}

# gen_crl DB ISSUER_CERT ISSUER_KEY OUT_FILE THIS_UPDATE NEXT_UPDATE: a DER CRL with crlNumber
gen_crl() {
    CA_DB=$OUT/ca/$1 openssl ca -batch -config "$CNF" -gencrl -cert "$2" -keyfile "$3" \
        -crlexts ext_crl -crl_lastupdate "$5" -crl_nextupdate "$6" -out "$WORK/crl.pem" \
        2>"$WORK/ca.log" || { cat "$WORK/ca.log" >&2; exit 1; }
    openssl crl -in "$WORK/crl.pem" -outform DER -out "$4"
}

ROOT_CN="RootCA chuyên dùng Chính phủ G2 - Kiểm thử"
ROOT_SUBJECT="/C=VN/O=Ban Cơ yếu Chính phủ/CN=$ROOT_CN"
ISSUING_SUBJECT="/C=VN/O=Ban Cơ yếu Chính phủ/OU=Cục Chứng thực số và Bảo mật thông tin/CN=CA phục vụ các cơ quan Nhà nước G2 - Kiểm thử"
# Individuals: UID=CCCD:<12 digits>; organisations: UID=MST:<tax code>.
person() { echo "/C=VN/ST=Hà Nội/O=Ủy ban nhân dân phường Ba Đình/CN=$1/UID=CCCD:$2"; }
organisation() { echo "/C=VN/ST=Hà Nội/CN=$1/UID=MST:$2"; }

# --- Root and issuing CA ----------------------------------------------------------------------
log "root CA"
new_db root "$ROOT_SERIAL"
new_key root rsa4096
new_csr root "$ROOT_SUBJECT"
self_sign root root ext_root "$CA_START" "$CA_END"
ROOT=$CERTS/root.pem ROOT_KEY=$KEYS/root.key

log "issuing CA (pathlen:0)"
new_key issuing-ca rsa2048
new_csr issuing-ca "$ISSUING_SUBJECT"
issue root "$ROOT" "$ROOT_KEY" issuing-ca ext_issuing_ca "$CA_START" "$CA_END"
ISSUING=$CERTS/issuing-ca.pem ISSUING_KEY=$KEYS/issuing-ca.key
new_db issuing "$ISSUING_FIRST_SERIAL"

# leaf NAME KEYTYPE SUBJECT EXTENSIONS START END [STRING_MASK]: a leaf of the issuing CA
leaf() {
    new_key "$1" "$2"
    new_csr "$1" "$3" "${7:-utf8only}"
    issue issuing "$ISSUING" "$ISSUING_KEY" "$1" "$4" "$5" "$6"
}

# --- Leaves -----------------------------------------------------------------------------------
log "leaves"
leaf valid-rsa rsa2048 "$(person 'Thân Văn Thuận' 001085012345)" ext_leaf "$LEAF_START" "$LEAF_END"
leaf valid-ecdsa p256 "$(person 'Nguyễn Thị Hồng Nhung' 024190003456)" ext_leaf "$LEAF_START" "$LEAF_END"
leaf valid-org rsa2048 "$(organisation 'Ủy ban nhân dân phường Ba Đình' 0101234567)" ext_leaf "$LEAF_START" "$LEAF_END"
leaf expired rsa2048 "$(person 'Lê Văn Hết Hạn' 001080000111)" ext_leaf "$EXPIRED_START" "$EXPIRED_END"
leaf not-yet-valid rsa2048 "$(person 'Phạm Thị Chưa Đến' 001190000222)" ext_leaf "$FUTURE_START" "$FUTURE_END"
leaf revoked rsa2048 "$(person 'Trần Văn Thu Hồi' 001082000333)" ext_leaf "$LEAF_START" "$LEAF_END"
leaf revoked-stale rsa2048 "$(person 'Đỗ Thị Cũ' 001183000444)" ext_leaf "$LEAF_START" "$LEAF_END"
leaf wrong-ku rsa2048 "$(person 'Vũ Văn Mã Hoá' 001084000555)" ext_leaf_wrong_ku "$LEAF_START" "$LEAF_END"
leaf wrong-eku p256 "$(person 'Hoàng Thị Máy Chủ' 001185000666)" ext_leaf_wrong_eku "$LEAF_START" "$LEAF_END"
leaf bad-signature rsa2048 "$(person 'Bùi Văn Sửa Byte' 001086000777)" ext_leaf "$LEAF_START" "$LEAF_END"
# Subject in BMPString (string_mask MASK:0x800); C stays PrintableString, as X.520 requires.
leaf bmp rsa2048 "$(person 'Đặng Thị Bảo Mật' 001187000888)" ext_leaf "$LEAF_START" "$LEAF_END" MASK:0x800
if ! openssl asn1parse -in "$CERTS/bmp.pem" | grep -q BMPSTRING; then
    echo "the BMPString subject was re-encoded" >&2
    exit 1
fi
# CA:TRUE certificate issued where pathlen:0 allows end entities only.
leaf rogue-ca rsa2048 "/C=VN/ST=Hà Nội/O=Ủy ban nhân dân phường Ba Đình/CN=CA trái phép phường Ba Đình" \
    ext_rogue_ca "$LEAF_START" "$LEAF_END"

log "leaf of the rogue CA (path length exceeded)"
new_db rogue-ca 5A0000000001
new_key pathlen-exceeded rsa2048
new_csr pathlen-exceeded "$(person 'Ngô Văn Quá Hạn Mức' 001088000999)"
issue rogue-ca "$CERTS/rogue-ca.pem" "$KEYS/rogue-ca.key" pathlen-exceeded ext_leaf "$LEAF_START" "$LEAF_END"

log "leaf issued by a leaf (CA:FALSE issuer)"
new_db valid-rsa 6B0000000001
new_key leaf-of-leaf rsa2048
new_csr leaf-of-leaf "$(person 'Lý Thị Cấp Dưới' 001189001000)"
issue valid-rsa "$CERTS/valid-rsa.pem" "$KEYS/valid-rsa.key" leaf-of-leaf ext_leaf "$LEAF_START" "$LEAF_END"

log "look-alike root: same subject and serial number, another key"
new_db lookalike-root "$ROOT_SERIAL"
new_key lookalike-root rsa4096
new_csr lookalike-root "$ROOT_SUBJECT"
self_sign lookalike-root lookalike-root ext_root "$CA_START" "$CA_END"
# Its leaves get serial numbers of their own, so that no (issuer, serial) pair of the look-alike
# PKI is also one of the real PKI (the next root serial is the issuing CA's).
echo 7C0000000001 > "$OUT/ca/lookalike-root/serial"
cmp -s <(openssl x509 -in "$ROOT" -noout -subject -serial -nameopt RFC2253) \
    <(openssl x509 -in "$CERTS/lookalike-root.pem" -noout -subject -serial -nameopt RFC2253) \
    || { echo "the look-alike root does not copy the real root's subject and serial" >&2; exit 1; }
new_key lookalike-leaf rsa2048
new_csr lookalike-leaf "$(person 'Thân Văn Thuận' 001085012345)"
issue lookalike-root "$CERTS/lookalike-root.pem" "$KEYS/lookalike-root.key" lookalike-leaf ext_leaf "$LEAF_START" "$LEAF_END"

log "byte-flipped certificate signature"
# The last byte of the DER is the last byte of the signature value: flip its lowest bit.
openssl x509 -in "$CERTS/bad-signature.pem" -outform DER -out "$WORK/bad.der"
size=$(stat -c %s "$WORK/bad.der")
last=$(tail -c 1 "$WORK/bad.der" | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $((last ^ 1)))" | dd of="$WORK/bad.der" bs=1 seek=$((size - 1)) conv=notrunc status=none
openssl x509 -inform DER -in "$WORK/bad.der" -out "$CERTS/bad-signature.pem"

# --- Long-term PKI (TSAs, OCSP responder, signers of 2024), before the root's current CRL ----
# shellcheck source=long_term.sh
source "$HERE/long_term.sh"
long_term_pki

# --- Revocation and CRLs ----------------------------------------------------------------------
log "CRLs"
# The stale CRL: issued on 2025-03-01 when only revoked-stale was revoked, due again on
# 2025-04-01 and never renewed in trust-stale/.
revoke issuing "$ISSUING" "$ISSUING_KEY" revoked-stale "$STALE_REVOKED_AT"
gen_crl issuing "$ISSUING" "$ISSUING_KEY" "$OUT/trust-stale/issuing-ca-stale.crl" \
    "$STALE_THIS_UPDATE" "$STALE_NEXT_UPDATE"
# The current CRL of the issuing CA lists both revoked leaves.
revoke issuing "$ISSUING" "$ISSUING_KEY" revoked "$REVOKED_AT"
gen_crl issuing "$ISSUING" "$ISSUING_KEY" "$OUT/trust/issuing-ca.crl" "$CRL_THIS_UPDATE" "$CRL_NEXT_UPDATE"
# The root's CRL lists nothing: the issuing CA is good.
gen_crl root "$ROOT" "$ROOT_KEY" "$OUT/trust/root.crl" "$CRL_THIS_UPDATE" "$CRL_NEXT_UPDATE"

cp "$ROOT" "$OUT/trust/root.pem"
cp "$ISSUING" "$OUT/trust/issuing-ca.pem"
cp "$ROOT" "$OUT/trust-stale/root.pem"
cp "$ISSUING" "$OUT/trust-stale/issuing-ca.pem"
cp "$OUT/trust/root.crl" "$OUT/trust-stale/root.crl"
long_term_trust
rm -f "$OUT"/ca/*/*.old

# --- CMS signatures (openssl cms) ---------------------------------------------------------------
log "CMS signatures"
CMS=$OUT/cms
printf 'Quyết định số 123/QĐ-UBND ngày 01/03/2026 của Ủy ban nhân dân phường Ba Đình.\n' > "$CMS/data.txt"
printf 'Quyết định số 124/QĐ-UBND ngày 01/03/2026 của Ủy ban nhân dân phường Ba Đình.\n' > "$CMS/data-tampered.txt"

# cms_sign NAME SIGNER [extra openssl cms options]: detached CAdES signature of data.txt (DER)
cms_sign() {
    local name=$1 signer=$2
    shift 2
    openssl cms -sign -binary -md sha256 -in "$CMS/data.txt" -signer "$CERTS/$signer.pem" \
        -inkey "$KEYS/$signer.key" -outform DER -out "$CMS/$name.p7s" "$@"
}
cms_sign valid-rsa valid-rsa -cades -certfile "$ISSUING"
cms_sign valid-ecdsa valid-ecdsa -cades -certfile "$ISSUING"
cms_sign expired expired -cades -certfile "$ISSUING"
cms_sign not-yet-valid not-yet-valid -cades -certfile "$ISSUING"
cms_sign revoked revoked -cades -certfile "$ISSUING"
cms_sign wrong-ku wrong-ku -cades -certfile "$ISSUING"
cms_sign lookalike lookalike-leaf -cades -certfile "$CERTS/lookalike-root.pem"
# Without -cades: no signing-certificate-v2 attribute.
cms_sign no-cades valid-rsa -certfile "$ISSUING"
# Without the signer's certificate.
cms_sign no-certificate valid-rsa -cades -nocerts
# Attached: the content is inside the SignedData.
cms_sign attached valid-rsa -cades -certfile "$ISSUING" -nodetach
for name in valid-rsa no-cades; do
    if [ "$name" = valid-rsa ]; then want=yes; else want=no; fi
    if openssl cms -cmsout -print -inform DER -in "$CMS/$name.p7s" | grep -q 'id-smime-aa-signingCertificateV2'; then
        has=yes
    else
        has=no
    fi
    [ "$has" = "$want" ] || { echo "$name.p7s: signingCertificateV2 present=$has, expected $want" >&2; exit 1; }
done
# Signed with valid-rsa's key, but the SignerInfo and the certificates name valid-org.
python3 "$HERE/swap_signer.py" "$CMS/valid-rsa.p7s" "$CERTS/valid-org.pem" "$CMS/wrong-certificate.p7s"

# --- Timestamps and OCSP responses (openssl) ---------------------------------------------------
long_term_ts
long_term_ocsp

# --- PDFs (pyHanko) ---------------------------------------------------------------------------
log "PDFs"
python3 "$HERE/make_pdfs.py" "$OUT"
log "long-term PDFs"
python3 "$HERE/make_long_term.py" "$OUT"

# --- Measurements -----------------------------------------------------------------------------
log "measuring openssl, pyHanko and pdfsig"
python3 "$HERE/measure.py"

log "done: $(du -sh "$OUT" | cut -f1) in $OUT"
