//! Reading a `TSTInfo`, including a genTime with fractions of a second (RFC 3161 §2.4.2 allows
//! them and many TSAs send them), which the `der` crate's GeneralizedTime does not read.

use chrono::{DateTime, Utc};
use der::Decode;
use x509_tsp::TstInfo;

use crate::der as raw;
use crate::error::PkiError;

/// Position of genTime in the TSTInfo SEQUENCE: after version, policy, messageImprint and
/// serialNumber.
const GEN_TIME_INDEX: usize = 4;

/// The TSTInfo in `content` and its genTime to the nanosecond.
pub(super) fn read(content: &[u8]) -> Result<(TstInfo, DateTime<Utc>), PkiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
