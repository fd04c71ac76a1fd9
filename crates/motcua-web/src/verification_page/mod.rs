//! The verification page both services serve at `/verification`: a person drops a signed PDF
//! (or, on the results service, enters a dossier code) and reads the validation report of every
//! signature in plain words. Server-rendered HTML with inline CSS and no script or external
//! resource, so it works offline and under a strict Content-Security-Policy; Vietnamese by
//! default, English with `?lang=en`. These pages are for people, not part of the OpenAPI
//! documents.

mod document_match;
mod html;
mod names;
mod problem;
mod report;
mod serve;
mod text;
mod upload;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use motcua_pki::pades::PdfSignatureReport;
use unicode_normalization::UnicodeNormalization;

pub use document_match::{parse_sha256, SHA256_PARAM};
pub use html::escape;
pub use problem::PageProblem;
pub use serve::{answer_upload, PageRequest};
pub use text::Lang;
pub use upload::{read_pdf_upload, Upload, FILE_FIELD};

use html::Html;

/// Where the page is served, the upload form posts, and (with `?code=`) the dossier-code form
/// looks a stored result up.
pub const PAGE_PATH: &str = "/verification";
/// The longest dossier code looked up; real codes are about 30 characters.
pub const MAX_CODE_CHARS: usize = 64;
/// The query parameter naming an issued report (report service).
pub const REPORT_PARAM: &str = "report";

const STYLE: &str = include_str!("style.css");

/// One page of one service, in one language.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub lang: Lang,
    /// The largest PDF the service accepts, stated on the form.
    pub max_upload_bytes: usize,
    /// Whether the service looks results up by dossier code (the results service).
    pub dossier_lookup: bool,
    /// The dossier code this page is about, for the language switch to stay on it.
    pub dossier_code: Option<&'a str>,
    /// The issued report this page is about (report service), likewise.
    pub report_id: Option<&'a str>,
    /// The hash of a verification QR code the page checks, likewise.
    pub sha256: Option<&'a str>,
}

/// What the report is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// An uploaded file, with the name the browser gave.
    Upload { file_name: Option<&'a str> },
    /// The stored electronic result of a dossier.
    Dossier { code: &'a str },
    /// An issued report of the report service, as its verification QR code names it.
    Report(IssuedReport<'a>),
}

/// What the page shows of an issued report, publicly.
#[derive(Debug, Clone, Copy)]
pub struct IssuedReport<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// Its number (`Số: …`) and date as issued.
    pub number: &'a str,
    pub date: &'a str,
    pub issuing_unit: &'a str,
}

impl Page<'_> {
    /// The form alone.
    pub fn form(&self) -> HttpResponse {
        respond(StatusCode::OK, self.render_form())
    }

    /// The report of every signature, then the form to check another document.
    pub fn report(&self, subject: Subject<'_>, reports: &[PdfSignatureReport]) -> HttpResponse {
        self.checked_report(subject, reports, None)
    }

    /// Like [`report`](Self::report), saying whether the document in hand matches the stored
    /// one when a verification QR code's hash was given.
    pub fn checked_report(
        &self,
        subject: Subject<'_>,
        reports: &[PdfSignatureReport],
        document_matches: Option<bool>,
    ) -> HttpResponse {
        respond(
            StatusCode::OK,
            self.render_checked_report(subject, reports, document_matches),
        )
    }

    /// Why nothing could be verified, with the status that says so, then the form.
    pub fn problem(&self, problem: &PageProblem) -> HttpResponse {
        problem.log();
        let mut response = respond(problem.status(), self.render_problem(problem));
        if let Some(seconds) = problem.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        response
    }

    pub fn render_form(&self) -> String {
        self.render(|_| {})
    }

    pub fn render_report(&self, subject: Subject<'_>, reports: &[PdfSignatureReport]) -> String {
        self.render_checked_report(subject, reports, None)
    }

    pub fn render_checked_report(
        &self,
        subject: Subject<'_>,
        reports: &[PdfSignatureReport],
        document_matches: Option<bool>,
    ) -> String {
        self.render(|html| report::write(html, self.lang, subject, reports, document_matches))
    }

    pub fn render_problem(&self, problem: &PageProblem) -> String {
        self.render(|html| problem.write(html, self.lang))
    }

    /// The whole document around `content`, in NFC like every text the services give out.
    fn render(&self, content: impl FnOnce(&mut Html)) -> String {
        let lang = self.lang;
        let mut html = Html::default();
        html.raw("<!DOCTYPE html>\n<html lang=\"")
            .raw(lang.code())
            .raw("\"><head><meta charset=\"utf-8\">")
            .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .raw("<meta name=\"referrer\" content=\"no-referrer\">")
            .element(
                "title",
                "",
                lang.pick("Kiểm tra chữ ký số", "Digital signature check"),
            )
            .raw("<style>")
            .raw(STYLE)
            .raw("</style></head><body><header>");
        self.write_language_switch(&mut html);
        html.element(
            "h1",
            "",
            lang.pick(
                "Kiểm tra chữ ký số trên văn bản",
                "Check the digital signatures of a document",
            ),
        )
        .element(
            "p",
            "intro",
            lang.pick(
                "Chọn một tệp PDF đã ký số để xem từng chữ ký: ai ký, khi nào, bằng chứng thư số nào, và chữ ký có hợp lệ không.",
                "Choose a digitally signed PDF to see each signature: who signed, when, with which certificate, and whether it is valid.",
            ),
        )
        .raw("</header><main>");
        content(&mut html);
        self.write_forms(&mut html);
        html.raw("</main><footer>")
            .element(
                "p",
                "",
                lang.pick(
                    "Kết quả theo chuẩn ETSI EN 319 102-1, kiểm tra với kho chứng thư tin cậy của dịch vụ tại thời điểm kiểm tra. Tệp chỉ được dùng để kiểm tra, không được lưu lại.",
                    "Results follow ETSI EN 319 102-1, checked against this service's trust store at the time of the check. The file is only used for the check and is not kept.",
                ),
            )
            .raw("</footer></body></html>\n");
        html.into_string().nfc().collect()
    }

    /// A link to the same page in the other language: the form, or the same dossier's report.
    fn write_language_switch(&self, html: &mut Html) {
        let other = self.lang.other();
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(code) = self.dossier_code {
            query.append_pair("code", code);
        }
        if let Some(report) = self.report_id {
            query.append_pair(REPORT_PARAM, report);
        }
        if let Some(sha256) = self.sha256 {
            query.append_pair(SHA256_PARAM, sha256);
        }
        query.append_pair("lang", other.code());
        let href = format!("{PAGE_PATH}?{}", query.finish());
        html.raw("<nav class=\"language\"><a id=\"language\" href=\"")
            .text(&href)
            .raw("\" hreflang=\"")
            .raw(other.code())
            .raw("\" lang=\"")
            .raw(other.code())
            .raw("\">")
            .text(other.pick("Tiếng Việt", "English"))
            .raw("</a></nav>");
    }

    fn write_forms(&self, html: &mut Html) {
        let lang = self.lang;
        html.raw("<section class=\"forms\"><form method=\"post\" action=\"")
            .text(&format!("{PAGE_PATH}?lang={}", lang.code()))
            .raw("\" enctype=\"multipart/form-data\">")
            .element(
                "h2",
                "",
                lang.pick("Kiểm tra một tệp PDF đã ký", "Check a signed PDF file"),
            )
            .raw("<label for=\"document\">")
            .text(lang.pick("Tệp PDF đã ký", "Signed PDF file"))
            .raw("</label><input type=\"file\" id=\"document\" name=\"")
            .raw(FILE_FIELD)
            .raw("\" accept=\".pdf,application/pdf\" required>")
            .raw("<button type=\"submit\" id=\"verify-file\">")
            .text(lang.pick("Kiểm tra", "Check"))
            .raw("</button>")
            .element(
                "p",
                "hint",
                &format!(
                    "{} {}.",
                    lang.pick("Dung lượng tối đa", "Largest file accepted:"),
                    problem::size_text(self.max_upload_bytes)
                ),
            )
            .raw("</form>");
        if self.dossier_lookup {
            self.write_dossier_form(html);
        }
        html.raw("</section>");
    }

    /// A GET form: its query replaces the action's, so the language travels as a hidden field.
    fn write_dossier_form(&self, html: &mut Html) {
        let lang = self.lang;
        html.raw("<form method=\"get\" action=\"")
            .raw(PAGE_PATH)
            .raw("\">")
            .element(
                "h2",
                "",
                lang.pick(
                    "Tra cứu kết quả điện tử theo mã hồ sơ",
                    "Look up an electronic result by dossier code",
                ),
            )
            .raw("<input type=\"hidden\" name=\"lang\" value=\"")
            .raw(lang.code())
            .raw("\"><label for=\"code\">")
            .text(lang.pick("Mã hồ sơ", "Dossier code"))
            .raw("</label><input type=\"text\" id=\"code\" name=\"code\" required maxlength=\"")
            .raw(&MAX_CODE_CHARS.to_string())
            .raw("\" placeholder=\"000.00.24.H05-240115-0007\" value=\"")
            .text(self.dossier_code.unwrap_or_default())
            .raw("\"><button type=\"submit\" id=\"lookup\">")
            .text(lang.pick("Tra cứu", "Look up"))
            .raw("</button></form>");
    }
}

/// The dossier code of a lookup query (`code=`), trimmed and in NFC; `None` when absent or
/// blank.
pub fn dossier_code(query: &str) -> Option<String> {
    query_value(query, "code")
}

/// The value of `name` in `query`, trimmed and in NFC; `None` when absent or blank.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim().nfc().collect::<String>())
        .filter(|value| !value.is_empty())
}

/// An HTML answer. The report names people and their identity numbers: it is not cached, not
/// sent on as a referrer, and may run no script at all.
fn respond(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                 base-uri 'none'; frame-ancestors 'none'",
            ),
        ))
        .insert_header((
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn page(lang: Lang) -> Page<'static> {
        Page {
            lang,
            max_upload_bytes: 20 * 1024 * 1024,
            dossier_lookup: true,
            dossier_code: None,
            report_id: None,
            sha256: None,
        }
    }

    #[test]
    fn the_form_is_a_whole_page_without_external_resources() {
        let form = page(Lang::Vi).render_form();
        assert!(
            form.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"),
            "{form}"
        );
        assert!(form.contains("enctype=\"multipart/form-data\""));
        assert!(form.contains("accept=\".pdf,application/pdf\""));
        assert!(form.contains("<form method=\"get\" action=\"/verification\">"));
        assert!(form.contains("href=\"/verification?lang=en\""));
        assert!(form.contains("Dung lượng tối đa 20 MB."));
        for external in ["<script", "src=", "http://", "https://", "@import", "url("] {
            assert!(!form.contains(external), "{external} in {form}");
        }
        let english = page(Lang::En).render_form();
        assert!(english.contains("<html lang=\"en\">"));
        assert!(english.contains("href=\"/verification?lang=vi\""));
        assert!(english.contains("name=\"lang\" value=\"en\""));
    }

    #[test]
    fn the_language_switch_keeps_the_dossier_code() {
        let code = "000.00.24.H05-240115-0007 \"&<";
        let page = Page {
            dossier_code: Some(code),
            ..page(Lang::Vi)
        };
        let html = page.render_form();
        assert!(
            html.contains(
                "href=\"/verification?code=000.00.24.H05-240115-0007+%22%26%3C&amp;lang=en\""
            ),
            "{html}"
        );
        assert!(html.contains("value=\"000.00.24.H05-240115-0007 &quot;&amp;&lt;\""));
    }

    #[test]
    fn a_busy_service_is_a_503_page_that_says_when_to_retry() {
        let busy = PageProblem::Service(ApiError::Busy("every signature slot is taken".into()));
        let response = page(Lang::Vi).problem(&busy);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "2");
        let html = page(Lang::Vi).render_problem(&busy);
        assert!(
            html.contains("Dịch vụ tạm thời không kiểm tra được văn bản."),
            "{html}"
        );
        assert!(
            !html.contains("signature slot"),
            "internal detail shown: {html}"
        );
        let english = page(Lang::En).render_problem(&busy);
        assert!(english.contains("Please try again later."), "{english}");
    }

    #[test]
    fn dossier_codes_are_read_trimmed_and_in_nfc() {
        assert_eq!(
            dossier_code("code=%20000.00.24.H05-240115-0007%20&lang=en").as_deref(),
            Some("000.00.24.H05-240115-0007")
        );
        assert_eq!(dossier_code("code=a%CC%81").as_deref(), Some("\u{e1}"));
        assert_eq!(dossier_code("code=+++"), None);
        assert_eq!(dossier_code("lang=en"), None);
    }
}
