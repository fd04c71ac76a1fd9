"""The PDF part of the corpus, made with pyHanko; called by generate.sh.

    python3 make_pdfs.py FILES_DIR

Reads the keys and certificates that generate.sh made with openssl (FILES_DIR/keys, FILES_DIR/certs)
and writes FILES_DIR/pdf/*.pdf:

- unsigned.pdf, the one-page document every signature starts from, written by pyHanko's
  PdfFileWriter (an uncompressed content stream, a classic cross-reference table);
- one PAdES signature (ETSI.CAdES.detached, SHA-256) per signer certificate, the issuing CA or
  the other certificates of the case embedded in the CMS;
- documents with two signatures, with an update after the signature (new page content, an
  added annotation), an adbe.pkcs7.detached signature, and a signed byte changed.

Each signature claims a fixed signing time (the signature dictionary's /M, and the CMS
signing-time attribute for adbe.pkcs7.detached), so a regenerated file has the same verdicts.
"""

import sys
from datetime import datetime, timezone
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import fields, signers

FILES = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "files")
PDF = FILES / "pdf"
CERTS = FILES / "certs"
KEYS = FILES / "keys"

# Claimed signing times.
SIGNED_AT = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
SECOND_SIGNED_AT = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
BEFORE_REVOCATION = datetime(2025, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
WHILE_VALID_EXPIRED = datetime(2021, 6, 1, 9, 0, 0, tzinfo=timezone.utc)

PAGE_TEXT = b"Quyet dinh so 123/QD-UBND ngay 01/03/2026"
CHANGED_TEXT = b"Quyet dinh so 999/QD-UBND ngay 01/03/2026"


def content_stream(text: bytes) -> bytes:
    return b"BT /F1 16 Tf 72 760 Td (" + text + b") Tj ET\n"


def make_unsigned(path: Path) -> None:
    writer = PdfFileWriter(stream_xrefs=False)
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
        }
    )
    resources = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): writer.add_object(font)})}
    )
    contents = writer.add_object(generic.StreamObject(stream_data=content_stream(PAGE_TEXT)))
    writer.insert_page(PageObject(contents, (0, 0, 595, 842), resources))
    with path.open("wb") as out:
        writer.write(out)


class FixedTimePdfSigner(signers.PdfSigner):
    """A PdfSigner whose signature claims `signing_time` instead of the clock's time."""

    def __init__(self, *args, signing_time: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign(
    source: Path,
    target: Path,
    signer_name: str,
    *,
    chain: tuple[str, ...] = ("issuing-ca",),
    field: str = "Signature1",
    at: datetime = SIGNED_AT,
    subfilter: fields.SigSeedSubFilter = fields.SigSeedSubFilter.PADES,
) -> None:
    signer = signers.SimpleSigner.load(
        key_file=str(KEYS / f"{signer_name}.key"),
        cert_file=str(CERTS / f"{signer_name}.pem"),
        ca_chain_files=[str(CERTS / f"{name}.pem") for name in chain],
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=subfilter,
        reason="Phê duyệt",
        location="Hà Nội",
    )
    pdf_signer = FixedTimePdfSigner(meta, signer, signing_time=at)
    with source.open("rb") as inp:
        writer = IncrementalPdfFileWriter(inp)
        with target.open("wb") as out:
            pdf_signer.sign_pdf(writer, output=out)


def change_page_content(source: Path, target: Path) -> None:
    """An incremental update that replaces the page's content stream (new text)."""
    data = source.read_bytes()
    target.write_bytes(data)
    with target.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        page_ref, _ = writer.find_page_for_modification(0)
        new_contents = writer.add_object(generic.StreamObject(stream_data=content_stream(CHANGED_TEXT)))
        page_ref.get_object()[pdf_name("/Contents")] = new_contents
        writer.mark_update(page_ref)
        writer.write_in_place()


def add_annotation(source: Path, target: Path) -> None:
    """An incremental update that adds a text (sticky note) annotation to the page."""
    target.write_bytes(source.read_bytes())
    with target.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        page_ref, _ = writer.find_page_for_modification(0)
        annotation = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Text"),
                pdf_name("/Rect"): generic.ArrayObject(map(generic.NumberObject, (72, 700, 92, 720))),
                pdf_name("/Contents"): generic.pdf_string("Đã sửa số quyết định"),
                pdf_name("/P"): page_ref,
                pdf_name("/F"): generic.NumberObject(4),
            }
        )
        writer.register_annotation(page_ref, writer.add_object(annotation))
        writer.write_in_place()


def flip_signed_byte(source: Path, target: Path) -> None:
    """A copy with one byte of the signed page text changed ('123' -> '128')."""
    data = bytearray(source.read_bytes())
    at = data.index(PAGE_TEXT) + PAGE_TEXT.index(b"123") + 2
    data[at] = ord("8")
    target.write_bytes(bytes(data))


def main() -> None:
    PDF.mkdir(parents=True, exist_ok=True)
    base = PDF / "unsigned.pdf"
    make_unsigned(base)

    def out(name: str) -> Path:
        return PDF / f"{name}.pdf"

    sign(base, out("valid-rsa"), "valid-rsa")
    sign(base, out("valid-ecdsa"), "valid-ecdsa")
    sign(base, out("valid-org"), "valid-org")
    sign(base, out("bmp"), "bmp")
    sign(base, out("expired-signed-while-valid"), "expired", at=WHILE_VALID_EXPIRED)
    sign(base, out("expired-signed-after-expiry"), "expired")
    sign(base, out("not-yet-valid"), "not-yet-valid")
    sign(base, out("revoked-signed-after-revocation"), "revoked")
    sign(base, out("revoked-signed-before-revocation"), "revoked", at=BEFORE_REVOCATION)
    sign(base, out("revoked-stale-crl"), "revoked-stale")
    sign(base, out("wrong-ku"), "wrong-ku")
    sign(base, out("wrong-eku"), "wrong-eku")
    sign(base, out("lookalike-root"), "lookalike-leaf", chain=("lookalike-root",))
    sign(base, out("bad-certificate-signature"), "bad-signature")
    sign(base, out("pathlen-exceeded"), "pathlen-exceeded", chain=("rogue-ca", "issuing-ca"))
    sign(base, out("leaf-of-leaf"), "leaf-of-leaf", chain=("valid-rsa", "issuing-ca"))
    sign(
        base,
        out("pkcs7-detached"),
        "valid-rsa",
        subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
    )

    sign(out("valid-rsa"), out("two-signers"), "valid-org", field="Signature2", at=SECOND_SIGNED_AT)
    sign(
        out("valid-rsa"),
        out("second-signer-revoked"),
        "revoked",
        field="Signature2",
        at=SECOND_SIGNED_AT,
    )
    change_page_content(out("valid-rsa"), out("content-changed"))
    add_annotation(out("valid-rsa"), out("annotation-added"))
    flip_signed_byte(out("valid-rsa"), out("signed-byte-changed"))


if __name__ == "__main__":
    main()
