"""The cases of the corpus, their expected verdicts, and what third-party validators say.

    python3 measure.py

Called at the end of generate.sh. CASES below lists every case with the verdict motcua must
give (certificate status of `POST /certificates/validate`, or ETSI EN 319 102-1 indication and
sub-indication of each signature) and why. The script runs openssl, pyHanko and poppler's
pdfsig on each file, then writes tests/corpus/expected.toml and the case table of
tests/corpus/README.md (between the `cases:begin` / `cases:end` markers).

How each tool is run and read (one line per certificate or signature):

- certificates, `openssl verify -CAfile TRUST/root.pem -untrusted TRUST/issuing-ca.pem
  [-untrusted EXTRA.pem] -purpose smimesign -crl_check_all -CRLfile TRUST/<each>.crl CERT.pem`:
  `OK`, or the `error N at D depth lookup: ...` lines joined with "; ".
- CMS, `openssl cms -verify -binary -inform DER -in SIG.p7s [-content DATA] -cades
  -CAfile ROOT_AND_CRLS.pem -certfile TRUST/issuing-ca.pem -crl_check_all -out /dev/null`,
  where ROOT_AND_CRLS.pem is root.pem followed by the folder's CRLs in PEM (`cms` has no
  -CRLfile; the CAfile may carry CRLs): the status line (`CAdES Verification successful` or
  `... failure`), then the reason and data of each error line in parentheses.
- PDFs, `pyhanko sign validate --trust TRUST/root.pem --trust-replace --other-certs
  TRUST/issuing-ca.pem FILE.pdf`: for each `FIELD:FINGERPRINT:SUMMARY` line of standard output,
  SUMMARY (the CLI cannot be given CRLs; the certificates name no CRL distribution point, so
  its default revocation mode checks nothing). CMS: the same with `--detached SIG.p7s DATA`.
- pyhanko_crl: the same validation through pyHanko's API, with the folder's CRLs given and
  revocation required (`ValidationContext(trust_roots=[root], other_certs=[issuing-ca],
  crls=[...], allow_fetching=False, revocation_mode="require")`), read as `SUMMARY`, plus
  `; ` and the AdES sub-indication pyHanko reports for a trust problem (`trust_problem_indic`).
- pdfsig, `pdfsig -nssdir sql:DB FILE.pdf` with DB an NSS database holding only the root
  (`certutil -N -d sql:DB --empty-password; certutil -A -d sql:DB -n root -t C,C,C -i
  root.pem`): per signature, the `Signature Validation`, `Certificate Validation` and
  `Total document signed` / `Not total document signed` lines joined with " / ".
- pdfsig_crl: the same with a database that also holds the issuing CA and the folder's CRLs
  (`certutil -A ... -t ,, -i issuing-ca.pem; crlutil -I -d sql:DB -t 1 -i FILE.crl`).

The long-term cases (timestamps, OCSP responses, B-T/B-LT/B-LTA) are in measure_long_term.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import measure_long_term

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

SIGNED_AT = "2026-03-01T09:00:00Z"
SECOND_SIGNED_AT = "2026-03-02T09:00:00Z"
BEFORE_REVOCATION = "2025-03-01T09:00:00Z"
WHILE_VALID_EXPIRED = "2021-06-01T09:00:00Z"
# openssl cms writes the current time as signing-time: read back from each signature.
CMS_SIGNED_AT = "from the signing-time attribute"


@dataclass
class Cert:
    id: str
    file: str
    status: str
    reason: str
    extra_certs: tuple[str, ...] = ()
    trust: str = "trust"
    # Verdict when the certificate is given alone (POST /certificates/validate takes no chain).
    status_alone: str | None = None


@dataclass
class Sig:
    signer: str
    claimed_signing_time: str
    indication: str
    reason: str
    sub_indication: str | None = None
    field: str | None = None


@dataclass
class Doc:
    id: str
    kind: str  # pdf | cms-detached | cms-attached
    file: str
    signatures: list[Sig]
    content: str | None = None
    trust: str = "trust"


PASSED = "TOTAL_PASSED"
FAILED = "TOTAL_FAILED"
INDETERMINATE = "INDETERMINATE"

CASES: list[Cert | Doc] = [
    # --- Certificates --------------------------------------------------------------------------
    Cert("cert-valid-rsa", "certs/valid-rsa.pem", "valid",
         "RSA 2048 official's certificate, chain to the root, on no CRL, valid 2025-2045"),
    Cert("cert-valid-ecdsa", "certs/valid-ecdsa.pem", "valid",
         "ECDSA P-256 official's certificate, chain to the root, on no CRL"),
    Cert("cert-valid-org", "certs/valid-org.pem", "valid",
         "organisation certificate (UID=MST:), chain to the root, on no CRL"),
    Cert("cert-bmp", "certs/bmp.pem", "valid",
         "subject attributes are BMPString (UTF-16); otherwise an ordinary valid certificate"),
    Cert("cert-expired", "certs/expired.pem", "expired",
         "valid 2020-01-01 to 2022-01-01 only"),
    Cert("cert-not-yet-valid", "certs/not-yet-valid.pem", "not_yet_valid",
         "valid 2040-01-01 to 2045-01-01 only"),
    Cert("cert-revoked", "certs/revoked.pem", "revoked",
         "on the issuing CA's current CRL, revoked 2025-06-01 (keyCompromise)"),
    Cert("cert-revoked-stale-in-trust", "certs/revoked-stale.pem", "revoked",
         "on the issuing CA's current CRL, revoked 2025-02-15 (keyCompromise)"),
    Cert("cert-revoked-stale", "certs/revoked-stale.pem", "revoked",
         "the only CRL of the issuing CA in trust-stale/ is stale (nextUpdate 2025-04-01) but "
         "lists it as revoked 2025-02-15: a listing proves revocation whatever the CRL's age",
         trust="trust-stale"),
    Cert("cert-wrong-ku", "certs/wrong-ku.pem", "wrong_key_usage",
         "keyUsage is keyEncipherment only: no digitalSignature nor nonRepudiation"),
    Cert("cert-wrong-eku", "certs/wrong-eku.pem", "wrong_key_usage",
         "extendedKeyUsage is serverAuth only, not a document-signing usage"),
    Cert("cert-bad-signature", "certs/bad-signature.pem", "bad_signature",
         "the last byte of the certificate's signature value was flipped"),
    Cert("cert-lookalike-leaf", "certs/lookalike-leaf.pem", "untrusted",
         "issued by a self-signed certificate with the real root's subject and serial "
         "number but another key; that certificate is not a trusted root",
         extra_certs=("certs/lookalike-root.pem",), status_alone="untrusted"),
    Cert("cert-lookalike-root", "certs/lookalike-root.pem", "untrusted",
         "self-signed with exactly the real root's subject and serial number, but another "
         "key (and key identifier): not the trusted root"),
    Cert("cert-pathlen-exceeded", "certs/pathlen-exceeded.pem", "constraint_violation",
         "issued by a CA:TRUE certificate that the issuing CA (pathlen:0) was not allowed "
         "to issue: path length constraint exceeded",
         extra_certs=("certs/rogue-ca.pem",), status_alone="untrusted"),
    Cert("cert-leaf-of-leaf", "certs/leaf-of-leaf.pem", "constraint_violation",
         "issued by cert-valid-rsa, an end entity (CA:FALSE) that cannot issue certificates",
         extra_certs=("certs/valid-rsa.pem",), status_alone="untrusted"),

    # --- PDFs (pyHanko, PAdES ETSI.CAdES.detached unless said) ---------------------------------
    Doc("pdf-valid-rsa", "pdf", "pdf/valid-rsa.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, PASSED,
            "valid RSA signer, document untouched since")]),
    Doc("pdf-valid-ecdsa", "pdf", "pdf/valid-ecdsa.pdf", [
        Sig("certs/valid-ecdsa.pem", SIGNED_AT, PASSED,
            "valid ECDSA P-256 signer, document untouched since")]),
    Doc("pdf-valid-org", "pdf", "pdf/valid-org.pdf", [
        Sig("certs/valid-org.pem", SIGNED_AT, PASSED,
            "valid organisation signer")]),
    Doc("pdf-bmp", "pdf", "pdf/bmp.pdf", [
        Sig("certs/bmp.pem", SIGNED_AT, PASSED,
            "valid signer whose subject is BMPString")]),
    Doc("pdf-pkcs7-detached", "pdf", "pdf/pkcs7-detached.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, PASSED,
            "/SubFilter adbe.pkcs7.detached (signing-time attribute in the CMS), valid signer")]),
    Doc("pdf-expired-signed-while-valid", "pdf", "pdf/expired-signed-while-valid.pdf", [
        Sig("certs/expired.pem", WHILE_VALID_EXPIRED, INDETERMINATE,
            "claims 2021-06-01, when the certificate was valid; it has expired since and no "
            "timestamp proves the claim",
            sub_indication="OUT_OF_BOUNDS_NO_POE")]),
    Doc("pdf-expired-signed-after-expiry", "pdf", "pdf/expired-signed-after-expiry.pdf", [
        Sig("certs/expired.pem", SIGNED_AT, FAILED,
            "claims 2026-03-01, after the certificate expired (2022-01-01)",
            sub_indication="EXPIRED")]),
    Doc("pdf-not-yet-valid", "pdf", "pdf/not-yet-valid.pdf", [
        Sig("certs/not-yet-valid.pem", SIGNED_AT, FAILED,
            "claims 2026-03-01; the certificate is valid from 2040-01-01 only",
            sub_indication="NOT_YET_VALID")]),
    Doc("pdf-revoked-signed-after-revocation", "pdf", "pdf/revoked-signed-after-revocation.pdf", [
        Sig("certs/revoked.pem", SIGNED_AT, FAILED,
            "revoked 2025-06-01, before the claimed signing time 2026-03-01",
            sub_indication="REVOKED")]),
    Doc("pdf-revoked-signed-before-revocation", "pdf", "pdf/revoked-signed-before-revocation.pdf", [
        Sig("certs/revoked.pem", BEFORE_REVOCATION, INDETERMINATE,
            "claims 2025-03-01, before the revocation (2025-06-01); no timestamp proves it",
            sub_indication="REVOKED_NO_POE")]),
    Doc("pdf-revoked-stale-crl", "pdf", "pdf/revoked-stale-crl.pdf", [
        Sig("certs/revoked-stale.pem", SIGNED_AT, FAILED,
            "the only CRL of the issuing CA in trust-stale/ is stale but lists the signer as "
            "revoked 2025-02-15, before the claimed signing time: revoked is final",
            sub_indication="REVOKED")], trust="trust-stale"),
    Doc("pdf-wrong-ku", "pdf", "pdf/wrong-ku.pdf", [
        Sig("certs/wrong-ku.pem", SIGNED_AT, INDETERMINATE,
            "signer's keyUsage is keyEncipherment only",
            sub_indication="CHAIN_CONSTRAINTS_FAILURE")]),
    Doc("pdf-wrong-eku", "pdf", "pdf/wrong-eku.pdf", [
        Sig("certs/wrong-eku.pem", SIGNED_AT, INDETERMINATE,
            "signer's extendedKeyUsage is serverAuth only",
            sub_indication="CHAIN_CONSTRAINTS_FAILURE")]),
    Doc("pdf-bad-certificate-signature", "pdf", "pdf/bad-certificate-signature.pdf", [
        Sig("certs/bad-signature.pem", SIGNED_AT, INDETERMINATE,
            "the CMS verifies with the signer's key, but the signer certificate's own "
            "signature (byte flipped) does not verify",
            sub_indication="CHAIN_CONSTRAINTS_FAILURE")]),
    Doc("pdf-lookalike-root", "pdf", "pdf/lookalike-root.pdf", [
        Sig("certs/lookalike-leaf.pem", SIGNED_AT, INDETERMINATE,
            "the CMS carries the look-alike root (real root's subject and serial, other key) "
            "and a leaf it issued: no chain to the trusted root",
            sub_indication="NO_CERTIFICATE_CHAIN_FOUND")]),
    Doc("pdf-pathlen-exceeded", "pdf", "pdf/pathlen-exceeded.pdf", [
        Sig("certs/pathlen-exceeded.pem", SIGNED_AT, INDETERMINATE,
            "chain leaf <- CA:TRUE certificate <- issuing CA with pathlen:0 (carried in the CMS)",
            sub_indication="CHAIN_CONSTRAINTS_FAILURE")]),
    Doc("pdf-leaf-of-leaf", "pdf", "pdf/leaf-of-leaf.pdf", [
        Sig("certs/leaf-of-leaf.pem", SIGNED_AT, INDETERMINATE,
            "the signer was issued by an end entity (CA:FALSE), carried in the CMS",
            sub_indication="CHAIN_CONSTRAINTS_FAILURE")]),
    Doc("pdf-two-signers", "pdf", "pdf/two-signers.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, PASSED,
            "first signature; only a signed revision followed", field="Signature1"),
        Sig("certs/valid-org.pem", SECOND_SIGNED_AT, PASSED,
            "second signature (incremental), covers the whole file", field="Signature2")]),
    Doc("pdf-second-signer-revoked", "pdf", "pdf/second-signer-revoked.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, PASSED,
            "first signature, valid; only a signed revision followed", field="Signature1"),
        Sig("certs/revoked.pem", SECOND_SIGNED_AT, FAILED,
            "second signer revoked 2025-06-01, before its claimed time 2026-03-02",
            sub_indication="REVOKED", field="Signature2")]),
    Doc("pdf-content-changed", "pdf", "pdf/content-changed.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, FAILED,
            "an unsigned incremental update (pyHanko writer) replaced the page's content "
            "stream after signing",
            sub_indication="SIG_CONSTRAINTS_FAILURE")]),
    Doc("pdf-annotation-added", "pdf", "pdf/annotation-added.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, FAILED,
            "an unsigned incremental update (pyHanko writer) added a text annotation to the "
            "page after signing; motcua accepts only signed revisions after a signature",
            sub_indication="SIG_CONSTRAINTS_FAILURE")]),
    Doc("pdf-signed-byte-changed", "pdf", "pdf/signed-byte-changed.pdf", [
        Sig("certs/valid-rsa.pem", SIGNED_AT, FAILED,
            "one byte of the signed page text changed in place ('123' -> '128'): the digest "
            "of the byte range differs from the signed one",
            sub_indication="HASH_FAILURE")]),

    # --- CMS (openssl cms -sign -binary -md sha256 [-cades]) ----------------------------------
    Doc("cms-valid-rsa", "cms-detached", "cms/valid-rsa.p7s", [
        Sig("certs/valid-rsa.pem", CMS_SIGNED_AT, PASSED,
            "detached CAdES signature of data.txt by a valid RSA signer")],
        content="cms/data.txt"),
    Doc("cms-valid-ecdsa", "cms-detached", "cms/valid-ecdsa.p7s", [
        Sig("certs/valid-ecdsa.pem", CMS_SIGNED_AT, PASSED,
            "detached CAdES signature of data.txt by a valid ECDSA signer")],
        content="cms/data.txt"),
    Doc("cms-tampered", "cms-detached", "cms/valid-rsa.p7s", [
        Sig("certs/valid-rsa.pem", CMS_SIGNED_AT, FAILED,
            "the signature of data.txt checked against data-tampered.txt (one digit differs)",
            sub_indication="HASH_FAILURE")],
        content="cms/data-tampered.txt"),
    Doc("cms-wrong-certificate", "cms-detached", "cms/wrong-certificate.p7s", [
        Sig("certs/valid-org.pem", CMS_SIGNED_AT, FAILED,
            "signed with valid-rsa's key, but the SignerInfo and the certificates name "
            "valid-org: the signature value does not verify with the named key "
            "(signing-certificate-v2 still names valid-rsa)",
            sub_indication="SIG_CRYPTO_FAILURE")],
        content="cms/data.txt"),
    Doc("cms-no-certificate", "cms-detached", "cms/no-certificate.p7s", [
        Sig("certs/valid-rsa.pem", CMS_SIGNED_AT, INDETERMINATE,
            "made with -nocerts: the signer certificate is not in the signature (nor supplied)",
            sub_indication="NO_SIGNING_CERTIFICATE_FOUND")],
        content="cms/data.txt"),
    Doc("cms-no-cades", "cms-detached", "cms/no-cades.p7s", [
        Sig("certs/valid-rsa.pem", CMS_SIGNED_AT, FAILED,
            "made without -cades: no signing-certificate-v2 attribute, which CAdES B-B requires",
            sub_indication="FORMAT_FAILURE")],
        content="cms/data.txt"),
    Doc("cms-attached", "cms-attached", "cms/attached.p7s", [
        Sig("certs/valid-rsa.pem", CMS_SIGNED_AT, PASSED,
            "made with -nodetach: a CAdES signature holding data.txt, verified over the "
            "content it carries")]),
    Doc("cms-expired", "cms-detached", "cms/expired.p7s", [
        Sig("certs/expired.pem", CMS_SIGNED_AT, FAILED,
            "signing-time is the generation time, after the certificate expired (2022-01-01)",
            sub_indication="EXPIRED")],
        content="cms/data.txt"),
    Doc("cms-not-yet-valid", "cms-detached", "cms/not-yet-valid.p7s", [
        Sig("certs/not-yet-valid.pem", CMS_SIGNED_AT, FAILED,
            "signing-time is the generation time, before the certificate's validity (2040)",
            sub_indication="NOT_YET_VALID")],
        content="cms/data.txt"),
    Doc("cms-revoked", "cms-detached", "cms/revoked.p7s", [
        Sig("certs/revoked.pem", CMS_SIGNED_AT, FAILED,
            "signing-time is the generation time, after the revocation (2025-06-01)",
            sub_indication="REVOKED")],
        content="cms/data.txt"),
    Doc("cms-wrong-ku", "cms-detached", "cms/wrong-ku.p7s", [
        Sig("certs/wrong-ku.pem", CMS_SIGNED_AT, INDETERMINATE,
            "signer's keyUsage is keyEncipherment only",
            sub_indication="CHAIN_CONSTRAINTS_FAILURE")],
        content="cms/data.txt"),
    Doc("cms-lookalike", "cms-detached", "cms/lookalike.p7s", [
        Sig("certs/lookalike-leaf.pem", CMS_SIGNED_AT, INDETERMINATE,
            "the CMS carries the look-alike root and a leaf it issued: no chain to the "
            "trusted root",
            sub_indication="NO_CERTIFICATE_CHAIN_FOUND")],
        content="cms/data.txt"),
]


# --- Running the tools ------------------------------------------------------------------------

def run(args: list[str], cwd: Path = FILES) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def crls_of(trust: str) -> list[Path]:
    return sorted((FILES / trust).glob("*.crl"))


class Tools:
    def __init__(self, scratch: Path):
        self.scratch = scratch
        self._nss: dict[tuple[str, bool], Path] = {}
        self._ca_with_crls: dict[str, Path] = {}

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        pdfsig = run(["pdfsig", "-v"]).stderr.splitlines()[0].split()[-1]
        return {
            "openssl": run(["openssl", "version"]).stdout.strip(),
            "pyhanko": version("pyhanko"),
            "pyhanko_cli": version("pyhanko-cli"),
            "pyhanko_certvalidator": version("pyhanko-certvalidator"),
            "poppler": pdfsig,
            "nss": run(["dpkg-query", "-W", "-f=${Version}", "libnss3"]).stdout.strip() or "unknown",
            "measured_on": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        }

    # openssl
    def openssl_verify(self, case: Cert) -> str:
        trust = FILES / case.trust
        args = ["openssl", "verify", "-CAfile", str(trust / "root.pem"),
                "-untrusted", str(trust / "issuing-ca.pem")]
        for extra in case.extra_certs:
            args += ["-untrusted", extra]
        args += ["-purpose", "smimesign", "-crl_check_all"]
        for crl in crls_of(case.trust):
            args += ["-CRLfile", str(crl)]
        result = run(args + [case.file])
        out = result.stdout + result.stderr
        if result.returncode == 0 and out.strip().endswith(": OK"):
            return "OK"
        errors = re.findall(r"^error \d+ at \d+ depth lookup: .*$", out, re.M)
        return "; ".join(dict.fromkeys(errors)) or out.strip().splitlines()[-1]

    def ca_with_crls(self, trust: str) -> Path:
        if trust not in self._ca_with_crls:
            path = self.scratch / f"{trust}-root-and-crls.pem"
            text = (FILES / trust / "root.pem").read_text()
            for crl in crls_of(trust):
                text += run(["openssl", "crl", "-inform", "DER", "-in", str(crl)]).stdout
            path.write_text(text)
            self._ca_with_crls[trust] = path
        return self._ca_with_crls[trust]

    def openssl_cms(self, case: Doc) -> str:
        args = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", case.file]
        if case.content:
            args += ["-content", case.content]
        args += ["-cades", "-CAfile", str(self.ca_with_crls(case.trust)),
                 "-certfile", str(FILES / case.trust / "issuing-ca.pem"),
                 "-crl_check_all", "-out", "/dev/null"]
        result = run(args)
        lines = result.stderr.strip().splitlines()
        status = next((line for line in lines if "Verification" in line), lines[0] if lines else "")
        reasons = []
        for line in lines:
            parts = line.split(":", 8)
            if len(parts) >= 6 and parts[1] == "error":
                reason = parts[5]
                data = parts[8].strip() if len(parts) == 9 else ""
                reasons.append(f"{reason}: {data}" if data else reason)
        reasons = list(dict.fromkeys(reasons))
        return f"{status} ({'; '.join(reasons)})" if reasons else status

    # pyHanko
    def pyhanko_cli(self, case: Doc) -> list[str]:
        trust = FILES / case.trust
        args = ["pyhanko", "sign", "validate", "--trust", str(trust / "root.pem"),
                "--trust-replace", "--other-certs", str(trust / "issuing-ca.pem")]
        if case.kind == "pdf":
            result = run(args + [case.file])
            summaries = []
            for line in result.stdout.splitlines():
                parts = line.split(":", 2)
                if len(parts) == 3 and re.fullmatch(r"[0-9a-f]{64}", parts[1]):
                    summaries.append(parts[2])
            return summaries
        if not case.content:
            # The CLI validates PDFs and detached CMS only; the API line covers this one.
            return [NOT_APPLICABLE]
        result = run(args + ["--detached", case.file, str(FILES / case.content)])
        out = result.stdout.strip() or result.stderr.strip().splitlines()[-1]
        return [out.removeprefix("Error: ")]

    def validation_context(self, trust: str):
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko_certvalidator import ValidationContext

        folder = FILES / trust
        return ValidationContext(
            trust_roots=[load_cert_from_pemder(str(folder / "root.pem"))],
            other_certs=[load_cert_from_pemder(str(folder / "issuing-ca.pem"))],
            crls=[crl.read_bytes() for crl in crls_of(trust)],
            allow_fetching=False,
            revocation_mode="require",
        )

    @staticmethod
    def pyhanko_line(status) -> str:
        line = status.summary()
        indic = getattr(status, "trust_problem_indic", None)
        if indic is not None:
            line += f"; {indic.name}"
        return line

    def pyhanko_api(self, case: Doc) -> list[str]:
        from asn1crypto import cms
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation.errors import SignatureValidationError
        from pyhanko.sign.validation import async_validate_detached_cms, validate_pdf_signature
        from pyhanko.sign.validation.generic_cms import async_validate_cms_signature

        if case.kind == "pdf":
            lines = []
            with (FILES / case.file).open("rb") as handle:
                reader = PdfFileReader(handle)
                for signature in reader.embedded_regular_signatures:
                    try:
                        status = validate_pdf_signature(
                            signature, signer_validation_context=self.validation_context(case.trust)
                        )
                        lines.append(self.pyhanko_line(status))
                    except SignatureValidationError as error:
                        lines.append(f"ERROR: {error}")
            return lines
        signed_data = cms.ContentInfo.load((FILES / case.file).read_bytes())["content"]
        data = (FILES / (case.content or case.file)).read_bytes()
        context = self.validation_context(case.trust)
        try:
            if case.kind == "cms-attached":
                status = asyncio.run(
                    async_validate_cms_signature(signed_data, validation_context=context)
                )
            else:
                status = asyncio.run(
                    async_validate_detached_cms(
                        data, signed_data, signer_validation_context=context
                    )
                )
            return [self.pyhanko_line(status)]
        except (SignatureValidationError, ValueError) as error:
            return [f"ERROR: {error}"]

    # pdfsig
    def nss(self, trust: str, with_crls: bool) -> Path:
        key = (trust, with_crls)
        if key not in self._nss:
            db = self.scratch / f"nss-{trust}-{'crl' if with_crls else 'roots'}"
            db.mkdir()
            folder = FILES / trust
            steps = [
                ["certutil", "-N", "-d", f"sql:{db}", "--empty-password"],
                ["certutil", "-A", "-d", f"sql:{db}", "-n", "root", "-t", "C,C,C",
                 "-i", str(folder / "root.pem")],
            ]
            if with_crls:
                steps.append(["certutil", "-A", "-d", f"sql:{db}", "-n", "issuing-ca", "-t", ",,",
                              "-i", str(folder / "issuing-ca.pem")])
                for crl in crls_of(trust):
                    steps.append(["crlutil", "-I", "-d", f"sql:{db}", "-t", "1", "-i", str(crl)])
            for step in steps:
                result = run(step)
                if result.returncode != 0:
                    raise SystemExit(f"{' '.join(step)}: {result.stderr}")
            self._nss[key] = db
        return self._nss[key]

    def pdfsig(self, case: Doc, with_crls: bool) -> list[str]:
        db = self.nss(case.trust, with_crls)
        result = run(["pdfsig", "-nssdir", f"sql:{db}", case.file])
        lines = []
        for block in re.split(r"^Signature #\d+:$", result.stdout, flags=re.M)[1:]:
            found = []
            for pattern in (r"- Signature Validation: (.*)$", r"- Certificate Validation: (.*)$",
                            r"- ((?:Not )?[Tt]otal document signed)$"):
                match = re.search(pattern, block, re.M)
                if match:
                    found.append(match.group(1).strip())
            lines.append(" / ".join(found))
        return lines or [(result.stdout + result.stderr).strip().splitlines()[-1]]


def cms_signing_time(file: str) -> str:
    """The signing-time attribute of a CMS signature, RFC 3339 UTC."""
    from asn1crypto import cms

    signer = cms.ContentInfo.load((FILES / file).read_bytes())["content"]["signer_infos"][0]
    for attribute in signer["signed_attrs"]:
        if attribute["type"].native == "signing_time":
            moment = attribute["values"][0].native.astimezone(timezone.utc)
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise SystemExit(f"{file}: no signing-time attribute")


# --- Writing expected.toml and the README table ---------------------------------------------

def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def toml_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return toml_string(value)


HEADER = """\
# Expected verdicts of the third-party corpus (files under tests/corpus/files/).
#
# Written by tests/corpus/measure.py (run by generate.sh): edit the cases there, not here.
# Paths are relative to tests/corpus/files/. `trust` is the folder to load as motcua's trust
# store (self-signed certificates = roots, others = intermediates, *.crl = CRLs). Validation
# time is "now": the material is valid until 2045, the CRLs are current until 2045 except the
# deliberately stale one.
#
# kind = "certificate": `status` is motcua's verdict status (POST /certificates/validate),
#   with `extra_certs` supplied alongside the certificate (the chain a signature would carry);
#   `status_alone` is the verdict when the certificate is given alone, when it differs.
#   `openssl` is what `openssl verify` says.
# kind = "pdf" | "cms-detached" | "cms-attached": one [[case.signature]] per signature, in the
#   order they were added, with motcua's expected `indication` and `sub_indication` (absent for
#   TOTAL_PASSED). `content` is the signed data file of a detached CMS. The measured one-line
#   verdicts of pyHanko (`pyhanko`: CLI without CRLs; `pyhanko_crl`: API with the CRLs),
#   pdfsig (`pdfsig`: NSS database with the root only; `pdfsig_crl`: root, issuing CA and
#   CRLs) and openssl (`openssl`: cms -verify) follow; see measure.py for the exact commands.
#
# [[long_term]] (measure_long_term.py; README.md, "Long-term cases"): trust folder trust-lt.
#   kind = "timestamp-token": an RFC 3161 response (`file`) to `request` over `data`, by `tsa`;
#     motcua's `indication` / `sub_indication` for the token, its `gen_time`, and what
#     `openssl ts -verify` says.
#   kind = "ocsp-response": `file` answers for `cert` (issuer, responder); `cert_status`,
#     `revocation_time`, `revocation_reason` and the response's times; `openssl ocsp` says.
#   kind = "pdf": `dss` lists what the file's /DSS holds, `document_timestamps` their genTime.
#     One [[long_term.signature]] per signature: signer, claimed time, `signature_timestamp`
#     (genTime) and `tsa`, the PAdES `level` motcua reports (B-B, B-T, B-LT, B-LTA), why, and
#     `tools_differ` when a tool disagrees for a known reason. One
#     [[long_term.signature.expect]] per validation time ("now" or RFC 3339 UTC): motcua's
#     `indication` / `sub_indication`, `pyhanko` (adesverify CLI, the file alone) and
#     `pyhanko_crl` (same through the API with trust-lt's CRLs).
"""


def main() -> None:
    # pyHanko logs every validation problem with a traceback; the verdicts are read from the
    # returned status instead.
    logging.disable(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as scratch:
        tools = Tools(Path(scratch))
        versions = tools.versions()
        blocks = [HEADER, "[tools]"]
        blocks += [f"{key} = {toml_string(value)}" for key, value in versions.items()]
        table = []
        for case in CASES:
            blocks.append("")
            blocks.append("[[case]]")
            if isinstance(case, Cert):
                measured = tools.openssl_verify(case)
                entry = {
                    "id": case.id, "kind": "certificate", "file": case.file,
                    "extra_certs": list(case.extra_certs), "trust": case.trust,
                    "validation_time": "now", "status": case.status,
                }
                if case.status_alone and case.status_alone != case.status:
                    entry["status_alone"] = case.status_alone
                entry.update({"reason": case.reason, "openssl": measured})
                blocks += [f"{key} = {toml_value(value)}" for key, value in entry.items()]
                files = case.file + "".join(f" + {extra} (supplied)" for extra in case.extra_certs)
                verdict = f"`{case.status}`"
                if "status_alone" in entry:
                    verdict += f" (given alone: `{case.status_alone}`)"
                table.append((case.id, files, case.trust, verdict, case.reason,
                              f"openssl: {measured}"))
                continue
            entry = {"id": case.id, "kind": case.kind, "file": case.file}
            if case.content:
                entry["content"] = case.content
            entry.update({"trust": case.trust, "validation_time": "now"})
            blocks += [f"{key} = {toml_value(value)}" for key, value in entry.items()]
            cli = tools.pyhanko_cli(case)
            api = tools.pyhanko_api(case)
            if case.kind == "pdf":
                roots = tools.pdfsig(case, with_crls=False)
                crl = tools.pdfsig(case, with_crls=True)
            else:
                openssl = tools.openssl_cms(case)
            for index, sig in enumerate(case.signatures):
                blocks.append("")
                blocks.append("[[case.signature]]")
                fields = {}
                if sig.field or case.kind == "pdf":
                    fields["field"] = sig.field or "Signature1"
                claimed = sig.claimed_signing_time
                if claimed == CMS_SIGNED_AT:
                    claimed = cms_signing_time(case.file)
                fields.update({"signer": sig.signer,
                               "claimed_signing_time": claimed,
                               "indication": sig.indication})
                if sig.sub_indication:
                    fields["sub_indication"] = sig.sub_indication
                fields["reason"] = sig.reason
                pick = lambda values: values[index] if index < len(values) else "(no result)"
                fields["pyhanko"] = pick(cli)
                fields["pyhanko_crl"] = pick(api)
                if case.kind == "pdf":
                    fields["pdfsig"] = pick(roots)
                    fields["pdfsig_crl"] = pick(crl)
                    measured = (f"pyHanko: {fields['pyhanko']}<br>pyHanko+CRL: {fields['pyhanko_crl']}"
                                f"<br>pdfsig: {fields['pdfsig']}<br>pdfsig+CRL: {fields['pdfsig_crl']}")
                else:
                    fields["openssl"] = openssl
                    measured = (f"openssl: {openssl}<br>pyHanko: {fields['pyhanko']}"
                                f"<br>pyHanko+CRL: {fields['pyhanko_crl']}")
                blocks += [f"{key} = {toml_value(value)}" for key, value in fields.items()]
                verdict = sig.indication + (f" / {sig.sub_indication}" if sig.sub_indication else "")
                name = case.id if len(case.signatures) == 1 else f"{case.id} #{index + 1}"
                files = case.file + (f" + {case.content}" if case.content else "")
                table.append((name, files, case.trust, f"`{verdict}`", sig.reason, measured))
        # The long-term cases, in their own tables that the signature tests do not read yet.
        long_term_blocks, long_term_rows, long_term_problems = measure_long_term.measure(
            Path(scratch))
        blocks += long_term_blocks
        (HERE / "expected.toml").write_text("\n".join(blocks) + "\n")
        write_readme_table(table)
        write_readme_table(long_term_rows, "long-term", LONG_TERM_HEADER)
        check_agreement()
        if long_term_problems:
            raise SystemExit("third-party tools contradict the long-term corpus:\n  "
                             + "\n  ".join(long_term_problems))


CASES_HEADER = ["| case | file(s) | trust | expected (motcua) | why | third-party tools (measured) |",
                "| --- | --- | --- | --- | --- | --- |"]
LONG_TERM_HEADER = [
    "| case | file(s) | validation time | expected (motcua) | level | why | third-party tools (measured) |",
    "| --- | --- | --- | --- | --- | --- | --- |"]


def write_readme_table(rows, marker: str = "cases", header: list[str] = CASES_HEADER) -> None:
    readme = HERE / "README.md"
    if not readme.exists():
        return
    text = readme.read_text()
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    if begin not in text or end not in text:
        return
    escape = lambda cell: cell.replace("|", "\\|")
    lines = list(header)
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)


NOT_APPLICABLE = "n/a: pyhanko's CLI validates PDFs and detached CMS only"


def accepts(tool: str, line: str) -> bool:
    """Whether a tool's one-line verdict accepts the signature or certificate."""
    if line == NOT_APPLICABLE:
        return True
    if tool in ("pyhanko", "pyhanko_crl"):
        return line.startswith("INTACT:TRUSTED") and "ILLEGAL_MODIFICATIONS" not in line
    if tool in ("pdfsig", "pdfsig_crl"):
        return line.startswith("Signature is Valid. / Certificate is Trusted.")
    if tool == "openssl":
        return line in ("OK", "CAdES Verification successful")
    raise ValueError(tool)


def check_agreement() -> None:
    """Fails when the tools contradict the corpus: what motcua must accept, every tool accepts;
    what motcua must refuse, at least one tool that was given the CRLs refuses too."""
    import tomllib

    expected = tomllib.loads((HERE / "expected.toml").read_text())
    problems = []
    for case in expected["case"]:
        if case["kind"] == "certificate":
            if (case["status"] == "valid") != accepts("openssl", case["openssl"]):
                problems.append(f"{case['id']}: openssl says {case['openssl']!r}")
            continue
        for index, sig in enumerate(case["signature"]):
            name = f"{case['id']} signature {index + 1}"
            tools = [tool for tool in ("pyhanko", "pyhanko_crl", "pdfsig", "pdfsig_crl", "openssl")
                     if tool in sig]
            if sig["indication"] == PASSED:
                problems += [f"{name}: {tool} says {sig[tool]!r}" for tool in tools
                             if not accepts(tool, sig[tool])]
            elif all(accepts(tool, sig[tool]) for tool in tools if tool != "pyhanko" and tool != "pdfsig"):
                problems.append(f"{name}: every tool given the CRLs accepts it")
    if problems:
        raise SystemExit("third-party tools contradict the corpus:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
