//! A real headless Chromium, driven through chromedriver's WebDriver protocol, to use the
//! verification page as a person does: choose a file, press the button, read the page.
//!
//! Debian's `chromium` and `chromium-driver` packages (`CHROMEDRIVER` and `CHROMIUM` name other
//! binaries). Without chromedriver a test is skipped on a developer's machine and fails in CI
//! (`CI` set).

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// No sandbox: the tests run as root in a container. No background networking: the page must
/// work with nothing but the service.
const CHROMIUM_ARGS: [&str; 4] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
];
const STARTUP: Duration = Duration::from_secs(30);

/// A browser session on a chromedriver of its own, which stops (closing the browser) on drop.
pub struct Browser {
    pub client: Client,
    driver: Driver,
}

impl Browser {
    /// A new headless session, or `None` when chromedriver is not installed outside CI.
    pub async fn start() -> Option<Self> {
        let driver = Driver::start()?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": binary("CHROMIUM", CHROMIUM), "args": CHROMIUM_ARGS}),
        );
        let mut builder = ClientBuilder::native();
        builder.capabilities(capabilities);
        let url = format!("http://{}", driver.addr);
        let client = tokio::time::timeout(STARTUP, builder.connect(&url))
            .await
            .expect("chromium started in time")
            .expect("a WebDriver session");
        Some(Self { client, driver })
    }

    /// Opens `url`, chooses `file` in the upload form, sends it and waits for the answer.
    pub async fn upload(&self, url: &str, file: &Path) -> PageReading {
        self.client.goto(url).await.unwrap();
        let input = self.client.find(Locator::Id("document")).await.unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
        self.client
            .find(Locator::Id("verify-file"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.client
            .wait()
            .at_most(STARTUP)
            .for_element(Locator::Id("summary"))
            .await
            .unwrap();
        self.read_first_signature().await
    }

    /// What the page says of its first signature.
    pub async fn read_first_signature(&self) -> PageReading {
        let section = self.client.find(Locator::Id("signature-1")).await.unwrap();
        let indication_code = section.attr("data-indication").await.unwrap();
        let indication = self.text_of("signature-1-indication").await.unwrap();
        let reason = self.text_of("signature-1-reason").await;
        let signer = section
            .find(Locator::Css(".signer-name"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        PageReading {
            indication_code: indication_code.unwrap_or_default(),
            indication,
            reason,
            signer,
            whole_page: self.text_of_page().await,
        }
    }

    /// Follows the link to the page in the other language.
    pub async fn switch_language(&self) {
        self.client
            .find(Locator::Id("language"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn text_of(&self, id: &str) -> Option<String> {
        let element = self.client.find(Locator::Id(id)).await.ok()?;
        Some(element.text().await.unwrap())
    }

    pub async fn text_of_page(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Ends the session, closing the browser; the driver stops on drop.
    pub async fn close(self) {
        let Self { client, driver } = self;
        client.close().await.unwrap();
        drop(driver);
    }
}

/// What a person reads of a signature on the page.
#[derive(Debug, Clone)]
pub struct PageReading {
    /// `data-indication` of the signature: `TOTAL_PASSED`, `TOTAL_FAILED`, `INDETERMINATE`.
    pub indication_code: String,
    /// The indication in words, e.g. "Hợp lệ TOTAL_PASSED".
    pub indication: String,
    /// Why, when it did not pass.
    pub reason: Option<String>,
    pub signer: String,
    pub whole_page: String,
}

/// chromedriver on a free loopback port, as a child process.
struct Driver {
    process: Child,
    addr: SocketAddr,
}

impl Driver {
    fn start() -> Option<Self> {
        let program = binary("CHROMEDRIVER", CHROMEDRIVER);
        if !Path::new(&program).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{program} is missing (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "{program} is not installed (apt-get install chromium chromium-driver); skipped"
            );
            return None;
        }
        let addr = free_port();
        let process = Command::new(&program)
            .arg(format!("--port={}", addr.port()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{program} cannot start: {error}"));
        let driver = Self { process, addr };
        driver.wait_until_listening();
        Some(driver)
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + STARTUP;
        while TcpStream::connect(self.addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    /// Asks chromedriver to quit its sessions (and so their browsers) before it is killed: a
    /// failed test leaves no browser behind.
    fn drop(&mut self) {
        if let Ok(mut stream) = TcpStream::connect(self.addr) {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn binary(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// A loopback port nobody listens on now.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}
