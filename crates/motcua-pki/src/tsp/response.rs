//! `TimeStampResp` (RFC 3161 §2.4.2) and its `PKIStatusInfo` (RFC 4210 §5.2.3), written and
//! read field by field: the `cmpv2` types x509-tsp builds on encode `PKIFailureInfo` with wrong
//! bit positions, so a failure reason made with them would be misread by every other tool.

use der::asn1::{BitString, Utf8StringRef};
use der::{Decode, Encode};

use crate::der::{self as raw, Element};
use crate::error::PkiError;

/// `PKIStatus`: granted.
pub(crate) const GRANTED: u8 = 0;
/// `PKIStatus`: granted with modifications.
pub(crate) const GRANTED_WITH_MODS: u8 = 1;
/// `PKIStatus`: rejection.
pub(crate) const REJECTION: u8 = 2;

/// `PKIFailureInfo` bits a TSA may set (RFC 3161 §2.4.2), with their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureInfo {
    BadAlg = 0,
    BadDataFormat = 5,
    UnacceptedPolicy = 15,
    UnacceptedExtension = 16,
    SystemFailure = 25,
}

const FAILURE_NAMES: &[(u8, &str)] = &[
    (0, "badAlg (unrecognized or unsupported algorithm)"),
    (2, "badRequest (transaction not permitted or supported)"),
    (5, "badDataFormat (the data submitted has the wrong format)"),
    (
        14,
        "timeNotAvailable (the TSA's time source is not available)",
    ),
    (
        15,
        "unacceptedPolicy (the requested TSA policy is not supported)",
    ),
    (
        16,
        "unacceptedExtension (the requested extension is not supported)",
    ),
    (17, "addInfoNotAvailable"),
    (25, "systemFailure"),
];

/// DER `TimeStampResp` with `status`, an optional reason, failure bit and token.
pub(crate) fn encode(
    status: u8,
    text: Option<&str>,
    failure: Option<FailureInfo>,
    token: Option<&[u8]>,
) -> Result<Vec<u8>, PkiError> {
    let mut fields = vec![status.to_der().map_err(invalid)?];
    if let Some(text) = text {
        let text = Utf8StringRef::new(text).map_err(invalid)?;
        fields.push(vec![text].to_der().map_err(invalid)?);
    }
    if let Some(failure) = failure {
        fields.push(failure_bits(failure as usize)?);
    }
    let mut response = vec![raw::sequence(&fields)];
    if let Some(token) = token {
        response.push(token.to_vec());
    }
    Ok(raw::sequence(&response))
}

/// A BIT STRING with only bit `position` set (bit 0 is the high bit of the first byte), without
/// trailing zero bits as DER requires.
fn failure_bits(position: usize) -> Result<Vec<u8>, PkiError> {
    let mut bytes = vec![0u8; position / 8 + 1];
    if let Some(last) = bytes.last_mut() {
        *last = 0x80 >> (position % 8);
    }
    let unused = u8::try_from(7 - position % 8).unwrap_or(0);
    BitString::new(unused, bytes)
        .and_then(|bits| bits.to_der())
        .map_err(invalid)
}

fn invalid(error: der::Error) -> PkiError {
    PkiError::InvalidDer(error.to_string())
}

/// A response as read: its status and, when granted, the token's DER exactly as received.
pub(crate) struct Response<'a> {
    pub(crate) status: u8,
    pub(crate) text: Vec<String>,
    pub(crate) failures: Vec<&'static str>,
    pub(crate) token: Option<&'a [u8]>,
}

impl Response<'_> {
    /// The status, reason and failure information as one sentence.
    pub(crate) fn describe(&self) -> String {
        let status = match self.status {
            GRANTED => "granted",
            GRANTED_WITH_MODS => "granted with modifications",
            REJECTION => "rejection",
            3 => "waiting",
            4 => "revocation warning",
            5 => "revocation notification",
            _ => "unknown status",
        };
        let mut sentence = format!("status {} ({status})", self.status);
        if !self.failures.is_empty() {
            sentence.push_str(&format!(", failure: {}", self.failures.join(", ")));
        }
        if !self.text.is_empty() {
            sentence.push_str(&format!(", \"{}\"", self.text.join(" ")));
        }
        sentence
    }
}

/// Reads a DER `TimeStampResp`.
pub(crate) fn decode(input: &[u8]) -> Result<Response<'_>, String> {
    let not_response = |what: &str| format!("not a TimeStampResp: {what}");
    let top = raw::elements(input).map_err(|_| not_response("not DER"))?;
    let [response] = top.as_slice() else {
        return Err(not_response("expected one DER element"));
    };
    let fields = sequence_items(response).ok_or_else(|| not_response("not a SEQUENCE"))?;
    let (status_info, token) = match fields.as_slice() {
        [status_info] => (status_info, None),
        [status_info, token] if token.tag == raw::TAG_SEQUENCE => {
            (status_info, Some(token.encoded))
        }
        _ => return Err(not_response("unexpected fields")),
    };
    let parts = sequence_items(status_info).ok_or_else(|| not_response("no PKIStatusInfo"))?;
    let mut parts = parts.iter();
    let status = parts
        .next()
        .and_then(|status| u8::from_der(status.encoded).ok())
        .ok_or_else(|| not_response("unreadable PKIStatus"))?;
    let mut text = Vec::new();
    let mut failures = Vec::new();
    for part in parts {
        if part.tag == raw::TAG_SEQUENCE {
            let strings = Vec::<Utf8StringRef<'_>>::from_der(part.encoded)
                .map_err(|_| not_response("unreadable statusString"))?;
            text.extend(strings.iter().map(|text| text.as_str().to_owned()));
        } else if part.tag == raw::TAG_BIT_STRING {
            let bits = BitString::from_der(part.encoded)
                .map_err(|_| not_response("unreadable failInfo"))?;
            failures.extend(
                bits.bits()
                    .enumerate()
                    .filter(|(_, set)| *set)
                    .filter_map(|(position, _)| failure_name(position)),
            );
        }
    }
    Ok(Response {
        status,
        text,
        failures,
        token,
    })
}

fn failure_name(position: usize) -> Option<&'static str> {
    FAILURE_NAMES
        .iter()
        .find(|(bit, _)| usize::from(*bit) == position)
        .map(|(_, name)| *name)
}

fn sequence_items<'a>(element: &Element<'a>) -> Option<Vec<Element<'a>>> {
    (element.tag == raw::TAG_SEQUENCE)
        .then(|| raw::elements(element.content).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_bits_round_trip() {
        let encoded = encode(
            REJECTION,
            Some("no"),
            Some(FailureInfo::UnacceptedPolicy),
            None,
        )
        .unwrap();
        let read = decode(&encoded).unwrap();
        assert_eq!(read.status, REJECTION);
        assert_eq!(read.text, ["no"]);
        assert_eq!(read.failures.len(), 1);
        assert!(read.failures[0].starts_with("unacceptedPolicy"));
        // badAlg is bit 0: one byte 0x80 with 7 unused bits.
        assert_eq!(failure_bits(0).unwrap(), [0x03, 0x02, 0x07, 0x80]);
    }
}
