//! The verification page as both services serve it, read over HTTP: what each service's tests
//! check alike, so that the two pages cannot drift apart.

use reqwest::StatusCode;

use crate::browser::Browser;
use crate::signed::{tampered, write_file, SigningPki};

/// A signing organisation of the tests, as its certificate names it.
pub const UNIT: &str = "UBND XÃ THƯỢNG LAN";
pub const OFFICE: &str = "Bộ phận Một cửa";
pub const TAX_CODE: &str = "0400260612";
pub const PERSON: &str = "Nguyễn Thị Bích Ngọc";
pub const CCCD: &str = "024190000123";

/// A service's page, reached with a plain HTTP client.
pub struct PageClient {
    pub base_url: String,
    pub client: reqwest::Client,
}

/// An answer of the page: status, content type, security policy and HTML.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub policy: String,
    pub html: String,
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let (content_type, policy) = (header("content-type"), header("content-security-policy"));
        Self {
            status: response.status(),
            content_type,
            policy,
            html: response.text().await.unwrap(),
        }
    }

    /// A whole HTML page with `status`, that runs no script and loads nothing.
    pub fn assert_page(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.html);
        assert_eq!(self.content_type, "text/html; charset=utf-8");
        assert!(
            self.policy.starts_with("default-src 'none'"),
            "{}",
            self.policy
        );
        assert!(self.html.starts_with("<!DOCTYPE html>"), "{}", self.html);
        for external in ["<script", " src=\"", "<link", "url(", "http://", "https://"] {
            assert!(!self.html.contains(external), "{external} in {}", self.html);
        }
    }

    /// The `data-indication` of the element with `id`.
    pub fn indication_of(&self, id: &str) -> Option<&str> {
        let start = self.html.find(&format!("id=\"{id}\" data-indication=\""))?;
        let rest = &self.html[start..];
        let value = &rest[rest.find("data-indication=\"")? + "data-indication=\"".len()..];
        value.split('"').next()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }
}

impl PageClient {
    pub fn new(base_url: &str, client: &reqwest::Client) -> Self {
        Self {
            base_url: base_url.to_owned(),
            client: client.clone(),
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base_url)
    }

    pub async fn get(&self, path_and_query: &str) -> Answer {
        Answer::read(
            self.client
                .get(self.url(path_and_query))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Sends the upload form as a browser does, with `bytes` as the chosen file.
    pub async fn upload(&self, query: &str, file_name: &str, bytes: &[u8]) -> Answer {
        let boundary = "----motcua-test-boundary-7MA4YWxkTrZu0gW";
        let response = self
            .client
            .post(self.url(&format!("/verification{query}")))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(form_with_file(boundary, file_name, bytes))
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }

    /// Sends `body` with `content_type` rather than a form.
    pub async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> Answer {
        let response = self
            .client
            .post(self.url("/verification"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }
}

/// A `multipart/form-data` body with the page's file field.
fn form_with_file(boundary: &str, file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; \
         filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Everything an upload can show, in order: the form in both languages, a valid and a tampered
/// PDF, a person's signature in English, hostile names escaped. `dossier_lookup`: the service
/// also offers the dossier-code form.
pub async fn uploads(page: &PageClient, pki: &SigningPki, dossier_lookup: bool) {
    form_in_both_languages(page, dossier_lookup).await;
    valid_then_tampered(page, pki).await;
    english_report_of_a_person(page, pki).await;
    hostile_names_are_escaped(page, pki).await;
}

/// The form in Vietnamese by default and in English with `?lang=en`, each linking to the other.
pub async fn form_in_both_languages(page: &PageClient, dossier_lookup: bool) {
    let vietnamese = page.get("/verification").await;
    vietnamese.assert_page(StatusCode::OK);
    assert!(vietnamese.contains("<html lang=\"vi\">"));
    assert!(vietnamese.contains("Kiểm tra chữ ký số"));
    assert!(vietnamese.contains("enctype=\"multipart/form-data\""));
    assert!(vietnamese.contains("href=\"/verification?lang=en\""));
    assert_eq!(vietnamese.contains("id=\"code\""), dossier_lookup);

    let english = page.get("/verification?lang=en").await;
    english.assert_page(StatusCode::OK);
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("Check the digital signatures of a document"));
    assert!(english.contains("action=\"/verification?lang=en\""));
    assert!(english.contains("href=\"/verification?lang=vi\""));
}

/// A valid organisation signature shows as valid with who signed; the same file with one letter
/// changed shows as invalid, and why.
pub async fn valid_then_tampered(page: &PageClient, pki: &SigningPki) {
    let signed = pki.sign(&pki.organisation(UNIT, OFFICE, TAX_CODE));

    let valid = page.upload("", "ket-qua.pdf", &signed).await;
    valid.assert_page(StatusCode::OK);
    assert_eq!(valid.indication_of("summary"), Some("TOTAL_PASSED"));
    assert_eq!(valid.indication_of("signature-1"), Some("TOTAL_PASSED"));
    assert!(valid.contains("id=\"signature-1-indication\">Hợp lệ <code>TOTAL_PASSED</code>"));
    assert!(!valid.contains("Không hợp lệ"), "{}", valid.html);
    for shown in [
        "ket-qua.pdf",
        "<td class=\"signer-name\">UBND XÃ THƯỢNG LAN</td>",
        "Mã số thuế (MST)",
        TAX_CODE,
        "Bộ phận Một cửa, UBND THỊ XÃ VIỆT YÊN",
        "giờ Việt Nam, UTC+07:00",
        "CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN (gốc tin cậy)",
        "CA phục vụ các cơ quan Nhà nước G2",
        "Mã băm của nội dung khớp với mã băm đã ký",
    ] {
        assert!(valid.contains(shown), "{shown} not in {}", valid.html);
    }

    let forged = page.upload("", "ket-qua.pdf", &tampered(&signed)).await;
    forged.assert_page(StatusCode::OK);
    assert_eq!(forged.indication_of("summary"), Some("TOTAL_FAILED"));
    assert_eq!(forged.indication_of("signature-1"), Some("TOTAL_FAILED"));
    assert!(forged.contains("Không hợp lệ <code>TOTAL_FAILED</code>"));
    assert!(forged.contains("<code>HASH_FAILURE</code>"));
    assert!(
        forged.contains("Nội dung văn bản đã bị thay đổi sau khi ký"),
        "{}",
        forged.html
    );
    assert!(!forged.contains("data-indication=\"TOTAL_PASSED\""));
}

/// In English, a person's signature with their CCCD number.
pub async fn english_report_of_a_person(page: &PageClient, pki: &SigningPki) {
    let signed = pki.sign(&pki.person(PERSON, CCCD));
    let report = page.upload("?lang=en", "to-khai.pdf", &signed).await;
    report.assert_page(StatusCode::OK);
    assert!(report.contains("<html lang=\"en\">"));
    assert_eq!(report.indication_of("signature-1"), Some("TOTAL_PASSED"));
    for shown in [
        "Valid <code>TOTAL_PASSED</code>",
        "The document has 1 signature: 1 valid.",
        "<td class=\"signer-name\">Nguyễn Thị Bích Ngọc</td>",
        "Citizen ID (CCCD)",
        CCCD,
        "Vietnam time, UTC+07:00",
        "href=\"/verification?lang=vi\"",
    ] {
        assert!(report.contains(shown), "{shown} not in {}", report.html);
    }
    let forged = page
        .upload("?lang=en", "to-khai.pdf", &tampered(&signed))
        .await;
    assert!(forged.contains("Invalid <code>TOTAL_FAILED</code>"));
    assert!(forged.contains("The document was changed after it was signed"));
}

/// What is not a signed PDF gets a page saying why, with the status that says so; `limit` is
/// the service's document limit.
pub async fn refusals(page: &PageClient, limit: usize) {
    let text = page.upload("", "ghi-chu.txt", b"just some text").await;
    text.assert_page(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        text.contains("Tệp này không phải là tệp PDF."),
        "{}",
        text.html
    );
    let english = page
        .upload("?lang=en", "notes.txt", b"just some text")
        .await;
    english.assert_page(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        english.contains("This file is not a PDF."),
        "{}",
        english.html
    );

    let not_a_form = page
        .post_raw("application/pdf", b"%PDF-1.7\n".to_vec())
        .await;
    not_a_form.assert_page(StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let mut large = b"%PDF-1.7\n".to_vec();
    large.resize(limit + 1, b' ');
    let too_large = page.upload("", "lon.pdf", &large).await;
    too_large.assert_page(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        too_large.contains("Tệp lớn hơn dung lượng tối đa"),
        "{}",
        too_large.html
    );

    let broken = page
        .upload("", "hong.pdf", b"%PDF-1.7\nthis is not the rest of a PDF")
        .await;
    broken.assert_page(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        broken.contains("Không đọc được tệp PDF này"),
        "{}",
        broken.html
    );

    let unsigned = motcua_pki::testpki::sample_pdf("CHUA KY");
    let unsigned = page.upload("?lang=en", "unsigned.pdf", &unsigned).await;
    unsigned.assert_page(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unsigned.contains("This PDF has no digital signature."));

    let empty = page.upload("", "rong.pdf", b"").await;
    empty.assert_page(StatusCode::UNPROCESSABLE_ENTITY);
}

/// A form whose file is still trickling in at the body deadline (`timeout`) gets a 408 page.
pub async fn trickled_upload_times_out(page: &PageClient, timeout: std::time::Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = page.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let boundary = "slow";
    let head = format!(
        "POST /verification?lang=en HTTP/1.1\r\nHost: motcua\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 100000\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let _ = tokio::time::timeout(timeout * 5, read).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("text/html"), "{answer}");
    assert!(answer.contains("The file arrived too slowly"), "{answer}");
}

/// Names in certificates and file names are text: markup in them is shown, never run.
pub async fn hostile_names_are_escaped(page: &PageClient, pki: &SigningPki) {
    let hostile = pki.organisation(
        "<script>alert('cn')</script>",
        "\"><img src=x onerror=alert(1)>",
        TAX_CODE,
    );
    let report = page
        .upload("", "<b onclick=alert(2)>x.pdf", &pki.sign(&hostile))
        .await;
    report.assert_page(StatusCode::OK);
    assert!(report.contains("&lt;script&gt;alert(&#39;cn&#39;)&lt;/script&gt;"));
    assert!(report.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(report.contains("<strong>&lt;b onclick=alert(2)&gt;x.pdf</strong>"));
    for markup in ["<img", "<b ", "onclick=alert(2)>"] {
        assert!(!report.contains(markup), "{markup} in {}", report.html);
    }
}

/// In a real browser: choose the signed file, send it, read "hợp lệ"; then a tampered copy, read
/// the failure and its reason. Skipped (outside CI) without chromedriver.
pub async fn in_a_browser(base_url: &str, pki: &SigningPki) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let signed = pki.sign(&pki.organisation(UNIT, OFFICE, TAX_CODE));
    let valid_file = write_file(files.path(), "ket-qua.pdf", &signed);
    let forged_file = write_file(files.path(), "ket-qua-da-sua.pdf", &tampered(&signed));
    let url = format!("{base_url}/verification");

    let valid = browser.upload(&url, &valid_file).await;
    assert_eq!(
        valid.indication_code, "TOTAL_PASSED",
        "{}",
        valid.whole_page
    );
    assert!(
        valid.indication.to_lowercase().starts_with("hợp lệ"),
        "{}",
        valid.indication
    );
    assert_eq!(valid.signer, UNIT);
    assert!(valid.reason.is_none(), "{:?}", valid.reason);

    let forged = browser.upload(&url, &forged_file).await;
    assert_eq!(
        forged.indication_code, "TOTAL_FAILED",
        "{}",
        forged.whole_page
    );
    assert!(
        forged.indication.to_lowercase().starts_with("không hợp lệ"),
        "{}",
        forged.indication
    );
    let reason = forged.reason.clone().unwrap_or_default();
    assert!(reason.contains("HASH_FAILURE"), "{reason}");
    assert!(
        reason.contains("Nội dung văn bản đã bị thay đổi sau khi ký"),
        "{reason}"
    );

    // The page's link leads to the English form: an upload is not kept to be shown again.
    browser.switch_language().await;
    let english = browser.text_of_page().await;
    assert!(
        english.contains("Check the digital signatures"),
        "{english}"
    );
    browser.close().await;
}
