//! The `TSTInfo` of a timestamp token (RFC 3161 §2.4.2), read field by field.
//!
//! `x509_tsp::TstInfo` holds the policy as a `const_oid::ObjectIdentifier`, which refuses every
//! OID under joint-iso-itu-t whose second arc is 48 or more (its first two arcs must fit one
//! byte), such as 2.999, the arc of examples (ITU-T X.660). Those are valid OIDs, and an
//! authority may name its policy with one (`openssl ts` does whatever its configuration says):
//! a sound token must not be refused for it. The policy is therefore read as raw bytes and
//! turned into its dotted form here; every other field keeps its typed decoder. A genTime with
//! fractions of a second (RFC 3161 §2.4.2 allows them and many TSAs send them), which the `der`
//! crate's GeneralizedTime does not read, is read by [`read`].

use chrono::{DateTime, Utc};
use der::asn1::{Any, GeneralizedTime, Int};
use der::{Decode, DecodeValue, FixedTag, Header, Reader, Tag, TagNumber, Tagged};
use x509_tsp::{Accuracy, MessageImprint};

use crate::der as raw;
use crate::error::PkiError;

/// Position of genTime in the TSTInfo SEQUENCE: after version, policy, messageImprint and
/// serialNumber.
const GEN_TIME_INDEX: usize = 4;

/// Longest policy OID accepted, in content bytes; real ones are a dozen.
const MAX_OID_BYTES: usize = 64;

/// The fields of a `TSTInfo` the verifier uses. The TSA name (`[0]`) and the extensions
/// (`[1]`) are read over: the TSA is named by the certificate that signed the token.
#[derive(Debug, Clone)]
pub(crate) struct TstInfo {
    /// The TSA policy, dotted.
    pub(crate) policy: String,
    pub(crate) message_imprint: MessageImprint,
    pub(crate) serial_number: Int,
    pub(crate) gen_time: GeneralizedTime,
    pub(crate) accuracy: Option<Accuracy>,
    pub(crate) nonce: Option<Int>,
}

impl FixedTag for TstInfo {
    const TAG: Tag = Tag::Sequence;
}

impl<'a> DecodeValue<'a> for TstInfo {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        reader.read_nested(header.length, |reader| {
            // TSTInfo version 1 is the only one defined.
            if u8::decode(reader)? != 1 {
                return Err(Tag::Integer.value_error());
            }
            let policy = Any::decode(reader)?;
            policy.tag().assert_eq(Tag::ObjectIdentifier)?;
            let policy =
                dotted_oid(policy.value()).ok_or_else(|| Tag::ObjectIdentifier.value_error())?;
            let message_imprint = MessageImprint::decode(reader)?;
            let serial_number = Int::decode(reader)?;
            let gen_time = GeneralizedTime::decode(reader)?;
            let accuracy = Option::<Accuracy>::decode(reader)?;
            let _ordering = Option::<bool>::decode(reader)?;
            let nonce = Option::<Int>::decode(reader)?;
            skip_context_fields(reader)?;
            Ok(Self {
                policy,
                message_imprint,
                serial_number,
                gen_time,
                accuracy,
                nonce,
            })
        })
    }
}

/// Reads over `tsa [0]` and `extensions [1]`, each at most once and in that order; anything
/// else after the nonce is an error.
fn skip_context_fields<'a, R: Reader<'a>>(reader: &mut R) -> der::Result<()> {
    let mut next_allowed = 0u8;
    while !reader.is_finished() {
        let field = Any::decode(reader)?;
        let number = match field.tag() {
            Tag::ContextSpecific { number, .. } => number,
            other => return Err(other.unexpected_error(None)),
        };
        if number < TagNumber::new(next_allowed) || number > TagNumber::N1 {
            return Err(field.tag().unexpected_error(None));
        }
        next_allowed = number.value().saturating_add(1);
    }
    Ok(())
}

/// The TSTInfo in `content` and its genTime to the nanosecond.
pub(crate) fn read(content: &[u8]) -> Result<(TstInfo, DateTime<Utc>), PkiError> {
    let unreadable = |error: der::Error| {
        PkiError::InvalidTimestamp(format!("the TSTInfo cannot be read: {error}"))
    };
    match TstInfo::from_der(content) {
        Ok(info) => {
            let at = whole_seconds(&info)?;
            Ok((info, at))
        }
        Err(error) => {
            let Some((without_fraction, nanos)) = split_fraction(content) else {
                return Err(unreadable(error));
            };
            let info = TstInfo::from_der(&without_fraction).map_err(unreadable)?;
            let at = whole_seconds(&info)?;
            let at = at
                .checked_add_signed(chrono::Duration::nanoseconds(i64::from(nanos)))
                .ok_or_else(out_of_range)?;
            Ok((info, at))
        }
    }
}

fn whole_seconds(info: &TstInfo) -> Result<DateTime<Utc>, PkiError> {
    let since_epoch = info.gen_time.to_unix_duration();
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|seconds| DateTime::from_timestamp(seconds, since_epoch.subsec_nanos()))
        .ok_or_else(out_of_range)
}

fn out_of_range() -> PkiError {
    PkiError::InvalidTimestamp("the genTime is out of range".into())
}

/// The TSTInfo re-encoded with its genTime cut to whole seconds, and the nanoseconds cut; `None`
/// when the genTime has no readable fraction (`YYYYMMDDhhmmss.f…Z`, at most 9 digits).
fn split_fraction(content: &[u8]) -> Option<(Vec<u8>, u32)> {
    let top = raw::elements(content).ok()?;
    let [info] = top.as_slice() else {
        return None;
    };
    if info.tag != raw::TAG_SEQUENCE {
        return None;
    }
    let fields = raw::elements(info.content).ok()?;
    let gen_time = fields
        .get(GEN_TIME_INDEX)
        .filter(|field| field.tag == raw::TAG_GENERALIZED_TIME)?;
    let text = std::str::from_utf8(gen_time.content).ok()?;
    let (whole, fraction) = text.strip_suffix('Z')?.split_once('.')?;
    let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.len() != 14 || fraction.is_empty() || fraction.len() > 9 {
        return None;
    }
    if !digits_only(whole) || !digits_only(fraction) {
        return None;
    }
    let nanos = format!("{fraction:0<9}").parse().ok()?;
    let mut encoded: Vec<Vec<u8>> = fields.iter().map(|field| field.encoded.to_vec()).collect();
    *encoded.get_mut(GEN_TIME_INDEX)? =
        raw::tlv(raw::TAG_GENERALIZED_TIME, format!("{whole}Z").as_bytes());
    Some((raw::sequence(&encoded), nanos))
}

/// The dotted form of the content bytes of a DER OBJECT IDENTIFIER (X.690 §8.19), or `None`
/// when they are empty, too long, not minimally encoded, truncated or hold an arc over 64 bits.
pub(crate) fn dotted_oid(content: &[u8]) -> Option<String> {
    if content.is_empty() || content.len() > MAX_OID_BYTES {
        return None;
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut in_arc = false;
    for &byte in content {
        // A subidentifier's first byte may not be 0x80: that would be a leading zero.
        if !in_arc && byte == 0x80 {
            return None;
        }
        value = value
            .checked_mul(128)?
            .checked_add(u64::from(byte & 0x7f))?;
        in_arc = byte & 0x80 != 0;
        if !in_arc {
            arcs.push(value);
            value = 0;
        }
    }
    if in_arc {
        return None;
    }
    let (&first, rest) = arcs.split_first()?;
    // The first subidentifier packs the first two arcs: 40 × first + second, the first being
    // 0, 1 or 2 (only 2 allows a second arc of 40 or more).
    let (root, second) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut dotted = format!("{root}.{second}");
    for arc in rest {
        dotted.push('.');
        dotted.push_str(&arc.to_string());
    }
    Some(dotted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TSTInfo of `tests/corpus/files/tsp/good.tsr`, made by `openssl ts -reply`.
    const OPENSSL_TST_INFO: [&str; 5] = [
        "3081D20201010604883711013031300D0609608648016503040201050004206EEBCC7C716CF5F87F586C1165",
        "00C5992436A4261825BE912C2AB7D6FED74D5A02063A0000000002180F32303236313230353031343832325A",
        "3003020101A076A4743072310B300906035504061302564E31233021060355040A0C1A42616E2043C6A12079",
        "E1BABF75204368C3AD6E68207068E1BBA7313E303C06035504030C3544E1BB8B63682076E1BBA52063E1BAA5",
        "702064E1BAA575207468E1BB9D69206769616E204732202D204B69E1BB836D207468E1BBAD",
    ];

    #[test]
    fn an_openssl_tst_info_with_policy_2_999_is_read() {
        let der = hex::decode(OPENSSL_TST_INFO.concat()).unwrap();
        let info = TstInfo::from_der(&der).unwrap();
        assert_eq!(info.policy, "2.999.17.1");
        assert_eq!(hex::encode(info.serial_number.as_bytes()), "3a0000000002");
        assert_eq!(info.gen_time.to_unix_duration().as_secs(), 1_796_435_302);
        assert_eq!(info.accuracy.and_then(|accuracy| accuracy.seconds), Some(1));
        assert!(info.nonce.is_none());
        // x509_tsp's own decoder refuses it: the reason for this module.
        assert!(x509_tsp::TstInfo::from_der(&der).is_err());
    }

    #[test]
    fn a_tst_info_of_another_version_is_refused() {
        let mut der = hex::decode(OPENSSL_TST_INFO.concat()).unwrap();
        // version INTEGER 1 → 2 (bytes 3..6 are 02 01 01).
        der[5] = 2;
        assert!(TstInfo::from_der(&der).is_err());
    }

    #[test]
    fn oids_are_read_in_every_arc() {
        // 2.999.17.1, the policy of the corpus' openssl tokens: one byte is not enough for the
        // first two arcs.
        assert_eq!(
            dotted_oid(&[0x88, 0x37, 0x11, 0x01]).as_deref(),
            Some("2.999.17.1")
        );
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]).as_deref(),
            Some("1.2.840.113549")
        );
        assert_eq!(dotted_oid(&[0x00]).as_deref(), Some("0.0"));
        assert_eq!(dotted_oid(&[0x55, 0x04, 0x03]).as_deref(), Some("2.5.4.3"));
    }

    #[test]
    fn malformed_oids_are_refused() {
        assert_eq!(dotted_oid(&[]), None);
        assert_eq!(dotted_oid(&[0x2a, 0x86]), None, "truncated");
        assert_eq!(dotted_oid(&[0x2a, 0x80, 0x01]), None, "leading zero");
        assert_eq!(dotted_oid(&[0xff; 11]), None, "over 64 bits");
        assert_eq!(dotted_oid(&[0x01; MAX_OID_BYTES + 1]), None, "too long");
    }

    fn tst_info(gen_time: &[u8]) -> Vec<u8> {
        let imprint = raw::sequence(&[
            raw::sequence(&[raw::oid("2.16.840.1.101.3.4.2.1").unwrap()]),
            raw::octet_string(&[7; 32]),
        ]);
        raw::sequence(&[
            raw::tlv(raw::TAG_INTEGER, &[1]),
            raw::oid("1.2.3.4").unwrap(),
            imprint,
            raw::tlv(raw::TAG_INTEGER, &[5]),
            raw::tlv(raw::TAG_GENERALIZED_TIME, gen_time),
        ])
    }

    #[test]
    fn reads_fractions_of_a_second() {
        let (_, at) = read(&tst_info(b"20260102030405.25Z")).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-02T03:04:05.250+00:00");
        let (_, at) = read(&tst_info(b"20260102030405Z")).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        for refused in [
            &b"20260102030405.Z"[..],
            b"20260102030405.1234567891Z",
            b"20260102030405.1x2Z",
            b"20260102030405.5+0700",
        ] {
            assert!(read(&tst_info(refused)).is_err());
        }
    }
}
