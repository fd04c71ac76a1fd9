//! The verification page of the report service: signed PDFs uploaded by people, the refusals,
//! and a real browser.

use motcua_tests::signed::SigningPki;
use motcua_tests::verification_page::{self as page, PageClient};
use motcua_tests::{Backend, ReportsApp};

/// The largest document of these tests' service: small, so that passing it is cheap.
const LIMIT: usize = 256 * 1024;

motcua_tests::with_each_backend!(uploads, refusals);

/// The service trusting the test PKI's roots and CRLs (`MOTCUA_TRUST_ROOTS_DIR`).
async fn start(backend: Backend) -> (ReportsApp, SigningPki) {
    let pki = SigningPki::new();
    let roots = pki.roots_dir();
    let app = ReportsApp::start(backend, move |config| {
        config.trust_roots_dir = Some(roots);
        config.max_package_bytes = LIMIT;
    })
    .await;
    (app, pki)
}

fn page_of(app: &ReportsApp) -> PageClient {
    PageClient::new(&app.base_url, &app.client)
}

async fn uploads(backend: Backend) {
    let (app, pki) = start(backend).await;
    let page = page_of(&app);
    page::uploads(&page, &pki, false).await;
}

async fn refusals(backend: Backend) {
    let (app, _pki) = start(backend).await;
    page::refusals(&page_of(&app), LIMIT).await;
}

/// Chromium uploads a signed PDF and a tampered one and reads the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_page_in_a_browser() {
    let (app, pki) = start(Backend::Sqlite).await;
    page::in_a_browser(&app.base_url, &pki).await;
}
