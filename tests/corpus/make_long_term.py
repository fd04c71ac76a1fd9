"""The long-term PDFs of the corpus (PAdES B-T, B-LT, B-LTA), made with pyHanko; called by
generate.sh after make_pdfs.py.

    python3 make_long_term.py FILES_DIR

Reads the keys, certificates, CRLs and OCSP responses that generate.sh made with openssl and
writes FILES_DIR/pdf/lt-*.pdf, each from pdf/unsigned.pdf:

- the signature timestamp and the document timestamps come from pyHanko's in-process TSA
  (DummyTimeStamper) holding the openssl-made TSA key and certificate, at a fixed time, since
  `openssl ts -reply` always stamps the current time;
- the /DSS is written with pyHanko's DocumentSecurityStore.add_dss from exactly the listed
  certificates, CRLs and OCSP responses, so that each file carries the revocation data its case
  is about (pyHanko's embed_validation_info would validate the signer first and pick the data
  itself; here revoked and expired signers are the point);
- B-LTA adds a document timestamp (PdfTimeStamper) after the DSS; the renewed one adds the
  validation data of that timestamp and a second document timestamp.
"""

import sys
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from make_pdfs import FixedTimePdfSigner, change_page_content

FILES = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "files")
PDF = FILES / "pdf"
CERTS = FILES / "certs"
KEYS = FILES / "keys"

# Claimed signing times (/M) and the genTime of their signature timestamps.
SIGNED_AT = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
STAMPED_AT = datetime(2024, 3, 1, 9, 5, 0, tzinfo=timezone.utc)
AFTER_REVOCATION_SIGNED_AT = datetime(2024, 6, 1, 9, 0, 0, tzinfo=timezone.utc)
AFTER_REVOCATION_STAMPED_AT = datetime(2024, 6, 1, 9, 5, 0, tzinfo=timezone.utc)
# The document timestamp of the B-LTA files: after the 2024-03-02 CRLs in their DSS.
ARCHIVED_AT = datetime(2024, 3, 2, 12, 0, 0, tzinfo=timezone.utc)
# The archive renewal: after the current CRLs (2026-01-01) that validate the first document
# timestamp, by a TSA valid until 2045.
RENEWED_AT = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)

# Validation data of the DSS. "Then": the CRLs of 2024-03-02, the day after signing, which
# nothing had been revoked by. "Now": the current CRLs (2026-01-01, listing lt-revoked) and the
# OCSP responses of the generation day.
CRLS_THEN = ("crl/root-2024-03-02.crl", "crl/lt-ca-2024-03-02.crl")
CRLS_NOW = ("trust-lt/root.crl", "trust-lt/lt-ca.crl")


def tsa(name: str, at: datetime) -> DummyTimeStamper:
    return DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(CERTS / f"{name}.pem")),
        tsa_key=load_private_key_from_pemder(str(KEYS / f"{name}.key"), passphrase=None),
        certs_to_embed=[load_cert_from_pemder(str(CERTS / "lt-ca.pem"))],
        fixed_dt=at,
    )


def sign_stamped(target: Path, signer_name: str, *, at: datetime, stamp: DummyTimeStamper) -> None:
    """A PAdES signature (B-T) of unsigned.pdf with a signature timestamp."""
    signer = signers.SimpleSigner.load(
        key_file=str(KEYS / f"{signer_name}.key"),
        cert_file=str(CERTS / f"{signer_name}.pem"),
        ca_chain_files=[str(CERTS / "lt-ca.pem")],
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Phê duyệt",
        location="Hà Nội",
    )
    pdf_signer = FixedTimePdfSigner(meta, signer, timestamper=stamp, signing_time=at)
    with (PDF / "unsigned.pdf").open("rb") as inp:
        writer = IncrementalPdfFileWriter(inp)
        with target.open("wb") as out:
            pdf_signer.sign_pdf(writer, output=out)


def add_dss(target: Path, *, certs=(), crls=(), ocsps=()) -> None:
    """An incremental update adding a /DSS with exactly these certificates, CRLs and OCSP
    responses (paths relative to FILES), without /VRI."""
    with target.open("r+b") as handle:
        DocumentSecurityStore.add_dss(
            handle,
            None,
            certs=[load_cert_from_pemder(str(CERTS / f"{name}.pem")) for name in certs],
            crls=[asn1_crl.CertificateList.load((FILES / name).read_bytes()) for name in crls],
            ocsps=[asn1_ocsp.OCSPResponse.load((FILES / name).read_bytes()) for name in ocsps],
        )


def add_document_timestamp(target: Path, at: datetime, *, authority: str = "tsa",
                           field_name: str = "DocumentTimestamp1") -> None:
    with target.open("r+b") as handle:
        signers.PdfTimeStamper(tsa(authority, at), field_name=field_name).timestamp_pdf(
            IncrementalPdfFileWriter(handle), "sha256", in_place=True
        )


def main() -> None:
    def out(name: str) -> Path:
        return PDF / f"lt-{name}.pdf"

    good_tsa = tsa("tsa", STAMPED_AT)
    chain_then = ("lt-ca", "tsa")
    chain_ocsp = ("lt-ca", "tsa", "ocsp-responder")

    sign_stamped(out("b-t"), "lt-signer", at=SIGNED_AT, stamp=good_tsa)

    sign_stamped(out("b-lt"), "lt-signer", at=SIGNED_AT, stamp=good_tsa)
    add_dss(out("b-lt"), certs=chain_ocsp, crls=CRLS_NOW, ocsps=("ocsp/lt-signer.der",))

    for name, signer in (("b-lta", "lt-signer"), ("expired-b-lta", "lt-expired")):
        sign_stamped(out(name), signer, at=SIGNED_AT, stamp=good_tsa)
        add_dss(out(name), certs=chain_then, crls=CRLS_THEN)
        add_document_timestamp(out(name), ARCHIVED_AT)

    # Archive renewal of the expired signer's B-LTA: validation data of the first document
    # timestamp (current CRLs), then a second document timestamp by a TSA valid until 2045.
    out("expired-b-lta-renewed").write_bytes(out("expired-b-lta").read_bytes())
    add_dss(out("expired-b-lta-renewed"), certs=("tsa-renewal",), crls=CRLS_NOW)
    add_document_timestamp(out("expired-b-lta-renewed"), RENEWED_AT, authority="tsa-renewal",
                           field_name="DocumentTimestamp2")

    sign_stamped(out("revoked-signed-before"), "lt-revoked", at=SIGNED_AT, stamp=good_tsa)
    add_dss(out("revoked-signed-before"), certs=chain_ocsp, crls=CRLS_NOW,
            ocsps=("ocsp/lt-revoked.der",))
    sign_stamped(out("revoked-signed-after"), "lt-revoked", at=AFTER_REVOCATION_SIGNED_AT,
                 stamp=tsa("tsa", AFTER_REVOCATION_STAMPED_AT))
    add_dss(out("revoked-signed-after"), certs=chain_ocsp, crls=CRLS_NOW,
            ocsps=("ocsp/lt-revoked.der",))

    sign_stamped(out("noncritical-tsa"), "lt-expired", at=SIGNED_AT,
                 stamp=tsa("tsa-noncritical", STAMPED_AT))
    add_dss(out("noncritical-tsa"), certs=("lt-ca", "tsa-noncritical"), crls=CRLS_THEN + CRLS_NOW)

    change_page_content(out("b-lta"), out("b-lta-content-changed"))


if __name__ == "__main__":
    main()
