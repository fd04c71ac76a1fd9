"""Makes a CMS signature that names the wrong certificate.

    python3 swap_signer.py SIGNED.p7s OTHER_CERT.pem OUT.p7s

SIGNED.p7s is a detached signature made by `openssl cms -sign`. The copy written to OUT.p7s keeps
its signed attributes and signature value byte for byte, but its SignerInfo designates
OTHER_CERT (issuer and serial number) and OTHER_CERT replaces the signer's certificate in the
certificate set: the signature value was made by a key that is not OTHER_CERT's. Only
asn1crypto (a dependency of pyHanko) touches the structure.
"""

import sys

from asn1crypto import cms, pem, x509


def load_certificate(path: str) -> x509.Certificate:
    with open(path, "rb") as handle:
        data = handle.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def main() -> None:
    source, other_path, target = sys.argv[1:4]
    with open(source, "rb") as handle:
        original = handle.read()
    info = cms.ContentInfo.load(original)
    signed_data = info["content"]
    other = load_certificate(other_path)
    [signer] = signed_data["signer_infos"]
    sid = signer["sid"].chosen
    signer_issuer, signer_serial = sid["issuer"], sid["serial_number"].native

    certificates = []
    for choice in signed_data["certificates"]:
        certificate = choice.chosen
        if certificate.issuer == signer_issuer and certificate.serial_number == signer_serial:
            certificates.append(cms.CertificateChoices(name="certificate", value=other))
        else:
            certificates.append(choice)
    signed_data["certificates"] = cms.CertificateSet(certificates)
    signer["sid"] = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value=cms.IssuerAndSerialNumber(
            {"issuer": other.issuer, "serial_number": other.serial_number}
        ),
    )
    out = info.dump(force=True)

    # The signed attributes and the signature value must be the original bytes.
    check = cms.ContentInfo.load(out)["content"]["signer_infos"][0]
    if (
        check["signed_attrs"].dump() != cms.ContentInfo.load(original)["content"]["signer_infos"][0]["signed_attrs"].dump()
        or check["signature"].native != signer["signature"].native
    ):
        raise SystemExit("re-encoding changed the signed attributes")
    with open(target, "wb") as handle:
        handle.write(out)


if __name__ == "__main__":
    main()
