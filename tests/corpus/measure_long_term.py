"""The long-term cases of the corpus (RFC 3161 tokens, OCSP responses, PAdES B-T / B-LT /
B-LTA): their expected verdicts and what third-party validators say. Called by measure.py,
which writes the `[[long_term]]` tables of expected.toml and the long-term table of README.md.

How each tool is run (from tests/corpus/files/, trust folder trust-lt/):

- tokens, `openssl ts -verify -data DATA -in TOKEN.tsr -CAfile trust-lt/root.pem -untrusted
  trust-lt/lt-ca.pem`: `Verification: OK`, or `Verification: FAILED` and the reason of each
  OpenSSL error line in parentheses.
- OCSP responses, `openssl ocsp -respin RESP.der -issuer trust-lt/lt-ca.pem -cert CERT.pem
  -CAfile trust-lt/root.pem -verify_other trust-lt/lt-ca.pem`: the verification line and the
  status lines, joined with " / ".
- PDFs, `pyhanko sign adesverify --trust trust-lt/root.pem --trust-replace --other-certs
  trust-lt/lt-ca.pem [--validation-time T] FILE.pdf` (`pyhanko`): pyHanko's ETSI EN 319 102-1
  validation with past-time validation and proof of existence, from what the file carries (the
  CLI cannot be given CRLs); per signature, the summary of the line it prints.
- `pyhanko_crl`: the same validation through the API (ades_lta_validation) with the trust
  folder's CRLs given as local knowledge, as motcua has them; the summary, plus `; ` and the
  AdES sub-indication when pyHanko does not trust the signature.
- pdfsig (poppler, now only: it has no validation-time option, and reads neither timestamps
  nor the DSS), NSS database with the root (C,C,C), lt-ca and the trust folder's CRLs.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
TRUST = "trust-lt"

NOW = "now"
FUTURE = "2040-01-01T00:00:00Z"
TIMES = (NOW, FUTURE)

PASSED = "TOTAL_PASSED"
FAILED = "TOTAL_FAILED"
INDETERMINATE = "INDETERMINATE"

# The times make_long_term.py gives to the PDFs (claimed /M, signature timestamp, archive).
SIGNED_AT = "2024-03-01T09:00:00Z"
STAMPED_AT = "2024-03-01T09:05:00Z"
AFTER_REVOCATION_SIGNED_AT = "2024-06-01T09:00:00Z"
AFTER_REVOCATION_STAMPED_AT = "2024-06-01T09:05:00Z"
ARCHIVED_AT = "2024-03-02T12:00:00Z"
RENEWED_AT = "2026-06-01T12:00:00Z"

DSS_THEN = ["certs/lt-ca.pem", "certs/tsa.pem", "crl/root-2024-03-02.crl",
            "crl/lt-ca-2024-03-02.crl"]
DSS_NOW_OCSP = ["certs/lt-ca.pem", "certs/tsa.pem", "certs/ocsp-responder.pem",
                "trust-lt/root.crl", "trust-lt/lt-ca.crl"]


@dataclass
class Token:
    id: str
    file: str
    data: str
    tsa: str
    indication: str
    reason: str
    sub_indication: str | None = None
    request: str = "tsp/data.tsq"


@dataclass
class Ocsp:
    id: str
    file: str
    cert: str
    cert_status: str
    reason: str
    revocation_time: str | None = None
    revocation_reason: str | None = None


@dataclass
class Expect:
    """motcua's verdict at one validation time."""
    at: str
    indication: str
    sub_indication: str | None = None


@dataclass
class LtSig:
    signer: str
    claimed_signing_time: str
    signature_timestamp: str | None
    tsa: str | None
    level: str
    reason: str
    expect: list[Expect]
    # Why a third-party tool's verdict differs from motcua's, when it does.
    tools_differ: str | None = None
    field: str = "Signature1"


@dataclass
class LtPdf:
    id: str
    file: str
    signatures: list[LtSig]
    dss: list[str] = field(default_factory=list)
    document_timestamps: list[str] = field(default_factory=list)


def both(indication: str, sub_indication: str | None = None) -> list[Expect]:
    return [Expect(at, indication, sub_indication) for at in TIMES]


CASES: list[Token | Ocsp | LtPdf] = [
    # --- RFC 3161 tokens (openssl ts) ----------------------------------------------------------
    Token("ts-good", "tsp/good.tsr", "tsp/data.txt", "certs/tsa.pem", PASSED,
          "openssl ts -reply over data.txt (SHA-256, the TSA's certificate in the token, "
          "signing-certificate-v2), TSA extendedKeyUsage timeStamping critical"),
    Token("ts-tampered-data", "tsp/good.tsr", "tsp/data-tampered.txt", "certs/tsa.pem", FAILED,
          "the good token checked against data-tampered.txt (one digit differs): the message "
          "imprint does not match", sub_indication="HASH_FAILURE"),
    Token("ts-noncritical-eku", "tsp/noncritical-eku.tsr", "tsp/data.txt",
          "certs/tsa-noncritical.pem", INDETERMINATE,
          "signed by a TSA whose extendedKeyUsage timeStamping is not critical, which RFC 3161 "
          "2.3 forbids (openssl ts -reply refuses that certificate; the TSTInfo was signed with "
          "openssl cms -sign -cades and wrapped with openssl ts -reply -token_in)",
          sub_indication="CHAIN_CONSTRAINTS_FAILURE"),

    # --- OCSP responses (openssl ocsp responder) ----------------------------------------------
    Ocsp("ocsp-good", "ocsp/lt-signer.der", "certs/lt-signer.pem", "good",
         "answer of the delegated responder (OCSPSigning, ocsp-nocheck) for lt-signer"),
    Ocsp("ocsp-revoked", "ocsp/lt-revoked.der", "certs/lt-revoked.pem", "revoked",
         "answer of the delegated responder for lt-revoked, revoked 2024-05-01 (keyCompromise)",
         revocation_time="2024-05-01T00:00:00Z", revocation_reason="keyCompromise"),

    # --- PAdES (pyHanko, TSA and DSS from the openssl-made material) -------------------------
    LtPdf("lt-b-t", "pdf/lt-b-t.pdf", [
        LtSig("certs/lt-signer.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-T",
              "signature timestamp, no DSS: revocation comes from the trust folder; the signer "
              "is valid until 2045, so the TSA certificate's expiry (2035) does not matter in 2040",
              both(PASSED),
              tools_differ="pyhanko (CLI) finds no revocation data in the file and does not "
                           "trust the signer; given the trust folder's CRLs it does")]),
    LtPdf("lt-b-lt", "pdf/lt-b-lt.pdf", [
        LtSig("certs/lt-signer.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-LT",
              "signature timestamp and a DSS with the good OCSP response and the current CRLs",
              both(PASSED))],
        dss=DSS_NOW_OCSP + ["ocsp/lt-signer.der"]),
    LtPdf("lt-b-lta", "pdf/lt-b-lta.pdf", [
        LtSig("certs/lt-signer.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-LTA",
              "signature timestamp, DSS with the CRLs of 2024-03-02, document timestamp of "
              "2024-03-02",
              both(PASSED),
              tools_differ="pyhanko (CLI) has only the 2024 CRLs of the DSS, too old to "
                           "validate the document timestamp's chain now; given the trust "
                           "folder's CRLs it trusts the signature")],
        dss=DSS_THEN, document_timestamps=[ARCHIVED_AT]),
    LtPdf("lt-expired-b-lta", "pdf/lt-expired-b-lta.pdf", [
        LtSig("certs/lt-expired.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-LTA",
              "signer valid 2024-01-01 to 2024-06-30 only; signed, timestamped and archived "
              "(2024-03-01/02) inside its validity, with a CRL of 2024-03-02 in the DSS: the "
              "timestamps prove existence while it was valid. In 2040 the TSA certificate "
              "(valid to 2035) has expired and no later archive timestamp renews the proof",
              [Expect(NOW, PASSED), Expect(FUTURE, INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")],
              tools_differ="pyhanko (CLI) has only the 2024 CRLs of the DSS, too old to "
                           "validate the timestamps' chain now")],
        dss=DSS_THEN, document_timestamps=[ARCHIVED_AT]),
    LtPdf("lt-expired-b-lta-renewed", "pdf/lt-expired-b-lta-renewed.pdf", [
        LtSig("certs/lt-expired.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-LTA",
              "lt-expired-b-lta renewed: a DSS update with the current CRLs (validation data of "
              "the first document timestamp), then a second document timestamp of 2026-06-01 "
              "by tsa-renewal (valid to 2045). In 2040 it proves that the first timestamp, "
              "whose TSA was then valid, existed in 2026: the chain of proofs still holds",
              both(PASSED),
              tools_differ="pyHanko 0.38 does not pass it in 2040: its past validation of the "
                           "first document timestamp (TSA expired in 2035) does not use the "
                           "proof of existence the renewal gives ('Failed to get control time "
                           "for point-in-time validation')")],
        dss=DSS_THEN + ["certs/tsa-renewal.pem", "trust-lt/root.crl", "trust-lt/lt-ca.crl"],
        document_timestamps=[ARCHIVED_AT, RENEWED_AT]),
    LtPdf("lt-revoked-signed-before", "pdf/lt-revoked-signed-before.pdf", [
        LtSig("certs/lt-revoked.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-LT",
              "revoked 2024-05-01, after the signature timestamp (2024-03-01): the signature "
              "existed before the revocation. DSS: the revoked OCSP response, the current CRLs. "
              "In 2040 the TSA certificate has expired: no proof of existence is left",
              [Expect(NOW, PASSED), Expect(FUTURE, INDETERMINATE, "REVOKED_NO_POE")])],
        dss=DSS_NOW_OCSP + ["ocsp/lt-revoked.der"]),
    LtPdf("lt-revoked-signed-after", "pdf/lt-revoked-signed-after.pdf", [
        LtSig("certs/lt-revoked.pem", AFTER_REVOCATION_SIGNED_AT, AFTER_REVOCATION_STAMPED_AT,
              "certs/tsa.pem", "B-LT",
              "revoked 2024-05-01; claims 2024-06-01 and timestamped 2024-06-01, after the "
              "revocation. ETSI EN 319 102-1 alone gives INDETERMINATE/REVOKED_NO_POE (a "
              "timestamp bounds the signing time from above only); motcua takes the claimed "
              "time after the revocation as final, as for pdf-revoked-signed-after-revocation",
              both(FAILED, "REVOKED"))],
        dss=DSS_NOW_OCSP + ["ocsp/lt-revoked.der"]),
    LtPdf("lt-noncritical-tsa", "pdf/lt-noncritical-tsa.pdf", [
        LtSig("certs/lt-expired.pem", SIGNED_AT, STAMPED_AT, "certs/tsa-noncritical.pem", "B-B",
              "the signature timestamp's TSA has a non-critical extendedKeyUsage (RFC 3161 "
              "2.3): the token proves nothing, so neither B-T nor B-LT is reached, and the "
              "signer (valid to 2024-06-30) has expired with no proof of existence",
              both(INDETERMINATE, "OUT_OF_BOUNDS_NO_POE"),
              tools_differ="pyHanko does not require the TSA's extendedKeyUsage to be "
                           "critical: it accepts the token as proof of existence and trusts "
                           "the signature now")],
        dss=["certs/lt-ca.pem", "certs/tsa-noncritical.pem", "crl/root-2024-03-02.crl",
             "crl/lt-ca-2024-03-02.crl", "trust-lt/root.crl", "trust-lt/lt-ca.crl"]),
    LtPdf("lt-b-lta-content-changed", "pdf/lt-b-lta-content-changed.pdf", [
        LtSig("certs/lt-signer.pem", SIGNED_AT, STAMPED_AT, "certs/tsa.pem", "B-LTA",
              "lt-b-lta followed by an unsigned incremental update (pyHanko writer) replacing "
              "the page's content stream after the document timestamp",
              both(FAILED, "SIG_CONSTRAINTS_FAILURE"))],
        dss=DSS_THEN, document_timestamps=[ARCHIVED_AT]),
]


# --- Running the tools ------------------------------------------------------------------------

def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=FILES, capture_output=True, text=True, check=False)


def openssl_errors(text: str) -> list[str]:
    reasons = []
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 9 and parts[1] == "error":
            reason, data = parts[5], ":".join(parts[8:])
            reasons.append(f"{reason}: {data}" if data else reason)
    return list(dict.fromkeys(reasons))


def ts_verify(token: Token) -> str:
    result = run(["openssl", "ts", "-verify", "-data", token.data, "-in", token.file,
                  "-CAfile", f"{TRUST}/root.pem", "-untrusted", f"{TRUST}/lt-ca.pem"])
    status = next((line for line in result.stdout.splitlines()
                   if line.startswith("Verification:")), "Verification: (no answer)")
    reasons = openssl_errors(result.stderr)
    return f"{status} ({'; '.join(reasons)})" if reasons else status


def ts_gen_time(file: str) -> str:
    text = run(["openssl", "ts", "-reply", "-in", file, "-text"]).stdout
    match = re.search(r"^Time stamp: (.*)$", text, re.M)
    if not match:
        raise SystemExit(f"{file}: no genTime in openssl ts -text")
    moment = datetime.strptime(match.group(1).strip(), "%b %d %H:%M:%S %Y GMT")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ocsp_verify(case: Ocsp) -> str:
    result = run(["openssl", "ocsp", "-respin", case.file, "-issuer", f"{TRUST}/lt-ca.pem",
                  "-cert", case.cert, "-CAfile", f"{TRUST}/root.pem",
                  "-verify_other", f"{TRUST}/lt-ca.pem"])
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines()
             if line.strip() and not line.startswith("Using configuration")]
    return " / ".join(lines)


def ocsp_times(file: str) -> dict[str, str]:
    from asn1crypto import ocsp

    basic = ocsp.OCSPResponse.load((FILES / file).read_bytes()).basic_ocsp_response
    data = basic["tbs_response_data"]
    single = data["responses"][0]
    fmt = lambda moment: moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"produced_at": fmt(data["produced_at"].native),
            "this_update": fmt(single["this_update"].native),
            "next_update": fmt(single["next_update"].native)}


def moment_of(at: str) -> datetime | None:
    if at == NOW:
        return None
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def pyhanko_cli(case: LtPdf, at: str) -> list[str]:
    args = ["pyhanko", "sign", "adesverify", "--trust", f"{TRUST}/root.pem", "--trust-replace",
            "--other-certs", f"{TRUST}/lt-ca.pem"]
    if at != NOW:
        args += ["--validation-time", at]
    result = run(args + [case.file])
    summaries = []
    for line in result.stdout.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and re.fullmatch(r"[0-9a-f]{64}", parts[1]):
            summaries.append(parts[2])
    return summaries or [(result.stdout + result.stderr).strip().splitlines()[-1]]


def pyhanko_api(case: LtPdf, at: str) -> list[str]:
    from asn1crypto import crl as asn1_crl
    from pyhanko.cli._trust import TrustManagerSettings, derive_cert_validation_policy
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        LocalKnowledge, PdfSignatureValidationSpec, SignatureValidationSpec)
    from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
    from pyhanko_certvalidator.policy_decl import (
        REQUIRE_REVINFO, CertRevTrustPolicy, FreshnessReqType)
    from pyhanko_certvalidator.revinfo.archival import CRLContainer

    folder = FILES / TRUST
    # The policy of `pyhanko sign adesverify --trust root.pem --trust-replace`.
    policy = derive_cert_validation_policy(
        cli_config=None,
        trust_manager_settings=TrustManagerSettings(
            trust=[str(folder / "root.pem")], trust_replace=True, eutl=False,
            eutl_force_redownload=False),
        revinfo_policy="require",
    )
    policy = replace(policy, revinfo_policy=CertRevTrustPolicy(
        REQUIRE_REVINFO, freshness=None,
        freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION))
    crls = [CRLContainer(asn1_crl.CertificateList.load(path.read_bytes()))
            for path in sorted(folder.glob("*.crl"))]
    spec = PdfSignatureValidationSpec(
        signature_validation_spec=SignatureValidationSpec(
            cert_validation_policy=policy,
            local_knowledge=LocalKnowledge(
                known_certs=[load_cert_from_pemder(str(folder / "lt-ca.pem"))],
                known_crls=crls)),
        diff_policy=DEFAULT_DIFF_POLICY)
    moment = moment_of(at)
    timing = (ValidationTimingInfo.now() if moment is None
              else ValidationTimingInfo(moment, moment, point_in_time_validation=True))
    lines = []
    with (FILES / case.file).open("rb") as handle:
        for signature in PdfFileReader(handle).embedded_regular_signatures:
            result = asyncio.run(ades_lta_validation(signature, spec, timing_info=timing))
            line = result.api_status.summary() if result.api_status else "(no status)"
            if not line.startswith("INTACT:TRUSTED") and result.ades_subindic is not None:
                line += f"; {result.ades_subindic.name}"
            lines.append(line)
    return lines


class Pdfsig:
    def __init__(self, scratch: Path):
        self.db = scratch / "nss-trust-lt"

    def setup(self) -> None:
        self.db.mkdir()
        folder = FILES / TRUST
        steps = [
            ["certutil", "-N", "-d", f"sql:{self.db}", "--empty-password"],
            ["certutil", "-A", "-d", f"sql:{self.db}", "-n", "root", "-t", "C,C,C",
             "-i", str(folder / "root.pem")],
            ["certutil", "-A", "-d", f"sql:{self.db}", "-n", "lt-ca", "-t", ",,",
             "-i", str(folder / "lt-ca.pem")],
        ]
        steps += [["crlutil", "-I", "-d", f"sql:{self.db}", "-t", "1", "-i", str(crl)]
                  for crl in sorted(folder.glob("*.crl"))]
        for step in steps:
            result = run(step)
            if result.returncode != 0:
                raise SystemExit(f"{' '.join(step)}: {result.stderr}")

    def verdicts(self, case: LtPdf) -> list[str]:
        if not self.db.exists():
            self.setup()
        result = run(["pdfsig", "-nssdir", f"sql:{self.db}", case.file])
        lines = []
        fields = {signature.field for signature in case.signatures}
        for block in re.split(r"^Signature #\d+:$", result.stdout, flags=re.M)[1:]:
            name = re.search(r"- Signature Field Name: (.*)$", block, re.M)
            if name is None or name.group(1).strip() not in fields:
                continue  # a document timestamp, not a signature
            found = []
            for pattern in (r"- Signature Validation: (.*)$", r"- Certificate Validation: (.*)$",
                            r"- ((?:Not )?[Tt]otal document signed)$"):
                match = re.search(pattern, block, re.M)
                if match:
                    found.append(match.group(1).strip())
            lines.append(" / ".join(found))
        return lines or [(result.stdout + result.stderr).strip().splitlines()[-1]]


# --- expected.toml and README ------------------------------------------------------------------

def toml_value(value) -> str:
    import json

    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def lines_of(entry: dict) -> list[str]:
    return [f"{key} = {toml_value(value)}" for key, value in entry.items() if value is not None]


def verdict(indication: str, sub_indication: str | None) -> str:
    return indication + (f" / {sub_indication}" if sub_indication else "")


def gen_time(signed_data) -> str:
    """genTime of a timestamp token's TSTInfo, RFC 3339 UTC."""
    tst_info = signed_data["encap_content_info"]["content"].parsed
    return tst_info["gen_time"].native.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature_timestamp(signature) -> str | None:
    for attribute in signature.signer_info["unsigned_attrs"] or ():
        if attribute["type"].native == "signature_time_stamp_token":
            return gen_time(attribute["values"][0]["content"])
    return None


def structure_problems(case: LtPdf) -> list[str]:
    """What the file lacks of what its case says it holds: DSS, document timestamps with their
    genTime, signature timestamps with theirs."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    problems = []
    with (FILES / case.file).open("rb") as handle:
        reader = PdfFileReader(handle)
        has_dss = "/DSS" in reader.root
        if bool(case.dss) != has_dss:
            problems.append(f"{case.id}: /DSS present={has_dss}")
        stamps = [gen_time(ts.signed_data) for ts in reader.embedded_timestamp_signatures]
        if stamps != case.document_timestamps:
            problems.append(f"{case.id}: document timestamps {stamps}")
        for signature, expected in zip(reader.embedded_regular_signatures, case.signatures):
            found = signature_timestamp(signature)
            if found != expected.signature_timestamp:
                problems.append(f"{case.id}: signature timestamp {found}")
    return problems


def accepts(line: str) -> bool:
    return line.startswith("INTACT:TRUSTED") and "ILLEGAL_MODIFICATIONS" not in line


def measure(scratch: Path) -> tuple[list[str], list[tuple[str, ...]], list[str]]:
    """The `[[long_term]]` blocks of expected.toml, the README rows, and the contradictions
    between the tools and the expected verdicts that no `tools_differ` explains."""
    blocks: list[str] = []
    rows: list[tuple[str, ...]] = []
    problems: list[str] = []
    pdfsig = Pdfsig(scratch)
    for case in CASES:
        blocks += ["", "[[long_term]]"]
        if isinstance(case, Token):
            measured = ts_verify(case)
            blocks += lines_of({
                "id": case.id, "kind": "timestamp-token", "file": case.file,
                "request": case.request, "data": case.data, "tsa": case.tsa, "trust": TRUST,
                "gen_time": ts_gen_time(case.file), "indication": case.indication,
                "sub_indication": case.sub_indication, "reason": case.reason,
                "openssl": measured})
            if (case.indication == PASSED) != (measured == "Verification: OK"):
                problems.append(f"{case.id}: openssl says {measured!r}")
            rows.append((case.id, f"{case.file} + {case.data}", "now",
                         f"`{verdict(case.indication, case.sub_indication)}`", "",
                         case.reason, f"openssl: {measured}"))
            continue
        if isinstance(case, Ocsp):
            measured = ocsp_verify(case)
            blocks += lines_of({
                "id": case.id, "kind": "ocsp-response", "file": case.file, "cert": case.cert,
                "issuer": f"{TRUST}/lt-ca.pem", "responder": "certs/ocsp-responder.pem",
                "trust": TRUST, "cert_status": case.cert_status,
                "revocation_time": case.revocation_time,
                "revocation_reason": case.revocation_reason, **ocsp_times(case.file),
                "reason": case.reason, "openssl": measured})
            if "Response verify OK" not in measured or f": {case.cert_status}" not in measured:
                problems.append(f"{case.id}: openssl says {measured!r}")
            rows.append((case.id, case.file, "now", f"`{case.cert_status}`", "", case.reason,
                         f"openssl: {measured}"))
            continue
        blocks += lines_of({
            "id": case.id, "kind": "pdf", "file": case.file, "trust": TRUST, "dss": case.dss,
            "document_timestamps": case.document_timestamps})
        problems += structure_problems(case)
        cli = {at: pyhanko_cli(case, at) for at in TIMES}
        api = {at: pyhanko_api(case, at) for at in TIMES}
        now_pdfsig = pdfsig.verdicts(case)
        for index, sig in enumerate(case.signatures):
            pick = lambda values: values[index] if index < len(values) else "(no result)"
            blocks += ["", "[[long_term.signature]]"]
            blocks += lines_of({
                "field": sig.field, "signer": sig.signer,
                "claimed_signing_time": sig.claimed_signing_time,
                "signature_timestamp": sig.signature_timestamp, "tsa": sig.tsa,
                "level": sig.level, "reason": sig.reason, "tools_differ": sig.tools_differ,
                "pdfsig": pick(now_pdfsig)})
            expected, measured = [], []
            for expect in sig.expect:
                found_cli, found_api = pick(cli[expect.at]), pick(api[expect.at])
                blocks += ["", "[[long_term.signature.expect]]"]
                blocks += lines_of({
                    "validation_time": expect.at, "indication": expect.indication,
                    "sub_indication": expect.sub_indication, "pyhanko": found_cli,
                    "pyhanko_crl": found_api})
                if (expect.indication == PASSED) != accepts(found_api) and not sig.tools_differ:
                    problems.append(f"{case.id} at {expect.at}: pyhanko_crl says {found_api!r}")
                expected.append(f"{expect.at}: `{verdict(expect.indication, expect.sub_indication)}`")
                measured.append(f"{expect.at}: pyHanko: {found_cli}<br>{expect.at}: "
                                f"pyHanko+CRL: {found_api}")
            tools = "<br>".join(measured) + f"<br>now: pdfsig+CRL: {pick(now_pdfsig)}"
            why = sig.reason + (f" (tools: {sig.tools_differ})" if sig.tools_differ else "")
            rows.append((case.id, case.file, "<br>".join(TIMES), "<br>".join(expected),
                         sig.level, why, tools))
    return blocks, rows, problems
