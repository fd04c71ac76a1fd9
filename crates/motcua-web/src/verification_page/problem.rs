//! Why a verification page shows no report: the status it answers with and what it tells the
//! person, in their language.

use actix_web::http::StatusCode;
use actix_web::ResponseError;

use super::html::Html;
use super::text::Lang;
use crate::error::ApiError;
use crate::verify_upload::VerificationError;

/// What went wrong before a report could be made.
#[derive(Debug)]
pub enum PageProblem {
    /// The upload is larger than the service accepts (413).
    TooLarge { limit: usize },
    /// The request is not a `multipart/form-data` form (415).
    NotAForm,
    /// The form could not be read (400).
    MalformedForm(String),
    /// The form was still arriving at the body deadline (408).
    TimedOut,
    /// The form holds no file, or an empty one (422).
    NoFile,
    /// The file is not a PDF at all (415).
    NotPdf,
    /// A PDF the verifier cannot read (422).
    Unreadable(String),
    /// A readable PDF without signatures (422).
    NoSignatures,
    /// No stored electronic result for that code, or no such dossier (404).
    NoResult,
    /// No issued report with that id (404): drafts and reports not yet issued are not shown.
    NoIssuedReport,
    /// The `sha256` of the query is not a SHA-256 (400).
    MalformedHash,
    /// The service failed: its database, trust store or a worker (5xx).
    Service(ApiError),
}

impl From<VerificationError> for PageProblem {
    fn from(error: VerificationError) -> Self {
        match error {
            VerificationError::Unreadable(detail)
            | VerificationError::TooManySignatures(detail) => Self::Unreadable(detail),
            VerificationError::NoSignatures => Self::NoSignatures,
            VerificationError::Service(error) => Self::Service(error),
        }
    }
}

impl PageProblem {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotAForm | Self::NotPdf => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MalformedForm(_) | Self::MalformedHash => StatusCode::BAD_REQUEST,
            Self::TimedOut => StatusCode::REQUEST_TIMEOUT,
            Self::NoFile | Self::Unreadable(_) | Self::NoSignatures => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::NoResult | Self::NoIssuedReport => StatusCode::NOT_FOUND,
            Self::Service(error) => error.status_code(),
        }
    }

    /// `Retry-After` when the service is busy or its database unavailable, as the JSON API says.
    pub(super) fn retry_after(&self) -> Option<&'static str> {
        match self {
            Self::Service(error) => error.retry_after_secs(),
            _ => None,
        }
    }

    /// Failures of the service go to the log, as the JSON API's do; the page only says to try
    /// again.
    pub(super) fn log(&self) {
        if let Self::Service(error) = self {
            tracing::error!(detail = %error, "verification page failed");
        }
    }

    pub(super) fn write(&self, html: &mut Html, lang: Lang) {
        html.raw("<section class=\"problem invalid\" id=\"problem\">")
            .element(
                "h2",
                "indication",
                lang.pick("Không kiểm tra được", "Nothing could be checked"),
            )
            .element("p", "reason", &self.message(lang));
        if let Some(detail) = self.detail() {
            html.raw("<p class=\"technical\">")
                .text(lang.pick("Chi tiết kỹ thuật: ", "Technical detail: "))
                .text(detail)
                .raw("</p>");
        }
        html.raw("</section>");
    }

    fn message(&self, lang: Lang) -> String {
        match self {
            Self::TooLarge { limit } => format!(
                "{} {}.",
                lang.pick(
                    "Tệp lớn hơn dung lượng tối đa mà dịch vụ nhận:",
                    "The file is larger than this service accepts:"
                ),
                size_text(*limit)
            ),
            Self::NotAForm => lang
                .pick(
                    "Hãy gửi tệp bằng biểu mẫu trên trang này (multipart/form-data).",
                    "Send the file with the form on this page (multipart/form-data).",
                )
                .to_owned(),
            Self::MalformedForm(_) => lang
                .pick(
                    "Không đọc được biểu mẫu đã gửi; hãy chọn tệp và gửi lại.",
                    "The form sent could not be read; choose the file and send it again.",
                )
                .to_owned(),
            Self::TimedOut => lang
                .pick(
                    "Tệp đến quá chậm nên chưa nhận được hết; hãy gửi lại.",
                    "The file arrived too slowly to be received in full; send it again.",
                )
                .to_owned(),
            Self::NoFile => lang
                .pick("Chưa chọn tệp PDF nào.", "No PDF file was chosen.")
                .to_owned(),
            Self::NotPdf => lang
                .pick(
                    "Tệp này không phải là tệp PDF. Hãy chọn văn bản đã ký số ở dạng PDF.",
                    "This file is not a PDF. Choose the signed document as a PDF file.",
                )
                .to_owned(),
            Self::Unreadable(_) => lang
                .pick(
                    "Không đọc được tệp PDF này: tệp có thể bị hỏng hoặc không đầy đủ.",
                    "This PDF cannot be read: the file may be damaged or incomplete.",
                )
                .to_owned(),
            Self::NoSignatures => lang
                .pick(
                    "Tệp PDF này không có chữ ký số nào.",
                    "This PDF has no digital signature.",
                )
                .to_owned(),
            Self::NoResult => lang
                .pick(
                    "Không có kết quả điện tử nào được lưu cho hồ sơ có mã này.",
                    "No electronic result is stored for a dossier with this code.",
                )
                .to_owned(),
            Self::NoIssuedReport => lang
                .pick(
                    "Không có báo cáo nào đã ban hành với mã này.",
                    "There is no issued report with this id.",
                )
                .to_owned(),
            Self::MalformedHash => lang
                .pick(
                    "Mã băm trong đường dẫn không đúng dạng: phải là 64 chữ số thập lục phân (SHA-256). Hãy quét lại mã QR.",
                    "The hash in the link is malformed: it must be 64 hexadecimal digits (SHA-256). Scan the QR code again.",
                )
                .to_owned(),
            Self::Service(_) => lang
                .pick(
                    "Dịch vụ tạm thời không kiểm tra được văn bản. Xin thử lại sau.",
                    "The service cannot check documents at the moment. Please try again later.",
                )
                .to_owned(),
        }
    }

    /// What the verifier or the form reader said, for whoever reports a problem.
    fn detail(&self) -> Option<&str> {
        match self {
            Self::MalformedForm(detail) | Self::Unreadable(detail) => Some(detail),
            _ => None,
        }
    }
}

/// A size as people read it: `20 MB`, `64 KB`, `900 byte`.
pub(super) fn size_text(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB {
        format!("{} KB", bytes / KIB)
    } else {
        format!("{bytes} byte")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(20 * 1024 * 1024), "20 MB");
        assert_eq!(size_text(1536 * 1024), "1.5 MB");
        assert_eq!(size_text(64 * 1024), "64 KB");
        assert_eq!(size_text(900), "900 byte");
    }

    #[test]
    fn each_problem_has_its_status() {
        assert_eq!(
            PageProblem::TooLarge { limit: 1 }.status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            PageProblem::NotAForm.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            PageProblem::NotPdf.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(PageProblem::TimedOut.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(
            PageProblem::Unreadable("no trailer".into()).status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            PageProblem::NoSignatures.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            PageProblem::Service(ApiError::Unavailable("down".into())).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
